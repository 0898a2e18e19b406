"""The "Devis" section of an invoice's page (registered with `facturation.panels`): the quote
an invoice was made from, so the link reads both ways; and the customer page's quotes."""

from crm.models import Client, Opportunite
from crm.panels import (
    ClientPanel,
    OpportunitePanel,
    PortailPanel,
    register_client_panel,
    register_opportunite_panel,
    register_portail_panel,
)
from devis import selectors
from devis.models import OPEN_STATES, DevisFacture
from facturation.models import Facture
from facturation.panels import FacturePanel, register_facture_panel
from pgi.panels import Panel, dashboard_panels


def _devis(request, facture: Facture) -> dict:
    lien = DevisFacture.objects.filter(facture=facture).select_related("devis").first()
    return {"lien": lien}


register_facture_panel(FacturePanel(template="devis/_facture_devis.html", context=_devis))


def _client_devis(request, client: Client) -> dict:
    quotes = selectors.devis_lister(company=request.company).filter(client=client)
    return {"devis": quotes[:20], "client": client}


# The customer page's "Devis" section (crm.panels).
register_client_panel(ClientPanel(template="devis/_client_devis.html", context=_client_devis))


def _tableau_devis(request, periode) -> dict:
    figures = selectors.devis_signes_envoyes(
        company=request.company, start=periode.start, end=periode.end
    )
    return {"figures": figures}


# The sales dashboard's "quotes signed / sent" section (pgi.panels.dashboard_panels, issue #19).
dashboard_panels.register(Panel(template="devis/_tableau_devis.html", context=_tableau_devis))


def _opportunite_devis(request, opportunite: Opportunite) -> dict:
    quotes = selectors.devis_lister(company=request.company).filter(opportunite=opportunite)
    return {"devis": quotes[:20], "opportunite": opportunite}


# An opportunity's page (crm.panels): "Créer un devis" and the quotes made from it.
register_opportunite_panel(
    OpportunitePanel(template="devis/_opportunite_devis.html", context=_opportunite_devis)
)


def _portail(request, client: Client) -> dict:
    """The quotes sent to the portal's customer (its own only: `client` is the link's), the
    newest version of each, with the customer's page where it accepts and the PDF."""
    from django.urls import reverse

    from devis.models import Devis, Statut
    from devis.public import public_token

    quotes = (
        Devis.objects.filter(company_id=client.company_id, client=client)
        .exclude(status__in=(Statut.DRAFT, Statut.SUPERSEDED))
        .select_related("origine")
        .order_by("-issue_date", "-pk")[:200]
    )
    rows = []
    for devis in quotes:
        token = public_token(devis)
        rows.append({
            "devis": devis, "url": reverse("devis_public", args=[token]),
            "pdf": reverse("devis_public_pdf", args=[token]),
            "open": devis.status in OPEN_STATES,
        })  # fmt: skip
    return {"rows": rows}


# The customer portal's "Devis" section (crm.panels, issue #20).
register_portail_panel(PortailPanel(template="devis/portail/_devis.html", context=_portail))
