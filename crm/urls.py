from django.urls import path

from crm import views

app_name = "crm"

urlpatterns = [
    path("", views.client_list, name="client_list"),
    path("nouveau/", views.client_create, name="client_create"),
    path("choisir/", views.client_picker, name="client_picker"),
    path("annuaire/", views.client_annuaire, name="client_annuaire"),
    path("<int:pk>/verification/", views.client_verification, name="client_verification"),
    path("import/", views.client_import, name="client_import"),
    path("import/modele.csv", views.import_template, name="import_template"),
    path("export.csv", views.client_export, name="client_export"),
    path("<int:pk>/", views.client_detail, name="client_detail"),
    path("<int:pk>/modifier/", views.client_update, name="client_update"),
    path("<int:pk>/fil/", views.client_fil, name="client_fil"),
    path("<int:pk>/portail/envoyer/", views.client_portail_envoyer, name="portail_envoyer"),
    path("<int:pk>/portail/revoquer/", views.client_portail_revoquer, name="portail_revoquer"),
    path("<int:pk>/contacts/nouveau/", views.contact_edit, name="contact_create"),
    path("<int:pk>/contacts/<int:contact_pk>/", views.contact_edit, name="contact_update"),
    path(
        "<int:pk>/contacts/<int:contact_pk>/supprimer/", views.contact_delete, name="contact_delete"
    ),
]
