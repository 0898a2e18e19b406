"""Which open invoice a credit line on the bank statement pays, ranked.

The company's open invoices are read once (one query, with the one "reste dû" of
`facturation.selectors.with_amount_due`) into dictionaries; then each line costs a few dozen
dictionary lookups, whatever the number of invoices (bench/bank_matching.py: 10,000 lines
against 50,000 open invoices).

Signals, strongest first:
- the invoice number, or an ISO 11649 structured reference (`RF…`) built from it, in the label
  or the bank reference (tokens of the label glued back together, so `FA-2026-00012`,
  `FA 2026 00012` and `FA202600012` all match);
- the line's amount is exactly what is still due on the invoice;
- the customer: its name in the label or the payer's name, or the payer's IBAN already seen on
  a line matched to that customer.
A suggestion is *exact* when the amount is the amount due and the number, the reference or
the customer says which invoice; a line with exactly one exact suggestion may be confirmed
automatically (`ReglagesRapprochement.auto_confirm`).
"""

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from stdnum import iso11649

from crm.models import Client
from encaissement.releves.reasons import (
    REASON_AMOUNT,
    REASON_IBAN,
    REASON_NAME,
    REASON_NUMBER,
    REASON_REFERENCE,
)
from facturation.models import Facture, Kind, Status
from facturation.selectors import with_amount_due
from pgi.models import Company

TOKEN = re.compile(r"[A-Z0-9]+")
MAX_GLUED_TOKENS = 5
MAX_NAME_WORDS = 5
MAX_GROUP = 6  # a customer with more open invoices than this: no guess of which it pays
AMOUNT_ONLY_LIMIT = 3  # an amount shared by more open invoices than this says nothing
KEEP = 5  # suggestions kept per line
# Words of a company name that say nothing about which customer it is.
NOISE = frozenset(
    "SARL SAS SASU SA EURL SCI SNC SCOP EI EIRL SELARL STE SOCIETE ETS ETABLISSEMENTS CIE ET "
    "LA LE LES DE DU DES D L AU AUX EN FRANCE GROUPE".split()
)

SCORES = {
    REASON_NUMBER: 60,
    REASON_REFERENCE: 60,
    REASON_AMOUNT: 30,
    REASON_NAME: 20,
    REASON_IBAN: 25,
}


