"""The customer's disputes and promises, under the invoice's signed link `/d/<token>/relances/`."""

from django.urls import path

from encaissement.relances import public

app_name = "relances_public"

urlpatterns = [
    path("contester/", public.contester, name="contester"),
    path("promettre/", public.promettre, name="promettre"),
]
