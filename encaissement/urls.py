from django.urls import include, path

from encaissement import online_views, views

app_name = "encaissement"

urlpatterns = [
    path("", views.paiement_list, name="paiement_list"),
    path("nouveau/", views.paiement_create, name="paiement_create"),
    path("<int:pk>/", views.paiement_detail, name="paiement_detail"),
    path("<int:pk>/affecter/", views.paiement_affecter, name="paiement_affecter"),
    path("<int:pk>/annuler/", views.paiement_annuler, name="paiement_annuler"),
    path("<int:pk>/recu.pdf", online_views.paiement_recu, name="paiement_recu"),
    path(
        "paiement-en-ligne/",
        online_views.compte_paiement_en_ligne,
        name="compte_paiement_en_ligne",
    ),
    path("avoirs/<int:pk>/imputer/", views.avoir_imputer, name="avoir_imputer"),
    path("banque/", include("encaissement.releves.urls")),
]
