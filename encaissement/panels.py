"""What payments add to the layers below, registered at start-up (`EncaissementConfig.ready`):
the amount settled in facturation's one "reste dû", the payments on an invoice's page, and the
payments and credit on a customer's page. (The invoice's history is the customer's activity
feed, written by the services: pgi.activite.)"""

from crm.models import Client
from crm.panels import ClientPanel, register_client_panel
from encaissement import public
from encaissement.models import Imputation
from encaissement.selectors import (
    IMPUTATIONS_FAITES,
    IMPUTATIONS_RECUES,
    MONTANT_REGLE,
    affectations_de_facture,
    paiement_lister,
    solde_client,
)
from encaissement.services import avoir_disponible
from facturation.models import Facture, Kind, Status
from facturation.panels import (
    FacturePanel,
    PublicPanel,
    register_facture_panel,
    register_public_panel,
)
from facturation.selectors import facture_lister, register_settlement
from pgi.permissions import Perm

for reduction in (MONTANT_REGLE, IMPUTATIONS_RECUES, IMPUTATIONS_FAITES):
    register_settlement(reduction)


def _facture_panel(request, facture: Facture) -> dict:
    issued = facture.status == Status.ISSUED
    payable = issued and facture.kind != Kind.CREDIT_NOTE
    can_record = request.membership.has_perm(Perm.COMMERCIAL_WRITE)
    context = {
        "payable": payable,
        "affectations": list(affectations_de_facture(facture)) if payable else [],
        "can_record": can_record,
        "credit_note": issued and facture.kind == Kind.CREDIT_NOTE,
    }
    if context["credit_note"]:
        context["imputations"] = list(
            Imputation.objects.filter(avoir=facture).select_related("facture")
        )
        context["available"] = avoir_disponible(facture)
        if can_record and context["available"] > 0:
            context["targets"] = [
                f
                for f in facture_lister(company=request.company, status=Status.ISSUED)
                .filter(client_id=facture.client_id, amount_due__gt=0)
                .exclude(kind=Kind.CREDIT_NOTE)
                .order_by("due_date", "pk")
                if f.pk != facture.origin_id
            ]
    return context


def _client_panel(request, client: Client) -> dict:
    return {
        "paiements": paiement_lister(company=request.company, client=client)[:20],
        "credit": solde_client(client),
        "can_record": request.membership.has_perm(Perm.COMMERCIAL_WRITE),
    }


register_facture_panel(
    FacturePanel(template="encaissement/_facture_paiements.html", context=_facture_panel)
)
register_client_panel(
    ClientPanel(template="encaissement/_client_paiements.html", context=_client_panel)
)


register_public_panel(PublicPanel(template="encaissement/public/_payer.html",
                                  context=public.panel_context))  # fmt: skip
