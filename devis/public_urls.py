"""The customer's page of a quote, under its signed link `/q/<token>/`."""

from django.urls import path

from devis import views

urlpatterns = [
    path("", views.devis_public, name="devis_public"),
    path("accepter/", views.devis_public_accept, name="devis_public_accept"),
    path("refuser/", views.devis_public_refuse, name="devis_public_refuse"),
    path("vu/", views.devis_public_vu, name="devis_public_vu"),
    path("pdf/", views.devis_public_pdf, name="devis_public_pdf"),
    path("logo/", views.devis_public_logo, name="devis_public_logo"),
    path("marque.css", views.devis_public_css, name="devis_public_css"),
]
