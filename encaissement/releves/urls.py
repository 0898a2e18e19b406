from django.urls import path

from encaissement.releves import views

app_name = "releves"

urlpatterns = [
    path("", views.ligne_list, name="ligne_list"),
    path("comptes/", views.compte_list, name="compte_list"),
    path("reglages/", views.reglages, name="reglages"),
    path("import/", views.import_upload, name="import_upload"),
    path("import/<int:pk>/", views.import_preview, name="import_preview"),
    path("lignes/<int:pk>/affecter/", views.ligne_affecter, name="ligne_affecter"),
    path("lignes/<int:pk>/ecarter/", views.ligne_ecarter, name="ligne_ecarter"),
    path("lignes/<int:pk>/rouvrir/", views.ligne_rouvrir, name="ligne_rouvrir"),
    path(
        "suggestions/<int:pk>/confirmer/", views.suggestion_confirmer, name="suggestion_confirmer"
    ),
    path("suggestions/confirmer/", views.suggestions_confirmer, name="suggestions_confirmer"),
    path("suggestions/recalculer/", views.suggestions_recalculer, name="suggestions_recalculer"),
]
