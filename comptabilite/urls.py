from django.urls import path

from comptabilite import views

app_name = "comptabilite"

urlpatterns = [
    path("integrite/", views.integrite, name="integrite"),
    path("integrite/lancer/", views.integrite_lancer, name="integrite_lancer"),
    path("journal/", views.journal, name="journal"),
]
