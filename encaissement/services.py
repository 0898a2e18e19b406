"""Recording payments, allocating them to issued invoices, reversing them.

Lock order (pgi.locks): the invoices paid (by primary key), then the numbering counter, then
the register head. A payment and its allocations are sealed in one record, dated on the day
the money moved: a payment dated in a closed period is refused (CGI art. 286-I-3° bis).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm.models import Client
from encaissement.models import Affectation, Imputation, Method, Paiement
from facturation.activite import facture_activite
from facturation.models import Facture, Kind, Status
from facturation.plateforme.services import encaissee_corriger, encaissee_transmettre
from facturation.selectors import with_amount_due
from pgi import registre
from pgi.activite import activite_ecrire
from pgi.exceptions import DomainError, PeriodeCloturee
from pgi.models import Company, FamilleActivite, RecordKind, User
from pgi.money import ZERO, cents, format_eur
from pgi.numbering import numero_attribuer
from pgi.text import clean_text
from pgi.totals import compute_totals, split_by_rate

SERIES = "encaissement"
# What the books post without a seal (pgi.registre.post).
ALLOCATION = "affectation"
IMPUTATION = "imputation"


class PaiementError(DomainError):
    pass


@dataclass(frozen=True)
class Allocation:
    """What the caller asks: this much of the payment on that invoice."""

    facture_id: int
    amount: Decimal


def _lock_invoices(company: Company, client: Client, ids: list[int]) -> dict[int, Facture]:
    """The invoices to allocate to, locked (a row lock, never an update: they are frozen), with
    what is still due on each, read after the lock so two payments cannot both settle it."""
    if not ids:
        return {}
    list(
        Facture.objects.filter(company=company, pk__in=ids)
        .order_by("pk")
        .select_for_update(of=("self",))
        .values_list("pk", flat=True)
    )
    invoices = {
        f.pk: f
        for f in with_amount_due(
            Facture.objects.filter(company=company, pk__in=ids).prefetch_related("lines")
        )
    }
    problems = []
    for pk in ids:
        facture = invoices.get(pk)
        if facture is None:
            problems.append(_("Facture introuvable."))
        elif facture.status != Status.ISSUED or facture.kind == Kind.CREDIT_NOTE:
            problems.append(
                _("%(f)s : seule une facture émise peut recevoir un paiement.") % {"f": facture}
            )
        elif facture.client_id != client.pk:
            problems.append(
                _("%(f)s n'est pas une facture de %(c)s.") % {"f": facture, "c": client.name}
            )
    if problems:
        raise PaiementError(problems)
    return invoices


def _ventilation(facture: Facture, amount: Decimal) -> list[dict]:
    breakdown = compute_totals(list(facture.lines.all())).breakdown
    return [
        {
            "rate": format(s.rate, "f"),
            "base": str(s.base),
            "vat": str(s.vat),
            "amount": str(s.amount),
        }
        for s in split_by_rate(amount, breakdown)
    ]


def _check_allocations(
    allocations: list[Allocation], invoices: dict[int, Facture], available: Decimal
) -> list[str]:
    problems = []
    total = ZERO
    seen = set()
    for allocation in allocations:
        facture = invoices[allocation.facture_id]
        if allocation.facture_id in seen:
            problems.append(_("%(f)s figure deux fois.") % {"f": facture})
        seen.add(allocation.facture_id)
        if allocation.amount <= 0:
            problems.append(_("%(f)s : le montant affecté doit être positif.") % {"f": facture})
        elif allocation.amount > facture.amount_due:
            problems.append(
                _("%(f)s : %(a)s affectés, mais il ne reste que %(d)s à payer.")
                % {"f": facture, "a": format_eur(allocation.amount),
                   "d": format_eur(max(facture.amount_due, ZERO))}
            )  # fmt: skip
        total += allocation.amount
    if total > available:
        problems.append(
            _("Les affectations (%(t)s) dépassent le montant disponible (%(a)s).")
            % {"t": format_eur(total), "a": format_eur(available)}
        )
    return problems


def _allocation_payload(affectation: Affectation) -> dict:
    return {
        "invoice": affectation.facture.number,
        "amount": str(affectation.amount),
        "vat": affectation.ventilation,
    }


def paiement_document(paiement: Paiement, affectations: list[Affectation]) -> dict:
    """What is sealed for a payment or a reversal (and rebuilt by the integrity check)."""
    return {
        "type": paiement.kind,
        "number": paiement.number,
        "date": paiement.date.isoformat(),
        "amount": str(paiement.amount),
        "method": paiement.method,
        "payer": paiement.payer,
        "reference": paiement.reference,
        "client": {"id": paiement.client_id, "name": paiement.client.name},
        "reverses": paiement.reverses.number if paiement.reverses_id else None,
        "allocations": [_allocation_payload(a) for a in affectations],
    }


def _seal(paiement: Paiement, affectations: list[Affectation]) -> None:
    try:
        registre.seal(
            company=paiement.company, kind=paiement.kind, reference=paiement.number,
            document=paiement_document(paiement, affectations), at=timezone.now(),
            dated=paiement.date,
        )  # fmt: skip
    except PeriodeCloturee as exc:
        raise PaiementError(exc.problems) from exc


def _feed(affectations: list[Affectation], user: User | None) -> None:
    """A line per invoice settled (or unsettled by a reversal) in the customer's feed."""
    for a in affectations:
        if a.amount > 0:
            summary, icon = gettext_noop("Paiement de %(a)s reçu (%(n)s)"), "cash-coin"
        else:
            summary, icon = gettext_noop("Paiement de %(a)s annulé (%(n)s)"), "x-circle"
        params = {"a": format_eur(abs(a.amount)), "n": a.paiement.number}
        facture_activite(a.facture, summary, params, icon=icon, famille=FamilleActivite.PAIEMENT,
                         user=user, at=a.created_at)  # fmt: skip


