"""The customer page's "Factures et avoirs" section (registered with `crm.panels`), and the
sections that the apps above facturation add to an invoice's page (payments today): they
register them from their `AppConfig.ready`, facturation imports none of them."""

from decimal import Decimal

from django.db.models import F
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from crm.models import Client
from crm.panels import ClientPanel, PortailPanel, register_client_panel, register_portail_panel
from facturation.models import Facture, Kind, Status
from facturation.selectors import facture_lister, with_amount_due
from pgi.panels import Panel, Panels


def _factures(request, client: Client) -> dict:
    return {"factures": facture_lister(company=request.company).filter(client=client)[:20]}


register_client_panel(ClientPanel(template="facturation/_client_factures.html", context=_factures))


def _portail(request, client: Client) -> dict:
    """The customer portal's invoices and credit notes: the link's customer's only, issued,
    each with its own customer page (to pay) and PDF."""
    from facturation.public import public_token

    today = timezone.localdate()
    rows = []
    factures = (
        with_amount_due(Facture.objects.filter(company_id=client.company_id, client=client,
                                               status=Status.ISSUED))
        .annotate(link_version=Coalesce(F("lien_client__version"), 1))
        .order_by("-issue_date", "-pk")[:200]
    )  # fmt: skip
    for f in factures:
        token = public_token(f, version=f.link_version)
        paid = f.kind == Kind.CREDIT_NOTE or f.amount_due <= 0
        rows.append({
            "facture": f, "url": reverse("facture_public", args=[token]),
            "pdf": reverse("facture_public_pdf", args=[token]), "paid": paid,
            "late": not paid and f.due_date is not None and f.due_date < today,
        })  # fmt: skip
    due = sum((r["facture"].amount_due for r in rows if not r["paid"]), Decimal("0"))
    return {"rows": rows, "due": due}


register_portail_panel(
    PortailPanel(template="facturation/portail/_factures.html", context=_portail)
)


FacturePanel = Panel
FACTURE_PANELS = Panels()
register_facture_panel = FACTURE_PANELS.register


def facture_panels(request: HttpRequest, facture: Facture) -> list[tuple[str, dict]]:
    return FACTURE_PANELS.render(request, facture)


# Sections that the apps above facturation add to the customer's page of a document (the
# payment section of `encaissement`); the page's own context (`facture`, `token`) is there
# too when they are included.
PublicPanel = Panel
PUBLIC_PANELS = Panels()
register_public_panel = PUBLIC_PANELS.register


def public_panels(request: HttpRequest, facture: Facture) -> list[tuple[str, dict]]:
    return PUBLIC_PANELS.render(request, facture)
