from django.urls import path

from comptabilite.tableaux import views

app_name = "tableaux"

urlpatterns = [
    path("", views.creances, name="creances"),
    path("previsions/", views.previsions, name="previsions"),
    path("ventes/", views.ventes, name="ventes"),
    path("tva-relances/", views.tva_relances, name="tva_relances"),
    path("portefeuille/", views.portefeuille, name="portefeuille"),
    path("portefeuille/export.<str:fmt>", views.portefeuille_export, name="portefeuille_export"),
    path("export/<slug:table>.<str:fmt>", views.export, name="export"),
]
