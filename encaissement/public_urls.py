"""The customer's payment page, under the invoice's signed link `/d/<token>/paiement/`."""

from django.urls import path

from encaissement import public

app_name = "paiement_public"

urlpatterns = [
    path("carte/", public.payer, {"method": "carte"}, name="carte"),
    path("prelevement/", public.payer, {"method": "prelevement"}, name="prelevement"),
    path("retour/<uuid:key>/", public.retour, name="retour"),
    path("vu/", public.consultation, name="consultation"),
]
