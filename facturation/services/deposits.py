"""Deposit invoices (acomptes) and their deduction on the final invoice."""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from crm.models import Client
from facturation.exceptions import FactureError
from facturation.models import (
    Facture,
    Kind,
    LigneFacture,
    Status,
)
from facturation.services.drafts import _check_client, _ensure_draft, facture_creer
from pgi.locks import lock_draft
from pgi.models import Company, User
from pgi.money import ZERO, cents
from pgi.totals import compute_totals, line_totals


@transaction.atomic
def acompte_creer(
    *, company: Company, client: Client, user: User | None, facture: Facture | None = None,
    percent: Decimal | None = None, amount_excl_vat: Decimal | None = None,
    vat_rate: Decimal = Decimal("20.00"),
) -> Facture:  # fmt: skip
    """A draft deposit invoice: a percentage of a draft invoice (one line per VAT rate, so the
    deposit carries the invoice's VAT breakdown) or an amount excl. VAT at one rate."""
    _check_client(company, client)
    lines: list[dict[str, Any]] = []
    if percent is not None:
        if facture is None or not (Decimal("0") < percent <= Decimal("100")):
            raise FactureError(
                _("Un acompte en pourcentage se calcule sur une facture, de 0 à 100 %.")
            )
        source = list(facture.lines.filter(deposit__isnull=True))
        totals = compute_totals(source)
        bases: dict[Decimal, tuple[Decimal, LigneFacture]] = {}
        for line, lt in zip(source, totals.lines, strict=True):
            base, first = bases.get(line.vat_rate, (ZERO, line))
            bases[line.vat_rate] = (base + lt.net, first)
        for rate, (base, first) in sorted(bases.items(), reverse=True):
            lines.append({
                "designation": _("Acompte de %(p)s %% — %(s)s")
                % {"p": format(percent.normalize(), "f"), "s": facture.subject or _("commande")},
                "quantity": Decimal("1"), "unit": "forfait",
                "unit_price": cents(base * percent / Decimal("100")), "vat_rate": rate,
                "nature": first.nature, "vat_exemption_reason": first.vat_exemption_reason,
            })  # fmt: skip
    elif amount_excl_vat is not None and amount_excl_vat > 0:
        lines.append({
            "designation": _("Acompte"), "quantity": Decimal("1"), "unit": "forfait",
            "unit_price": cents(amount_excl_vat), "vat_rate": vat_rate,
        })  # fmt: skip
    else:
        raise FactureError(_("Indiquez un pourcentage ou un montant d'acompte."))
    return facture_creer(
        company=company, client=client, user=user, kind=Kind.DEPOSIT, lines=lines,
        fields={"subject": (facture.subject if facture else "") or _("Acompte")},
    )  # fmt: skip


def acomptes_a_deduire(*, facture: Facture):
    """Issued deposits of this customer that no invoice deducts yet."""
    return (
        Facture.objects.filter(
            company_id=facture.company_id, client_id=facture.client_id,
            kind=Kind.DEPOSIT, status=Status.ISSUED,
        )
        .exclude(deductions__isnull=False)
        .order_by("issue_date", "number")
    )  # fmt: skip


@transaction.atomic
def facture_deduire_acomptes(*, facture: Facture, deposits: list[Facture]) -> Facture:
    """Adds to a draft invoice one negative line per VAT rate of each deposit:
    « Acompte n° AC-… du JJ/MM/AAAA », so the final VAT breakdown nets the deposits."""
    facture = lock_draft(Facture, facture.pk)
    _ensure_draft(facture)
    if facture.kind != Kind.INVOICE:
        raise FactureError(_("Seule une facture peut déduire des acomptes."))
    # Reloaded from the database: what counts is the deposit as issued, not the caller's copy.
    available = {d.pk: d for d in acomptes_a_deduire(facture=facture)}
    position = facture.lines.count()
    new_lines = []
    for wanted in deposits:
        deposit = available.get(wanted.pk)
        if deposit is None:
            raise FactureError(
                _("L'acompte %(n)s n'est pas déductible (autre client, non émis ou déjà déduit).")
                % {"n": wanted.number or wanted.pk}
            )
        for line in deposit.lines.all():
            position += 1
            new_lines.append(LigneFacture(
                company_id=facture.company_id, facture=facture, position=position, deposit=deposit,
                designation=_("Acompte n° %(n)s du %(d)s")
                % {"n": deposit.number, "d": deposit.issue_date.strftime("%d/%m/%Y")},
                quantity=Decimal("-1"), unit="forfait",
                unit_price=line_totals(
                    quantity=line.quantity, unit_price=line.unit_price,
                    discount_rate=line.discount_rate,
                ).net,
                vat_rate=line.vat_rate, nature=line.nature,
                vat_exemption_reason=line.vat_exemption_reason,
            ))  # fmt: skip
    LigneFacture.objects.bulk_create(new_lines)
    return facture