@transaction.atomic
def paiement_enregistrer(
    *, company: Company, user: User | None, client: Client, day: date, amount, method: str,
    payer: str = "", reference: str = "", notes: str = "",
    allocations: list[Allocation] = (),  # type: ignore[assignment]
) -> Paiement:  # fmt: skip
    """Records money received from `client`, allocated to some of its issued invoices; what is
    not allocated stays as the customer's credit, to allocate later (`paiement_affecter`)."""
    allocations = [Allocation(a.facture_id, cents(a.amount)) for a in allocations]
    problems = []
    amount = cents(amount)
    if client.company_id != company.pk:
        raise PaiementError(_("Client introuvable."))
    if amount <= 0:
        problems.append(_("Le montant de l'encaissement doit être positif."))
    if method not in Method.values:
        problems.append(_("Moyen de paiement inconnu."))
    if day > timezone.localdate():
        problems.append(_("Un encaissement ne peut pas être daté dans le futur."))
    invoices = _lock_invoices(company, client, [a.facture_id for a in allocations])
    problems += _check_allocations(allocations, invoices, amount)
    if problems:
        raise PaiementError(problems)
    paiement = Paiement.objects.create(
        company=company, kind=RecordKind.PAYMENT, client=client, date=day, amount=amount,
        method=method, payer=clean_text(payer, single_line=True),
        reference=clean_text(reference, single_line=True),
        notes=clean_text(notes, single_line=True),
        created_by=user, number=numero_attribuer(company=company, series=SERIES, day=day),
    )  # fmt: skip
    affectations = [
        Affectation.objects.create(
            company=company,
            paiement=paiement,
            facture=invoices[a.facture_id],
            amount=a.amount,
            ventilation=_ventilation(invoices[a.facture_id], a.amount),
            created_by=user,
            sealed=True,
        )  # fmt: skip
        for a in allocations
    ]
    _seal(paiement, affectations)
    _feed(affectations, user)
    if not affectations:  # all of it is the customer's credit
        activite_ecrire(
            company=company, client_id=client.pk, famille=FamilleActivite.PAIEMENT,
            summary=gettext_noop("Paiement de %(a)s reçu (%(n)s), en avoir du client"),
            params={"a": format_eur(amount), "n": paiement.number}, icon="cash-coin",
            url=client.get_absolute_url(), objet=paiement, reference=paiement.number, user=user,
        )  # fmt: skip
    _encaissees(paiement, affectations)
    return paiement


def _encaissees(paiement: Paiement, affectations: list[Affectation]) -> None:
    """Each allocation of money received sends one "encaissée" (212) status through the
    e-invoicing platform when the invoice calls for it (services, VAT due when cashed):
    once per allocation, with its date and its amount per VAT rate (LEGAL.md §3). Credit-note
    offsets (`avoir_imputer`) are no cashing and send none; a reversal (`paiement_annuler`)
    sends the opposite of each."""
    for affectation in affectations:
        encaissee_transmettre(
            facture=affectation.facture, key=f"affectation:{affectation.pk}", day=paiement.date,
            amount=affectation.amount, ventilation=affectation.ventilation,
            before=alloue_avant(affectation),
        )  # fmt: skip


