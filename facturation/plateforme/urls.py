from django.urls import path

from facturation.plateforme import views

app_name = "plateforme"

urlpatterns = [
    path("", views.flux_list, name="flux_list"),
    path("connexion/", views.connexion, name="connexion"),
    path("ereporting/", views.ereporting_transmettre, name="ereporting_transmettre"),
    path("flux/<int:pk>/relancer/", views.flux_relancer, name="flux_relancer"),
    path("clients/<int:client_pk>/routage/", views.routage, name="routage"),
    path("recues/", views.recue_list, name="recue_list"),
    path("recues/<int:pk>/", views.recue_detail, name="recue_detail"),
    path("recues/<int:pk>/pdf/", views.recue_pdf, name="recue_pdf"),
    path("recues/<int:pk>/approuver/", views.recue_approuver, name="recue_approuver"),
    path("recues/<int:pk>/refuser/", views.recue_refuser, name="recue_refuser"),
    path("recues/<int:pk>/payer/", views.recue_payer, name="recue_payer"),
]
