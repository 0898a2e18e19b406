from django.urls import path

from comptabilite import views

app_name = "comptabilite"

urlpatterns = [
    path("integrite/", views.integrite, name="integrite"),
    path("integrite/lancer/", views.integrite_lancer, name="integrite_lancer"),
    path("evenements/", views.evenements, name="evenements"),
    path("clotures/", views.clotures, name="clotures"),
    path("clotures/cloturer/", views.cloture_creer, name="cloture_creer"),
    path("clotures/premier-exercice/", views.premier_exercice, name="premier_exercice"),
    path("clotures/<int:pk>/pdf/", views.cloture_pdf, name="cloture_pdf"),
    path("clotures/<int:pk>/archiver/", views.cloture_archiver, name="cloture_archiver"),
    path("clotures/archives/<int:pk>/", views.archive_telecharger, name="archive_telecharger"),
]

# The books (journaux comptables VT and BQ).
from comptabilite.livres import views as livres  # noqa: E402

urlpatterns += [
    path("livres/", livres.ecritures, name="ecritures"),
    path("livres/grand-livre/", livres.grand_livre_vue, name="grand_livre"),
    path("livres/tva/", livres.tva, name="tva"),
    path("livres/comptes/", livres.comptes, name="comptes"),
    path("livres/fec/", livres.fec, name="fec"),
    path("livres/fec/<str:run_id>/<str:which>/", livres.fec_telecharger, name="fec_telecharger"),
]