def alloue_avant(affectation: Affectation) -> dict[Decimal, Decimal]:
    """What the earlier allocations (reversals included) put on each VAT rate of the invoice:
    a mixed invoice's services part is rounded on the cumulative amount (`part_services`).
    The invoice is locked: no allocation slips in between."""
    per_rate: dict[Decimal, Decimal] = {}
    earlier = Affectation.objects.filter(facture_id=affectation.facture_id, pk__lt=affectation.pk)
    for ventilation in earlier.values_list("ventilation", flat=True):
        for share in ventilation:
            rate = Decimal(share["rate"])
            per_rate[rate] = per_rate.get(rate, ZERO) + Decimal(share["amount"])
    return per_rate


def disponible(paiement: Paiement) -> Decimal:
    """What is left of a payment to allocate (its part of the customer's credit)."""
    allocated = sum((a.amount for a in paiement.affectations.all()), ZERO)
    return paiement.amount - allocated


@transaction.atomic
def paiement_affecter(
    *, paiement: Paiement, user: User | None, allocations: list[Allocation]
) -> list[Affectation]:
    """Allocates what is left of an earlier payment to issued invoices of the same customer.

    New allocation rows only (the sealed payment keeps what it was): the customer's credit
    balance and the invoices' amounts due follow."""
    allocations = [Allocation(a.facture_id, cents(a.amount)) for a in allocations]
    paiement = Paiement.objects.select_for_update(of=("self",)).get(pk=paiement.pk)
    if paiement.is_reversal or hasattr(paiement, "reversal"):
        raise PaiementError(_("Cet encaissement est annulé : il ne peut plus être affecté."))
    invoices = _lock_invoices(
        paiement.company, paiement.client, [a.facture_id for a in allocations]
    )
    problems = _check_allocations(allocations, invoices, disponible(paiement))
    if not allocations:
        problems.append(_("Choisissez au moins une facture."))
    if problems:
        raise PaiementError(problems)
    affectations = [
        Affectation.objects.create(
            company=paiement.company,
            paiement=paiement,
            facture=invoices[a.facture_id],
            amount=a.amount,
            ventilation=_ventilation(invoices[a.facture_id], a.amount),
            created_by=user,
        )  # fmt: skip
        for a in allocations
    ]
    _feed(affectations, user)
    _encaissees(paiement, affectations)
    # Not sealed (the payment was), but the books move the credit onto the invoices it pays.
    registre.post(
        company=paiement.company, kind=ALLOCATION, reference=paiement.number,
        document={
            **paiement_document(paiement, affectations), "type": ALLOCATION,
            "date": timezone.localdate().isoformat(),
        },
        at=timezone.now(),
    )  # fmt: skip
    return affectations


@transaction.atomic
def paiement_annuler(
    *, paiement: Paiement, user: User | None, day: date | None = None, reason: str = ""
) -> Paiement:
    """Reverses a payment by a new, sealed record of the opposite amount, which un-allocates
    everything the payment had settled. The payment itself never changes."""
    paiement = (
        Paiement.objects.select_for_update(of=("self",))
        .select_related("company", "client")
        .get(pk=paiement.pk)
    )
    if paiement.is_reversal:
        raise PaiementError(
            _("Une annulation ne s'annule pas : enregistrez un nouvel encaissement.")
        )
    if Paiement.objects.filter(reverses=paiement).exists():
        raise PaiementError(_("Cet encaissement est déjà annulé."))
    day = day or timezone.localdate()
    if day < paiement.date:
        raise PaiementError(_("L'annulation ne peut pas précéder l'encaissement."))
    company = paiement.company
    reversal = Paiement.objects.create(
        company=company, kind=RecordKind.PAYMENT_REVERSAL, client=paiement.client, date=day,
        amount=-paiement.amount, method=paiement.method, payer=paiement.payer,
        reference=paiement.reference, notes=clean_text(reason, single_line=True),
        reverses=paiement, created_by=user,
        number=numero_attribuer(company=company, series=SERIES, day=day),
    )  # fmt: skip
    by_invoice: dict[int, Decimal] = {}
    invoices = {}
    originals = list(paiement.affectations.select_related("facture"))
    for a in originals:
        by_invoice[a.facture_id] = by_invoice.get(a.facture_id, ZERO) + a.amount
        invoices[a.facture_id] = a.facture
    affectations = [
        Affectation.objects.create(
            company=company,
            paiement=reversal,
            facture=invoices[pk],
            amount=-amount,
            ventilation=_ventilation(invoices[pk], -amount),
            created_by=user,
            sealed=True,
        )  # fmt: skip
        for pk, amount in by_invoice.items()
        if amount
    ]
    _seal(reversal, affectations)
    # What was reported "encaissée" (212) for each allocation is corrected, once: the
    # platform's cashed total must not keep money that came back.
    for a in originals:
        encaissee_corriger(
            facture=a.facture, key=f"annulation:affectation:{a.pk}",
            corrects=f"affectation:{a.pk}", day=day,
        )  # fmt: skip
    _feed(affectations, user)
    return reversal


