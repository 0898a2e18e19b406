"""Posting rules: the balanced entry of each sealed record, written in the sealing transaction.

A rule runs once per record: `seal` calls it for a new record, `ecritures_comptabiliser` only
for records without an entry (a second entry would break `ecriture_record_unique`).

`pgi.registre.seal` calls the rule registered for the record's kind, under the register head
lock, with the document as sealed (ARCHITECTURE.md, "One seal, one entry"):
- an invoice, a deposit invoice or a credit note (journal VT): customer 411 (auxiliary account
  per customer) against sales 706 (services) / 707 (goods) per VAT rate, deposits 4191, and
  output VAT per rate, on 44571 when due on invoicing (goods, or the debits option) or on
  44574 when due when cashed (services, CGI art. 269-2 c); a credit note the other way round;
- a payment (journal BQ): bank 512 against 411, one customer line per invoice it settles; the
  VAT of the services it pays moves from 44574 to 44571; a reversal the other way round;
- what moves between a customer's invoices without a seal (`pgi.registre.post`): a credit
  allocated later, a credit note set against another invoice (journal OD, 411 to 411).
Every line about an invoice carries it (`facture`): lettrage and the VAT still waiting for
payment are read from those lines.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Max, Sum
from django.utils import timezone

from comptabilite.livres.comptes import Plan, customer_aux, rate_key
from comptabilite.livres.models import Ecriture, Journal, Lettrage, LigneEcriture, Role
from encaissement.services import ALLOCATION, IMPUTATION
from facturation.models import Facture, Kind
from pgi.models import Company, Enregistrement, RecordKind
from pgi.money import ZERO, cents
from pgi.registre import register_posting_rule

DOCUMENT_KINDS = (RecordKind.INVOICE, RecordKind.CREDIT_NOTE, RecordKind.DEPOSIT)
PAYMENT_KINDS = (RecordKind.PAYMENT, RecordKind.PAYMENT_REVERSAL)
LABELS = {
    RecordKind.INVOICE: "Facture",
    RecordKind.CREDIT_NOTE: "Avoir",
    RecordKind.DEPOSIT: "Acompte",
    RecordKind.PAYMENT: "Encaissement",
    RecordKind.PAYMENT_REVERSAL: "Annulation",
}


@dataclass
class Line:
    role: str
    key: str
    amount: Decimal  # positive: debit; negative: credit
    rate: str | None = None
    base: Decimal | None = None  # the base of the VAT or sale, positive on the credit side
    facture_id: int | None = None
    aux: tuple[str, str] = ("", "")


def _next_number(company: Company, journal: str) -> int:
    """The next entry number of the journal. Postings run under the register head lock
    (`pgi.registre.seal` and `post`, `ecritures_comptabiliser`), which serialises them per
    company: the last number read here cannot be taken by another transaction before this
    one commits (the unique constraint is the backstop)."""
    last = Ecriture.objects.filter(company=company, journal=journal).aggregate(n=Max("number"))
    return (last["n"] or 0) + 1


def _write(
    company: Company, record: Enregistrement, *, journal: str, day: date, label: str,
    lines: list[Line], vat_case: str = "",
) -> Ecriture:  # fmt: skip
    plan = Plan(company)
    label = label[:200]
    ecriture = Ecriture.objects.create(
        company=company, journal=journal, number=_next_number(company, journal), date=day,
        piece_ref=record.reference, piece_date=day, label=label, record_kind=record.kind,
        sequence=record.sequence, vat_case=vat_case,
        validated_on=timezone.localdate(),  # posted now: at the seal, or later by `comptabiliser`
    )  # fmt: skip
    rows = []
    for line in lines:
        amount = cents(line.amount)
        if amount == ZERO:
            continue
        account = plan[line.key]
        rows.append(
            LigneEcriture(
                company=company,
                ecriture=ecriture,
                position=len(rows) + 1,
                role=line.role,
                key=line.key,
                account=account.number,
                account_label=account.label,
                aux=line.aux[0],
                aux_label=line.aux[1],
                label=label,
                debit=amount if amount > 0 else ZERO,
                credit=-amount if amount < 0 else ZERO,
                rate=Decimal(line.rate) if line.rate is not None else None,
                base=cents(line.base) if line.base is not None else None,
                facture_id=line.facture_id,
            )  # fmt: skip
        )
    LigneEcriture.objects.bulk_create(rows)
    return ecriture


def _sales_key(nature: str, rate: str, vat_case: str) -> str:
    kind = "vente_bien" if nature == "bien" else "vente_service"
    if Decimal(rate) == 0 and vat_case == "reverse_charge":
        return f"{kind}:ue"
    if Decimal(rate) == 0 and vat_case == "export":
        return f"{kind}:export"
    return f"{kind}:{rate}"


@register_posting_rule(*DOCUMENT_KINDS)
def post_document(company: Company, record: Enregistrement, doc: dict) -> Ecriture:
    """VT: 411 against 706/707 (or 4191) and output VAT per rate; a credit note reversed."""
    kind = doc["type"]
    pk, origin_id = (
        Facture.objects.filter(company=company, kind=kind, number=doc["number"])
        .values_list("pk", "origin_id")
        .get()
    )
    sign = Decimal(-1 if kind == Kind.CREDIT_NOTE else 1)
    # A credit note counts in the settlement of the invoice it corrects.
    settles = origin_id if kind == Kind.CREDIT_NOTE and origin_id else pk
    buyer = doc["buyer"]
    aux = customer_aux(buyer["id"], buyer["name"])
    case, debits = doc.get("vat_case", "normal"), bool(doc.get("debits_option"))
    lines = [
        Line(Role.CUSTOMER, "client", sign * Decimal(doc["total_incl_vat"]), facture_id=settles,
             aux=aux)
    ]  # fmt: skip
    sales: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    by_nature: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in doc["lines"]:
        rate, net = rate_key(row["vat_rate"]), Decimal(row["net"])
        nature = "bien" if row.get("nature") == "bien" else "service"
        by_nature[rate][nature] += net
        if kind == Kind.DEPOSIT or row.get("deposit"):
            sales[(Role.DEPOSIT, "acompte", rate)] += net
        else:
            sales[(Role.SALES, _sales_key(nature, rate, case), rate)] += net
    for (role, key, rate), net in sales.items():
        lines.append(Line(role, key, -sign * net, rate, sign * net, settles))
    for row in doc["vat_breakdown"]:
        rate, base, vat = rate_key(row["rate"]), Decimal(row["base"]), Decimal(row["vat"])
        if vat == ZERO:
            continue
        services = by_nature[rate]["service"]
        if debits or services == ZERO:
            pending_vat, pending_base = ZERO, ZERO
        elif services == base:
            pending_vat, pending_base = vat, base
        else:  # a mixed rate: the services' share of its VAT waits for payment
            pending_vat, pending_base = cents(vat * services / base), services
        lines.append(
            Line(Role.VAT_PENDING, f"tva_attente:{rate}", -sign * pending_vat, rate,
                 sign * pending_base, settles)
        )  # fmt: skip
        lines.append(
            Line(Role.VAT, f"tva:{rate}", -sign * (vat - pending_vat), rate,
                 sign * (base - pending_base), settles)
        )  # fmt: skip
    day = date.fromisoformat(doc["issue_date"])
    label = f"{LABELS[kind]} {doc['number']} {buyer['name']}"
    ecriture = _write(
        company, record, journal=Journal.SALES, day=day, label=label, lines=lines,
        vat_case=case,
    )  # fmt: skip
    if kind == Kind.CREDIT_NOTE:  # an invoice just issued settles nothing yet
        lettrage_mettre_a_jour(company=company, facture_ids={settles})
    return ecriture


def _pending_vat(company: Company, ids: set[int]) -> dict[int, dict[str, dict[str, Decimal]]]:
    """Per invoice and rate: its VAT as invoiced (`vat`, `pending` on 44574, with their
    bases) and the VAT still waiting for payment (`left`, `left_base`), from its lines."""
    sums: dict[int, dict[str, dict[str, Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(Decimal))
    )
    rows = (
        LigneEcriture.objects.filter(
            company=company, facture_id__in=ids, role__in=[Role.VAT, Role.VAT_PENDING]
        )
        .values_list("facture_id", "rate", "role", "ecriture__journal")
        .annotate(amount=Sum("credit") - Sum("debit"), base=Sum("base"))
    )
    for facture_id, rate, role, journal, amount, base in rows:
        entry = sums[facture_id][rate_key(rate)]
        if journal == Journal.SALES:
            entry["vat"] += amount
            entry["base"] += base
            if role == Role.VAT_PENDING:
                entry["pending"] += amount
                entry["pending_base"] += base
        if role == Role.VAT_PENDING:
            entry["left"] += amount
            entry["left_base"] += base
    return sums


def _customer_due(company: Company, ids: set[int]) -> dict[int, Decimal]:
    rows = (
        LigneEcriture.objects.filter(company=company, facture_id__in=ids, role=Role.CUSTOMER)
        .values_list("facture_id")
        .annotate(due=Sum("debit") - Sum("credit"))
    )
    return dict(rows)


def _allocation_lines(
    company: Company, allocations: list[dict], aux: tuple[str, str]
) -> tuple[list[Line], set[int], Decimal]:
    """The customer lines of what a payment settles, one per invoice, and the VAT of the
    services it pays moved from 44574 to 44571 (all that still waits once an invoice is
    settled, else its share); with the invoices touched and the amount allocated."""
    invoices = dict(
        Facture.objects.filter(
            company=company, number__in=[a["invoice"] for a in allocations],
            kind__in=[Kind.INVOICE, Kind.DEPOSIT],
        ).values_list("number", "pk")
    )  # fmt: skip
    ids = set(invoices.values())
    pending = _pending_vat(company, ids)
    due = _customer_due(company, ids)
    lines: list[Line] = []
    allocated = ZERO
    for allocation in allocations:
        facture_id = invoices[allocation["invoice"]]
        paid = Decimal(allocation["amount"])
        allocated += paid
        lines.append(Line(Role.CUSTOMER, "client", -paid, facture_id=facture_id, aux=aux))
        due[facture_id] = due.get(facture_id, ZERO) - paid
        for share in allocation.get("vat") or []:
            rate = rate_key(share["rate"])
            entry = pending.get(facture_id, {}).get(rate)
            if not entry or not entry["pending"] or not entry["vat"]:
                continue
            if due[facture_id] == ZERO:  # settled: whatever still waits is due now
                vat, base = entry["left"], entry["left_base"]
            else:
                vat = cents(Decimal(share["vat"]) * entry["pending"] / entry["vat"])
                base = cents(Decimal(share["base"]) * entry["pending_base"] / entry["base"])
                if vat > 0:
                    vat, base = min(vat, entry["left"]), min(base, entry["left_base"])
            entry["left"] -= vat
            entry["left_base"] -= base
            lines.append(
                Line(Role.VAT_PENDING, f"tva_attente:{rate}", vat, rate, -base, facture_id)
            )
            lines.append(Line(Role.VAT, f"tva:{rate}", -vat, rate, base, facture_id))
    return lines, ids, allocated


@register_posting_rule(*PAYMENT_KINDS)
def post_payment(company: Company, record: Enregistrement, doc: dict) -> Ecriture:
    """BQ: 512 against 411 per invoice settled (the rest is the customer's credit), and the
    VAT on services it pays moved from 44574 to 44571; a reversal has negative amounts."""
    amount = Decimal(doc["amount"])
    client = doc["client"]
    aux = customer_aux(client["id"], client["name"])
    settled, ids, allocated = _allocation_lines(company, doc.get("allocations") or [], aux)
    lines = [Line(Role.BANK, "banque", amount), *settled]
    if amount - allocated:
        lines.append(Line(Role.CUSTOMER, "client", -(amount - allocated), aux=aux))
    label = f"{LABELS[doc['type']]} {doc['number']} {client['name']}"
    ecriture = _write(
        company, record, journal=Journal.BANK, day=date.fromisoformat(doc["date"]),
        label=label, lines=lines,
    )  # fmt: skip
    lettrage_mettre_a_jour(company=company, facture_ids=ids)
    return ecriture


@register_posting_rule(ALLOCATION)
def post_allocation(company: Company, record: Enregistrement, doc: dict) -> Ecriture:
    """OD: part of a customer's credit (a payment posted without an invoice) now settles
    invoices: 411 from the credit to each invoice, and the VAT of the services paid."""
    client = doc["client"]
    aux = customer_aux(client["id"], client["name"])
    settled, ids, allocated = _allocation_lines(company, doc["allocations"], aux)
    lines = [Line(Role.CUSTOMER, "client", allocated, aux=aux), *settled]
    label = f"Affectation {doc['number']} {client['name']}"
    ecriture = _write(
        company, record, journal=Journal.MISC, day=date.fromisoformat(doc["date"]),
        label=label, lines=lines,
    )  # fmt: skip
    lettrage_mettre_a_jour(company=company, facture_ids=ids)
    return ecriture


@register_posting_rule(IMPUTATION)
def post_imputation(company: Company, record: Enregistrement, doc: dict) -> Ecriture:
    """OD: a credit note set against another invoice of the customer: 411 moves from the
    invoice the credit note corrected to the one it now pays."""
    client = doc["client"]
    aux = customer_aux(client["id"], client["name"])
    numbers = dict(
        Facture.objects.filter(company=company, number__in=[doc["from"], doc["to"]]).values_list(
            "number", "pk"
        )
    )
    amount = Decimal(doc["amount"])
    lines = [
        Line(Role.CUSTOMER, "client", amount, facture_id=numbers[doc["from"]], aux=aux),
        Line(Role.CUSTOMER, "client", -amount, facture_id=numbers[doc["to"]], aux=aux),
    ]
    label = f"Imputation {doc['number']} {doc['to']} {client['name']}"
    ecriture = _write(
        company, record, journal=Journal.MISC, day=date.fromisoformat(doc["date"]),
        label=label, lines=lines,
    )  # fmt: skip
    lettrage_mettre_a_jour(company=company, facture_ids=set(numbers.values()))
    return ecriture


def letter_of(index: int) -> str:
    """1 -> AAA, 2 -> AAB, ... 17576 -> ZZZ, 17577 -> AAAA."""
    letters, n, width = "", index - 1, 3
    while n >= 26**width:
        n -= 26**width
        width += 1
    for _position in range(width):
        n, rest = divmod(n, 26)
        letters = chr(65 + rest) + letters
    return letters


def lettrage_mettre_a_jour(*, company: Company, facture_ids: set[int]) -> None:
    """Letters the customer lines of each invoice that is now fully settled (its lines and
    those of the payments and credit notes settling it sum to zero); unletters one that a
    reversal reopened. Runs under the register head lock, like the postings."""
    if not facture_ids:
        return
    rows = (
        LigneEcriture.objects.filter(
            company=company, facture_id__in=facture_ids, role=Role.CUSTOMER
        )
        .values_list("facture_id")
        .annotate(due=Sum("debit") - Sum("credit"), count=Count("id"), last=Max("ecriture__date"))
    )
    settled = {pk: last for pk, due, count, last in rows if due == ZERO and count > 1}
    lettered = set(
        Lettrage.objects.filter(company=company, facture_id__in=facture_ids).values_list(
            "facture_id", flat=True
        )
    )
    Lettrage.objects.filter(company=company, facture_id__in=lettered - set(settled)).delete()
    new = sorted(set(settled) - lettered)
    if new:
        index = Lettrage.objects.filter(company=company).aggregate(m=Max("index"))["m"] or 0
        Lettrage.objects.bulk_create(
            Lettrage(company=company, facture_id=pk, index=index + n, letter=letter_of(index + n),
                     date=settled[pk])
            for n, pk in enumerate(new, start=1)
        )  # fmt: skip
