from django.urls import path

from crm import portail_views as views

urlpatterns = [
    path("<str:token>/", views.portail, name="portail"),
    path("<str:token>/nouveau-lien/", views.portail_renouveler, name="portail_renouveler"),
]
