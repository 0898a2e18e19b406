from django.urls import path

from facturation import views

app_name = "facturation"

urlpatterns = [
    path("", views.facture_list, name="facture_list"),
    path("nouvelle/", views.facture_create, name="facture_create"),
    path("<int:pk>/", views.facture_detail, name="facture_detail"),
    path("<int:pk>/modifier/", views.facture_edit, name="facture_edit"),
    path("<int:pk>/totaux/", views.facture_totals, name="facture_totals"),
    path("<int:pk>/emettre/", views.facture_issue, name="facture_issue"),
    path("<int:pk>/dupliquer/", views.facture_duplicate, name="facture_duplicate"),
    path("<int:pk>/supprimer/", views.facture_delete, name="facture_delete"),
    path("<int:pk>/pdf/", views.facture_pdf, name="facture_pdf"),
    path("<int:pk>/apercu.pdf", views.facture_apercu, name="facture_apercu"),
    path("<int:pk>/avoir/", views.avoir_create, name="avoir_create"),
    path("<int:pk>/envoyer/", views.facture_send, name="facture_send"),
    path("<int:pk>/lien/renouveler/", views.facture_lien_renouveler, name="lien_renouveler"),
    path("<int:pk>/acompte/", views.facture_acompte, name="facture_acompte"),
    path("<int:pk>/deduire/", views.facture_deduire, name="facture_deduire"),
    path("<int:pk>/recurrente/", views.recurrence_create, name="recurrence_create"),
    path("recurrentes/", views.recurrence_list, name="recurrence_list"),
    path("recurrentes/<int:pk>/basculer/", views.recurrence_toggle, name="recurrence_toggle"),
    path("numerotation/", views.numerotation, name="numerotation"),
    path("numerotation/reprendre/", views.numerotation_reprendre, name="numerotation_reprendre"),
    path("articles/", views.article_list, name="article_list"),
    path("articles/nouveau/", views.article_edit, name="article_create"),
    path("articles/<int:pk>/", views.article_edit, name="article_update"),
]
