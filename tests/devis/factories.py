"""Quotes for the tests: a draft that carries every mandatory item, sent, accepted."""

from datetime import date
from decimal import Decimal

from devis import services
from tests import factories

TERMS = {
    "start_date": date(2026, 12, 14),
    "duration": "3 jours",
    "payment_terms": "30 % à la commande, le solde à la fin des travaux, par virement.",
    "execution_terms": "Travaux réalisés sur site, aux heures ouvrables.",
    "after_sales_terms": "Réclamations par écrit sous 8 jours ; garantie de parfait achèvement.",
    "price_revision_terms": "Prix fermes pendant la durée de validité.",
    "deposit_percent": Decimal("30"),
    "cgv": "Conditions générales : paiement à réception de facture.",
}


def lines():
    return [
        factories.line("Peinture murale", quantity="20", unit_price="25", unit="m²"),
        factories.line(
            "Pose", quantity="8", unit_price="45", unit="heure", category="main_oeuvre"
        ),  # fmt: skip
        factories.line(
            "Déplacement", quantity="1", unit_price="30", unit="forfait", category="deplacement"
        ),  # fmt: skip
        factories.line(
            "Vernis de protection", quantity="20", unit_price="10", unit="m²", optional=True
        ),  # fmt: skip
    ]


def draft(company, client=None, lines_=None, opportunite=None, **fields):
    client = client or factories.business_client(company, email="client@example.com")
    return services.devis_creer(
        company=company, client=client, user=None, fields={**TERMS, **fields},
        lines=lines_ if lines_ is not None else lines(), opportunite=opportunite,
    )  # fmt: skip


def sent(company, client=None, lines_=None, today=None, **fields):
    """A sent quote; `today` is the day it was sent (its validity runs from then)."""
    devis = draft(company, client, lines_, **fields)
    services.devis_envoyer(
        devis=devis, user=None, recipients=[devis.client.email or "client@example.com"],
        subject="Devis", body="Bonjour", today=today,
    )  # fmt: skip
    devis.refresh_from_db()
    return devis


def accepted(company, client=None, options=(), **fields):
    devis = sent(company, client, **fields)
    devis = services.devis_pdf_generer(devis_id=devis.pk)
    services.devis_accepter(
        devis=devis, name="Jeanne Client", consent=True, options=list(options),
        pdf_sha256=devis.pdf_sha256, ip="203.0.113.7", user_agent="pytest",
    )  # fmt: skip
    devis.refresh_from_db()
    return devis
