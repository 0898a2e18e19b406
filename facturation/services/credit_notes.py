"""Credit notes (avoirs): never more than what is left of the invoice."""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from facturation.exceptions import FactureError
from facturation.models import (
    Facture,
    Kind,
    LigneFacture,
    Status,
)
from pgi.lignes import line_values
from pgi.models import User
from pgi.money import ZERO, cents
from pgi.totals import compute_totals


def _credit_problems(avoir: Facture, lines: list[LigneFacture]) -> list[str]:
    """A credit note never credits more than what is left of its invoice."""
    origin = avoir.origin
    if origin is None or origin.status != Status.ISSUED or origin.kind == Kind.CREDIT_NOTE:
        return [_("Un avoir doit corriger une facture émise.")]
    problems = []
    credited = (
        Facture.objects.filter(
            origin=origin, kind=Kind.CREDIT_NOTE, status=Status.ISSUED
        ).aggregate(total=Sum("total_incl_vat"))["total"]
        or ZERO
    )
    # Per line: never more than the quantity invoiced, credit notes already issued included.
    for line in lines:
        if not line.origin_line_id:
            continue
        already = LigneFacture.objects.filter(
            origin_line_id=line.origin_line_id,
            facture__status=Status.ISSUED, facture__kind=Kind.CREDIT_NOTE,
        ).exclude(facture_id=avoir.pk).aggregate(q=Sum("quantity"))["q"] or ZERO  # fmt: skip
        invoiced = line.origin_line.quantity
        if already + line.quantity > invoiced:
            problems.append(
                _("« %(d)s » : %(q)s au plus restent à créditer.")
                % {"d": line.designation, "q": (invoiced - already).normalize()}
            )
    this_total = compute_totals(lines).total_incl_vat
    if credited + this_total > origin.total_incl_vat:
        problems.append(
            _("L'avoir (%(a)s €) dépasse le reste à créditer de %(n)s (%(r)s €).")
            % {"a": this_total, "n": origin.number, "r": origin.total_incl_vat - credited}
        )
    return problems


@transaction.atomic
def avoir_creer(
    *, facture: Facture, user: User | None, quantities: dict[int, Decimal] | None = None,
    amount_excl_vat: Decimal | None = None, vat_rate: Decimal | None = None, reason: str = "",
) -> Facture:  # fmt: skip
    """A draft credit note for an issued invoice: all of it, some lines, or an amount."""
    if facture.status != Status.ISSUED or facture.kind == Kind.CREDIT_NOTE:
        raise FactureError(_("Un avoir se fait sur une facture émise."))
    origin_lines = list(facture.lines.all())
    avoir = Facture(
        company_id=facture.company_id, client_id=facture.client_id, kind=Kind.CREDIT_NOTE,
        origin=facture, created_by=user,
        subject=reason or _("Avoir sur la facture %(n)s") % {"n": facture.number},
    )  # fmt: skip
    avoir.save()
    lines: list[dict[str, Any]] = []
    if amount_excl_vat is not None:
        rates = {line.vat_rate for line in origin_lines}
        rate = vat_rate if vat_rate is not None else (max(rates) if rates else Decimal("20"))
        if rate not in rates:
            raise FactureError(_("Le taux de TVA de l'avoir doit être l'un de ceux de la facture."))
        if amount_excl_vat <= 0:
            raise FactureError(_("Le montant de l'avoir doit être positif."))
        lines.append(
            {
                "designation": reason
                or _("Avoir commercial sur la facture %(n)s") % {"n": facture.number},
                "quantity": Decimal("1"), "unit": "forfait", "unit_price": cents(amount_excl_vat),
                "vat_rate": rate, "nature": origin_lines[0].nature if origin_lines else "service",
                "vat_exemption_reason": next(
                    (ln.vat_exemption_reason for ln in origin_lines if ln.vat_rate == rate), ""
                ),
            }
        )  # fmt: skip
    else:
        wanted = (
            quantities
            if quantities is not None
            else {line.pk: line.quantity for line in origin_lines}
        )
        by_pk = {line.pk: line for line in origin_lines}
        for pk, quantity in wanted.items():
            if pk not in by_pk:
                raise FactureError(_("Ligne inconnue sur cette facture."))
            if quantity <= 0:
                continue
            line = by_pk[pk]
            if quantity > line.quantity:
                raise FactureError(
                    _("« %(d)s » : %(q)s au plus.") % {"d": line.designation, "q": line.quantity}
                )
            lines.append(
                line_values(line)
                | {"deposit": line.deposit, "quantity": quantity, "origin_line": line}
            )
        if not lines:
            raise FactureError(_("Choisissez au moins une ligne à créditer."))
    built = []
    for position, data in enumerate(lines, start=1):
        origin_line = data.pop("origin_line", None)
        built.append(
            LigneFacture(
                company_id=facture.company_id,
                facture=avoir,
                position=position,
                origin_line=origin_line,
                **data,
            )  # fmt: skip
        )
    LigneFacture.objects.bulk_create(built)
    problems = _credit_problems(avoir, built)
    if problems:
        raise FactureError(problems)
    return avoir
