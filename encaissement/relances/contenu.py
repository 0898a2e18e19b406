"""What a reminder says: the variables of one invoice on one day, and the rendered texts."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import F, Q, Sum
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape, urlize
from django.utils.safestring import mark_safe

from encaissement.models import (
    Affectation,
    Canal,
    Imputation,
    NiveauRelance,
    Relance,
    ScenarioRelance,
)
from encaissement.relances.penalites import (
    INTERET_LEGAL,
    Bareme,
    Penalites,
    TauxManquant,
    half_year_start,
    penalites_calculer,
)
from encaissement.relances.scenario import render_template
from facturation.models import Facture, Kind, Status
from facturation.public import public_url
from pgi.money import ZERO, format_eur, format_number, to_decimal


def soldes(facture: Facture) -> list[tuple[date, Decimal]]:
    """What was owed on the invoice from each date on: its total, less its issued credit
    notes (on their issue date), what was allocated to it (on the payment's date) and the
    credit notes set against it (on the day they were)."""
    changes: dict[date, Decimal] = {}
    credits = (
        Facture.objects.filter(origin=facture, kind=Kind.CREDIT_NOTE, status=Status.ISSUED)
        .values("issue_date")
        .annotate(total=Sum("total_incl_vat"))
    )
    for row in credits:
        changes[row["issue_date"]] = changes.get(row["issue_date"], ZERO) + row["total"]
    paid = (
        Affectation.objects.filter(facture=facture)
        .values(day=F("paiement__date"))
        .annotate(total=Sum("amount"))
    )
    for row in paid:
        changes[row["day"]] = changes.get(row["day"], ZERO) + row["total"]
    # A credit note of this invoice set against another one moves that part back here; one
    # of another invoice set against this one reduces it (encaissement.selectors, IMPUTATIONS).
    for imputation in Imputation.objects.filter(Q(facture=facture) | Q(avoir__origin=facture)):
        day = timezone.localdate(imputation.created_at)
        sign = 1 if imputation.facture_id == facture.pk else -1
        changes[day] = changes.get(day, ZERO) + sign * imputation.amount
    owed = facture.total_incl_vat
    balances = [(date.min, owed)]
    for day in sorted(changes):
        owed -= changes[day]
        balances.append((day, owed))
    return balances


def penalites_facture(
    facture: Facture, *, today: date, mode: str, bareme: Bareme | None = None
) -> Penalites:
    """Late penalties of `facture` up to `today`. A business customer owes them from the
    due date (C. com. L441-10) with the 40 € indemnity; a private customer owes only the
    legal interest, from the formal notice on (C. civ. 1231-6; LEGAL.md §6): nothing before
    the notice letter was made."""
    seller = facture.seller or {}
    buyer = facture.buyer or {}
    rate = seller.get("late_penalty_rate")
    indemnity = seller.get("recovery_indemnity")
    business = buyer.get("kind", "entreprise") == "entreprise"
    start = facture.due_date
    if not business:
        notice = (
            Relance.objects.filter(facture=facture, channel=Canal.LETTRE)
            .values_list("planned_for", flat=True)
            .first()
        )
        if notice is None:
            return Penalites(periods=[], interest=ZERO, indemnity=ZERO)
        start, mode = max(notice, facture.due_date), INTERET_LEGAL
    return penalites_calculer(
        due_date=start, as_of=today, balances=soldes(facture),
        bareme=bareme or Bareme.load(), mode=mode,
        invoice_rate=to_decimal(rate) if rate else None,
        business=business, indemnity=to_decimal(indemnity) if indemnity else None,
    )  # fmt: skip


def _date(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


@dataclass(frozen=True)
class Contenu:
    subject: str
    body: str
    amount_due: Decimal
    penalties: Decimal
    indemnity: Decimal
    link: str


def contenu_relance(
    facture: Facture, niveau: NiveauRelance, *, today: date, bareme: Bareme | None = None
) -> Contenu:
    """The subject and text of `niveau` for `facture` (annotated with `amount_due`) today."""
    company = facture.company
    scenario: ScenarioRelance = niveau.scenario
    bareme = bareme or Bareme.load()
    pen = penalites_facture(facture, today=today, mode=scenario.penalty_mode, bareme=bareme)
    late = max((today - facture.due_date).days, 0)
    amount_due = facture.amount_due
    half = half_year_start(max(today, facture.due_date))
    seller = facture.seller or {}
    try:
        business = (facture.buyer or {}).get("kind", "entreprise") == "entreprise"
        rate = bareme.annual_rate(
            half, mode=scenario.penalty_mode if business else INTERET_LEGAL,
            invoice_rate=to_decimal(seller["late_penalty_rate"])
            if seller.get("late_penalty_rate") else None,
        )  # fmt: skip
        rate_text = f"{format_number(rate, min_places=2)}\u202f%"
    except TauxManquant:
        # Not late yet (a late invoice already raised above): no rate to print.
        rate_text = ""
    link = public_url(facture)
    contact = " · ".join(filter(None, [company.email, company.phone]))
    values = {
        "client": facture.client.name,
        "numero": facture.number,
        "date_emission": _date(facture.issue_date),
        "montant_ttc": format_eur(facture.total_incl_vat),
        "montant_du": format_eur(amount_due),
        "echeance": _date(facture.due_date),
        "jours_retard": str(late),
        "penalites": format_eur(pen.interest),
        "indemnite": format_eur(pen.indemnity),
        "total_reclame": format_eur(amount_due + pen.total),
        "taux_penalites": rate_text,
        "lien_paiement": link,
        "societe": company.display_name,
        "contact": contact,
    }
    return Contenu(
        subject=render_template(niveau.subject, values),
        body=render_template(niveau.body, values),
        amount_due=amount_due,
        penalties=pen.interest,
        indemnity=pen.indemnity,
        link=link,
    )


def html_body(*, body: str, company, link: str) -> str:
    """The HTML part: the same text, escaped, its links clickable, under the company's
    name in its brand colour, with a "Payer en ligne" button."""
    paragraphs = [
        mark_safe(urlize(escape(block)).replace("\n", "<br>"))  # noqa: S308 (escaped above)
        for block in body.split("\n\n")
    ]
    return render_to_string(
        "encaissement/relances/email.html",
        {"paragraphs": paragraphs, "company": company, "link": link},
    )
