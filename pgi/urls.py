from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from comptabilite import views as comptabilite_views
from facturation import views as facture_views
from pgi.api import api
from pgi.views import auth, company, signup
from pgi.views.api_docs import api_docs

urlpatterns = [
    path("", comptabilite_views.tableau_de_bord, name="home"),
    path("connexion/", auth.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "mot-de-passe/oubli/",
        auth.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "mot-de-passe/envoye/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/termine/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("inscription/", signup.signup, name="signup"),
    path("inscription/confirmer/<str:token>/", signup.email_verify, name="email_verify"),
    path(
        "inscription/renvoyer/", signup.email_verification_resend, name="email_verification_resend"
    ),
    path("premiers-pas/masquer/", signup.checklist_hide, name="checklist_hide"),
    path("invitation/<str:token>/", auth.invitation_accept_view, name="invitation_accept"),
    path("societe/changer/", company.company_switch, name="company_switch"),
    path("societe/nouvelle/", company.company_create, name="company_create"),
    path("parametres/", company.company_settings, name="company_settings"),
    path("parametres/membres/", company.members, name="members"),
    path("parametres/membres/<int:pk>/role/", company.member_role, name="member_role"),
    path(
        "parametres/invitations/<int:pk>/annuler/",
        company.invitation_cancel,
        name="invitation_cancel",
    ),
    path("parametres/api/", company.api_tokens, name="api_tokens"),
    path("parametres/api/<int:pk>/revoquer/", company.api_token_revoke, name="api_token_revoke"),
    path("clients/", include("crm.urls")),
    path("pipeline/", include("crm.pipeline_urls")),
    path("portail/", include("crm.portail_urls")),
    path("devis/", include("devis.urls")),
    path("factures/", include("facturation.urls")),
    path("encaissements/", include("encaissement.urls")),
    path("creances/", include("encaissement.relances.urls")),
    path("q/<str:token>/", include("devis.public_urls")),
    path("d/<str:token>/", facture_views.facture_public, name="facture_public"),
    path("d/<str:token>/pdf/", facture_views.facture_public_pdf, name="facture_public_pdf"),
    path("d/<str:token>/paiement/", include("encaissement.public_urls")),
    path("d/<str:token>/relances/", include("encaissement.relances.public_urls")),
    path("webhooks/paiement/", include("encaissement.webhook_urls")),
    path("webhooks/plateforme/", include("facturation.plateforme.webhook_urls")),
    path("facturation-electronique/", include("facturation.plateforme.urls")),
    path("d/<str:token>/logo/", facture_views.facture_public_logo, name="facture_public_logo"),
    path("d/<str:token>/marque.css", facture_views.facture_public_css, name="facture_public_css"),
    path("comptabilite/", include("comptabilite.urls")),
    path("tableaux/", include("comptabilite.tableaux.urls")),
    path("api/v1/docs", api_docs, name="api_docs"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/login/", auth.admin_login),  # throttled, before the admin's own
    path("admin/", admin.site.urls),
]

# No route to MEDIA_ROOT, in development either: stored PDFs and archives are served only by
# views that check the company and the role (issue #15: /media/factures/….pdf answered 200
# to anyone). In production, the web server must not serve MEDIA_ROOT either.

handler403 = "pgi.views.auth.error_403"
handler404 = "pgi.views.auth.error_404"
handler500 = "pgi.views.auth.error_500"
