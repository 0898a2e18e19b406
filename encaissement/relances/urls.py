from django.urls import path

from encaissement.relances import views

app_name = "relances"

urlpatterns = [
    path("", views.creances, name="creances"),
    path("scenario/", views.scenario, name="scenario"),
    path("scenario/<int:pk>/", views.scenario, name="scenario_edit"),
    path("scenario/nouveau/", views.scenario_nouveau, name="scenario_nouveau"),
    path("export.<str:fmt>", views.creances_export, name="creances_export"),
    path("facture/<int:pk>/relancer/", views.relancer, name="relancer"),
    path("facture/<int:pk>/recouvrement/", views.recouvrement, name="recouvrement"),
    path("facture/<int:pk>/litige/", views.litige_ouvrir, name="litige_ouvrir"),
    path("litige/<int:pk>/resoudre/", views.litige_resoudre, name="litige_resoudre"),
    path("facture/<int:pk>/promesse/", views.promesse, name="promesse"),
    path("facture/<int:pk>/penalites/", views.penalites_facturer, name="penalites_facturer"),
    path("relance/<int:pk>/lettre.pdf", views.lettre_pdf, name="lettre_pdf"),
    path("client/<int:pk>/profil/", views.profil, name="profil"),
    path("client/<int:pk>/releve.pdf", views.releve_pdf, name="releve_pdf"),
    path("client/<int:pk>/releve/envoyer/", views.releve_envoyer, name="releve_envoyer"),
]
