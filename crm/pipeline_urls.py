from django.urls import path

from crm import pipeline_views as views

app_name = "pipeline"

urlpatterns = [
    path("", views.tableau, name="tableau"),
    path("liste/", views.opportunite_list, name="opportunite_list"),
    path("nouvelle/", views.opportunite_create, name="opportunite_create"),
    path("<int:pk>/", views.opportunite_detail, name="opportunite_detail"),
    path("<int:pk>/modifier/", views.opportunite_update, name="opportunite_update"),
    path("<int:pk>/deplacer/", views.opportunite_move, name="opportunite_move"),
    path("<int:pk>/gagner/", views.opportunite_win, name="opportunite_win"),
    path("<int:pk>/perdre/", views.opportunite_lose, name="opportunite_lose"),
    path("etapes/", views.etapes, name="etapes"),
    path("etapes/defaut/", views.etapes_init, name="etapes_init"),
    path("etapes/<int:pk>/", views.etape_update, name="etape_update"),
    path("etapes/<int:pk>/supprimer/", views.etape_delete, name="etape_delete"),
    path("activites/nouvelle/", views.activite_create, name="activite_create"),
    path("activites/<int:pk>/faite/", views.activite_done, name="activite_done"),
    path("taches/", views.taches, name="taches"),
    path("statistiques/", views.statistiques, name="statistiques"),
]
