"""The REST API (django-ninja) under /api/v1/, authenticated by personal tokens."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.security import HttpBearer

from pgi.exceptions import DomainError
from pgi.money import format_number
from pgi.permissions import Perm
from pgi.services import api_token_authenticate


class TokenAuth(HttpBearer):
    """`Authorization: Bearer enc_…`; sets request.membership and request.company."""

    def authenticate(self, request, token: str):
        api_token = api_token_authenticate(token)
        if api_token is None:
            return None
        request.membership = api_token.membership
        request.company = api_token.membership.company
        request.user = api_token.membership.user
        return api_token


def require(request, perm: Perm) -> None:
    if not request.membership.has_perm(perm):
        raise PermissionDenied


api = NinjaAPI(
    title="Encaisse API",
    version="1",
    description="API d'Encaisse : chaque jeton agit pour une société, avec les droits de son rôle.",
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url=None,  # served by pgi.views.api_docs from our own static files, under our CSP
)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return api.create_response(
        request, {"detail": exc.problems, "fields": exc.field_errors}, status=422
    )


@api.exception_handler(RequestDataTooBig)
def body_too_big(request, exc):
    """413 in JSON, not Django's HTML 400 page (issue #15)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
    detail = _("Requête trop volumineuse : %(max)s Mo au plus.") % {
        "max": format_number(limit, max_places=1)
    }
    return api.create_response(request, {"detail": detail}, status=413)


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc):
    return api.create_response(
        request, {"detail": "Action non autorisée pour ce rôle."}, status=403
    )


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": "Introuvable."}, status=404)


def _register_routers() -> None:
    # The kernel's only upward imports, with the root URLs (import-linter's exceptions): the
    # apps' routers are imported when the API is registered, not when the kernel loads.
    from comptabilite.api import livres_router
    from comptabilite.api import router as registre_router
    from comptabilite.tableaux.api import router as tableaux_router
    from crm.api import activites_router, contacts_router, fil_router, pipeline_router
    from crm.api import router as crm_router
    from devis.api import router as devis_router
    from encaissement.api import liens_router, paiements_router, soldes_router
    from encaissement.relances.api import router as relances_router
    from encaissement.releves.api import router as releves_router
    from facturation.api import articles_router, factures_router, recues_router, statuts_router

    api.add_router("/clients", crm_router)
    api.add_router("/clients", fil_router)
    api.add_router("/contacts", contacts_router)
    api.add_router("/opportunites", pipeline_router)
    api.add_router("/activites", activites_router)
    api.add_router("/articles", articles_router)
    api.add_router("/factures", factures_router)
    api.add_router("/devis", devis_router)
    api.add_router("/registre", registre_router)
    api.add_router("/livres", livres_router)
    api.add_router("/releves", releves_router)
    api.add_router("/paiements", paiements_router)
    api.add_router("/clients", soldes_router)
    api.add_router("/factures", liens_router)
    api.add_router("/relances", relances_router)
    api.add_router("/factures", statuts_router)
    api.add_router("/factures-recues", recues_router)
    api.add_router("/tableaux", tableaux_router)


_register_routers()