def avoir_disponible(avoir: Facture) -> Decimal:
    """What of an issued credit note can still be set against another invoice: the part its
    own invoice does not need (that invoice is paid, or over-credited), less what was set
    against others already. Call with the two invoices locked."""
    origin = with_amount_due(Facture.objects.filter(pk=avoir.origin_id)).get()
    already = sum((i.amount for i in Imputation.objects.filter(avoir=avoir)), ZERO)
    return max(ZERO, min(avoir.total_incl_vat - already, -origin.amount_due))


@transaction.atomic
def avoir_imputer(*, avoir: Facture, facture: Facture, amount, user: User | None) -> Imputation:
    """Sets part of an issued credit note against another issued invoice of the same customer,
    when the credit note's own invoice no longer needs it (it was paid before being credited):
    the other invoice owes that much less."""
    amount = cents(amount)
    ids = sorted({avoir.pk, avoir.origin_id or avoir.pk, facture.pk})
    locked = {
        f.pk: f
        for f in Facture.objects.filter(company=avoir.company_id, pk__in=ids)
        .order_by("pk")
        .select_for_update(of=("self",))
    }
    avoir, target = locked.get(avoir.pk), locked.get(facture.pk)
    if avoir is None or target is None:
        raise PaiementError(_("Facture introuvable."))
    if avoir.kind != Kind.CREDIT_NOTE or avoir.status != Status.ISSUED:
        raise PaiementError(_("Seul un avoir émis peut être imputé."))
    target = with_amount_due(Facture.objects.filter(pk=target.pk)).get()
    problems = []
    if target.status != Status.ISSUED or target.kind == Kind.CREDIT_NOTE:
        problems.append(
            _("%(f)s : seule une facture émise peut recevoir un avoir.") % {"f": target}
        )
    elif target.client_id != avoir.client_id:
        problems.append(_("%(f)s n'est pas une facture du même client.") % {"f": target})
    elif target.pk == avoir.origin_id:
        problems.append(_("L'avoir porte déjà sur %(f)s.") % {"f": target})
    available = avoir_disponible(avoir)
    if amount <= 0:
        problems.append(_("Le montant imputé doit être positif."))
    elif amount > available:
        problems.append(
            _("Il reste %(a)s de l'avoir %(n)s à imputer (sa facture d'origine doit être payée "
              "pour que l'avoir serve ailleurs).")
            % {"a": format_eur(available), "n": avoir.number}
        )  # fmt: skip
    elif not problems and amount > target.amount_due:
        problems.append(
            _("%(f)s : il ne reste que %(d)s à payer.")
            % {"f": target, "d": format_eur(max(target.amount_due, ZERO))}
        )
    if problems:
        raise PaiementError(problems)
    imputation = Imputation.objects.create(
        company_id=avoir.company_id, avoir=avoir, facture=target, amount=amount, created_by=user
    )
    # The books move that much of the customer's account from one invoice to the other.
    registre.post(
        company=avoir.company, kind=IMPUTATION, reference=avoir.number,
        document={
            "type": IMPUTATION, "number": avoir.number, "date": timezone.localdate().isoformat(),
            "client": {"id": avoir.client_id, "name": avoir.client.name},
            "from": avoir.origin.number if avoir.origin_id else avoir.number,
            "to": target.number, "amount": str(amount),
        },
        at=timezone.now(),
    )  # fmt: skip
    params = {"n": avoir.number, "f": target.number, "a": format_eur(amount)}
    at = imputation.created_at
    facture_activite(
        target,
        gettext_noop("Avoir %(n)s imputé : %(a)s"),
        params,
        icon="arrow-left-right",
        famille=FamilleActivite.PAIEMENT,
        user=user,
        at=at,
    )
    for document in (avoir, locked.get(avoir.origin_id)):  # the credit note and its invoice
        if document is not None:
            facture_activite(document, gettext_noop("Avoir %(n)s imputé sur %(f)s : %(a)s"),
                             params, icon="arrow-left-right", famille=FamilleActivite.PAIEMENT,
                             user=user, at=at)  # fmt: skip
    return imputation
