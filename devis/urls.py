from django.urls import path

from devis import views

app_name = "devis"

urlpatterns = [
    path("", views.devis_list, name="devis_list"),
    path("nouveau/", views.devis_create, name="devis_create"),
    path(
        "opportunite/<int:pk>/", views.devis_depuis_opportunite, name="devis_depuis_opportunite"
    ),  # fmt: skip
    path("parametres/", views.parametres, name="parametres"),
    path("<int:pk>/", views.devis_detail, name="devis_detail"),
    path("<int:pk>/modifier/", views.devis_edit, name="devis_edit"),
    path("<int:pk>/totaux/", views.devis_totals, name="devis_totals"),
    path("<int:pk>/envoyer/", views.devis_send, name="devis_send"),
    path("<int:pk>/pdf/", views.devis_pdf, name="devis_pdf"),
    path("<int:pk>/signe.pdf", views.devis_signed_pdf, name="devis_signed_pdf"),
    path("<int:pk>/apercu.pdf", views.devis_apercu, name="devis_apercu"),
    path("<int:pk>/reviser/", views.devis_reviser, name="devis_reviser"),
    path("<int:pk>/dupliquer/", views.devis_duplicate, name="devis_duplicate"),
    path("<int:pk>/annuler/", views.devis_cancel, name="devis_cancel"),
    path("<int:pk>/supprimer/", views.devis_delete, name="devis_delete"),
    path("<int:pk>/lien/renouveler/", views.devis_lien_renouveler, name="lien_renouveler"),
    path("<int:pk>/acompte/", views.devis_acompte, name="devis_acompte"),
    path("<int:pk>/facturer/", views.devis_solde, name="devis_solde"),
]