def plain(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()


def normalize_number(number: str) -> str:
    return "".join(TOKEN.findall(plain(number)))


def reference_structuree(number: str) -> str:
    """The ISO 11649 creditor reference (`RFkk…`) of an invoice number, for a transfer's
    structured remittance information: the bank carries it as is, so it matches exactly."""
    body = normalize_number(number)[-21:]
    digits = "".join(str(int(c, 36)) for c in body + "RF00")
    return f"RF{98 - int(digits) % 97:02d}{body}"


def _name_key(name: str) -> str:
    words = [w for w in TOKEN.findall(plain(name)) if w not in NOISE]
    return " ".join(words)


@dataclass
class OpenInvoice:
    pk: int
    number: str
    client_id: int
    amount_due: Decimal


@dataclass
class Candidate:
    invoice: OpenInvoice
    reasons: set[str] = field(default_factory=set)
    # A transfer paying several invoices of one customer: the others, after `invoice`.
    others: tuple[OpenInvoice, ...] = ()

    @property
    def invoices(self) -> tuple[OpenInvoice, ...]:
        return (self.invoice, *self.others)

    @property
    def score(self) -> int:
        return sum(SCORES[r] for r in self.reasons)

    @property
    def exact(self) -> bool:
        return REASON_AMOUNT in self.reasons and bool(
            self.reasons & {REASON_NUMBER, REASON_REFERENCE, REASON_NAME, REASON_IBAN}
        )


@dataclass
class Index:
    by_number: dict[str, OpenInvoice] = field(default_factory=dict)
    by_amount: dict[Decimal, list[OpenInvoice]] = field(default_factory=lambda: defaultdict(list))
    by_client: dict[int, list[OpenInvoice]] = field(default_factory=lambda: defaultdict(list))
    names: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    ibans: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    def add_invoice(self, invoice: OpenInvoice) -> None:
        self.by_number[normalize_number(invoice.number)] = invoice
        self.by_amount[invoice.amount_due].append(invoice)
        self.by_client[invoice.client_id].append(invoice)


def open_invoices(company: Company):
    """The company's issued invoices with something left to pay: (pk, number, client, due)."""
    qs = with_amount_due(
        Facture.objects.for_company(company)
        .filter(status=Status.ISSUED)
        .exclude(kind=Kind.CREDIT_NOTE)
    ).filter(amount_due__gt=0)
    return qs.values_list("pk", "number", "client_id", "amount_due")


def build_index(company: Company) -> Index:
    from encaissement.releves.models import LigneReleve

    index = Index()
    with transaction.atomic(), connection.cursor() as cursor:
        # PostgreSQL's JIT compiles this query's 50,000 subplans for 1.9 s of its 2.6 s at
        # 50,000 open invoices (EXPLAIN ANALYZE, bench/bank_matching.py); without it: 0.6 s.
        cursor.execute("SET LOCAL jit = off")
        for pk, number, client_id, due in open_invoices(company):
            index.add_invoice(OpenInvoice(pk, number, client_id, due))
    clients = Client.objects.for_company(company).filter(pk__in=list(index.by_client))
    for pk, name in clients.values_list("pk", "name").iterator(chunk_size=5000):
        key = _name_key(name)
        if len(key) >= 4:
            index.names[key].add(pk)
    seen = (
        LigneReleve.objects.for_company(company)
        .filter(status=LigneReleve.Status.MATCHED)
        .exclude(counterparty_iban="")
        .values_list("counterparty_iban", "paiement__client_id")
        .distinct()
    )
    for iban, client_id in seen:
        index.ibans[iban].add(client_id)
    return index


def _numbers_in(text: str, index: Index) -> list[tuple[OpenInvoice, str]]:
    """Invoices whose number, or whose RF reference, is in `text` (tokens glued back)."""
    tokens = TOKEN.findall(plain(text))
    found: list[tuple[OpenInvoice, str]] = []
    for start in range(len(tokens)):
        glued = ""
        for token in tokens[start : start + MAX_GLUED_TOKENS]:
            glued += token
            invoice = index.by_number.get(glued)
            if invoice is not None:
                found.append((invoice, REASON_NUMBER))
            elif glued.startswith("RF") and len(glued) > 4 and iso11649.is_valid(glued):
                invoice = index.by_number.get(glued[4:])
                if invoice is not None:
                    found.append((invoice, REASON_REFERENCE))
    return found


def _clients_named_in(text: str, index: Index) -> set[int]:
    words = [w for w in TOKEN.findall(plain(text)) if w not in NOISE]
    clients: set[int] = set()
    for start in range(len(words)):
        for end in range(start + 1, min(start + MAX_NAME_WORDS, len(words)) + 1):
            ids = index.names.get(" ".join(words[start:end]))
            if ids:
                clients |= ids
    return clients


def suggest(
    index: Index,
    *,
    amount: Decimal,
    label: str,
    reference: str = "",
    counterparty: str = "",
    counterparty_iban: str = "",
) -> list[Candidate]:
    """The ranked candidates for one credit line (best first, at most KEEP)."""
    if amount <= 0:
        return []
    candidates: dict[int, Candidate] = {}

    def add(invoice: OpenInvoice, reason: str) -> None:
        candidates.setdefault(invoice.pk, Candidate(invoice)).reasons.add(reason)

    numbered: list[tuple[OpenInvoice, str]] = []
    for invoice, reason in _numbers_in(f"{label} {reference}", index):
        if (
            reason == REASON_NUMBER
            and reference
            and invoice.number
            and (normalize_number(invoice.number) in normalize_number(reference))
        ):
            reason = REASON_REFERENCE
        add(invoice, reason)
        numbered.append((invoice, reason))
    clients = _clients_named_in(f"{counterparty} {label}", index)
    iban_clients = index.ibans.get(counterparty_iban, set()) if counterparty_iban else set()
    for client_id in clients | iban_clients:
        for invoice in index.by_client.get(client_id, ()):
            if client_id in clients:
                add(invoice, REASON_NAME)
            if client_id in iban_clients:
                add(invoice, REASON_IBAN)
    same_amount = index.by_amount.get(amount, [])
    for invoice in same_amount:
        if invoice.pk in candidates or len(same_amount) <= AMOUNT_ONLY_LIMIT:
            add(invoice, REASON_AMOUNT)
    group = _group(numbered, clients | iban_clients, index, amount, clients, iban_clients)
    if group is not None:
        members = {i.pk for i in group.invoices}
        return [group] + [c for c in candidates.values() if c.invoice.pk not in members][: KEEP - 1]
    ranked = sorted(candidates.values(), key=lambda c: (-c.score, c.invoice.pk))
    # A weak guess beside a strong one is noise (the customer's other invoices beside the one
    # its number names): keep those at least half as good as the best.
    best = ranked[0].score if ranked else 0
    return [c for c in ranked if c.score * 2 >= best][:KEEP]


def _group(
    numbered: list[tuple[OpenInvoice, str]], identified: set[int], index: Index,
    amount: Decimal, named: set[int], by_iban: set[int],
) -> Candidate | None:  # fmt: skip
    """One transfer paying several invoices of one customer: the invoices its label numbers,
    or else all the open invoices of the one customer its name or IBAN identifies, when what
    is due on them adds up to the amount exactly."""
    seen: dict[int, tuple[OpenInvoice, str]] = {}
    for invoice, reason in numbered:
        seen.setdefault(invoice.pk, (invoice, reason))
    if len(seen) >= 2:
        invoices = [i for i, _r in seen.values()]
        if (
            len({i.client_id for i in invoices}) == 1
            and sum(i.amount_due for i in invoices) == amount
        ):
            return Candidate(invoices[0], {r for _i, r in seen.values()} | {REASON_AMOUNT},
                             tuple(invoices[1:]))  # fmt: skip
        return None
    if len(identified) != 1:
        return None
    (client_id,) = identified
    invoices = sorted(index.by_client.get(client_id, ()), key=lambda i: i.pk)
    if 2 <= len(invoices) <= MAX_GROUP and sum(i.amount_due for i in invoices) == amount:
        reasons = {REASON_AMOUNT}
        reasons |= {REASON_NAME} if client_id in named else set()
        reasons |= {REASON_IBAN} if client_id in by_iban else set()
        return Candidate(invoices[0], reasons, tuple(invoices[1:]))
    return None


def exact_single(candidates: list[Candidate]) -> Candidate | None:
    """The one exact candidate, when there is exactly one (never a guess between two)."""
    exact = [c for c in candidates if c.exact]
    return exact[0] if len(exact) == 1 else None
