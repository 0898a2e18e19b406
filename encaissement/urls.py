from django.urls import include, path

from encaissement import views

app_name = "encaissement"

urlpatterns = [
    path("", views.paiement_list, name="paiement_list"),
    path("nouveau/", views.paiement_create, name="paiement_create"),
    path("<int:pk>/", views.paiement_detail, name="paiement_detail"),
    path("<int:pk>/affecter/", views.paiement_affecter, name="paiement_affecter"),
    path("<int:pk>/annuler/", views.paiement_annuler, name="paiement_annuler"),
    path("avoirs/<int:pk>/imputer/", views.avoir_imputer, name="avoir_imputer"),
    path("banque/", include("encaissement.releves.urls")),
]
