"""Bank accounts, statement imports and reconciliation (issue #16).

An import is all or nothing: the file is read completely first (a bad line refuses the whole
file, naming the line), then its lines are written in one transaction, each under a key unique
per account, so a second import of the same movements adds nothing. A confirmed match records
the payment through `encaissement.services.paiement_enregistrer` (sealed in the register) and
links the line to it.

Lock order: the bank account (one import of an account at a time), then the statement line,
then what `paiement_enregistrer` locks (invoices by pk, numbering counter, register head).
"""

import hashlib
from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from crm.models import Client
from encaissement.models import Method
from encaissement.releves import matching
from encaissement.releves.exceptions import ReleveError
from encaissement.releves.formats import Account, Line, Statement, camt, cfonb, csvfile, ofx
from encaissement.releves.models import (
    CompteBancaire,
    Format,
    LigneReleve,
    ReglagesRapprochement,
    Releve,
    Suggestion,
)
from encaissement.services import Allocation, paiement_enregistrer
from facturation.models import Facture
from facturation.selectors import with_amount_due
from pgi.exceptions import DomainError
from pgi.identifiers import validate_bic, validate_iban
from pgi.models import Company, User
from pgi.text import clean_text

# Compte bancaire


def normalize_iban(value: str) -> str:
    return "".join(value.split()).upper()


@transaction.atomic
def compte_bancaire_creer(
    *, company: Company, name: str, iban: str, bic: str = ""
) -> CompteBancaire:
    """Adds a bank account of the company (IBAN checked by schwifty, once per company)."""
    iban, bic = normalize_iban(iban), "".join(bic.split()).upper()
    problems = []
    field_errors: dict[str, list[str]] = {}
    for field, value, check in (("iban", iban, validate_iban), ("bic", bic, validate_bic)):
        if not value and field == "bic":
            continue
        try:
            check(value)
        except ValidationError as exc:
            field_errors[field] = exc.messages
            problems += exc.messages
    if not problems and CompteBancaire.objects.filter(company=company, iban=iban).exists():
        message = _("Ce compte est déjà enregistré.")
        field_errors["iban"] = [message]
        problems.append(message)
    if problems:
        raise ReleveError(problems, field_errors=field_errors)
    name = clean_text(name, single_line=True) or _("Compte %(i)s") % {"i": iban[-4:]}
    return CompteBancaire.objects.create(company=company, name=name[:100], iban=iban, bic=bic)


def compte_initial(company: Company) -> None:
    """The company's own IBAN (its settings) becomes its first bank account."""
    if company.iban and not CompteBancaire.objects.filter(company=company).exists():
        compte_bancaire_creer(
            company=company, name=_("Compte principal"), iban=company.iban, bic=company.bic
        )


def reglages(company: Company) -> ReglagesRapprochement:
    found = ReglagesRapprochement.objects.filter(company=company).first()
    return found or ReglagesRapprochement(company=company)


@transaction.atomic
def reglages_enregistrer(*, company: Company, auto_confirm: bool) -> ReglagesRapprochement:
    settings, _created = ReglagesRapprochement.objects.update_or_create(
        company=company, defaults={"auto_confirm": auto_confirm}
    )
    return settings


# Reading files


def detect_format(content: bytes) -> str:
    head = content[:2000].lstrip(b"\xef\xbb\xbf \r\n\t")
    if head.startswith(b"<?xml") or head.startswith(b"<Document"):
        if b"camt.053" in head:
            return Format.CAMT053
        if b"<OFX" in head.upper():
            return Format.OFX
    if b"OFXHEADER" in head[:200] or b"<OFX>" in head.upper():
        return Format.OFX
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    if (
        len(first) in (120,)
        and first[:2] == b"01"
        or (len(first) > 120 and len(first) % 120 == 0 and first[:2] == b"01")
    ):
        return Format.CFONB120
    return Format.CSV


def lire(releve: Releve, mapping: dict | None = None) -> list[Statement]:
    """The statements of a file, or a ReleveError naming the line at fault."""
    content = bytes(releve.content)
    if releve.format == Format.CSV:
        if mapping is None:
            mapping = releve.compte.csv_mapping if releve.compte else {}
        return csvfile.parse(content, mapping or {})
    parser = {Format.OFX: ofx.parse, Format.CAMT053: camt.parse, Format.CFONB120: cfonb.parse}
    return parser[releve.format](content)


def _matches(compte: CompteBancaire, account: Account) -> bool:
    if account.iban:
        return normalize_iban(account.iban) == compte.iban
    try:
        iban = IBAN(compte.iban)
    except SchwiftyException:
        return False
    number = account.number.lstrip("0")
    own = iban.account_code.lstrip("0")
    return (
        bool(number)
        and (number == own or number.startswith(own))
        and account.bank_code in ("", iban.bank_code)
        and account.branch_code in ("", iban.branch_code)
    )


def compte_du_releve(
    company: Company, statement: Statement, chosen: CompteBancaire | None
) -> CompteBancaire:
    """The company's account a statement is about; a foreign account is refused."""
    comptes = list(CompteBancaire.objects.for_company(company))
    if statement.account is None:  # CSV: the file does not say
        if chosen is not None:
            return chosen
        if len(comptes) == 1:
            return comptes[0]
        raise ReleveError(_("Choisissez le compte bancaire de ce relevé."))
    found = [c for c in comptes if _matches(c, statement.account)]
    if not found:
        raise ReleveError(
            _("Le relevé concerne le compte %(a)s, qui n'est pas un compte bancaire de %(c)s.")
            % {"a": statement.account.describe(), "c": company.display_name}
        )
    if chosen is not None and chosen not in found:
        raise ReleveError(
            _("Le relevé concerne le compte %(a)s, pas le compte choisi (%(c)s).")
            % {"a": statement.account.describe(), "c": chosen}
        )
    return found[0]


def unique_keys(compte: CompteBancaire, lines: list[Line]) -> list[str]:
    """The bank's id of each line when it gives one, else a hash of what identifies it and
    of its rank among identical lines of the file (two identical transfers the same day stay
    two lines; the same two in an overlapping statement are the same two)."""
    seen: Counter = Counter()
    keys = []
    for line in lines:
        if line.bank_id:
            key = f"id:{line.bank_id}"
            if len(key) > 100:
                key = "id:" + hashlib.sha256(line.bank_id.encode()).hexdigest()
        else:
            ident = (line.booking_date.isoformat(), str(line.amount), " ".join(line.label.split()))
            occurrence = seen[ident]
            seen[ident] += 1
            data = "|".join((compte.iban, *ident, str(occurrence)))
            key = "h:" + hashlib.sha256(data.encode()).hexdigest()
        keys.append(key)
    return keys


@dataclass
class Apercu:
    """What an import would do: each line with its account, key and whether it is known."""

    rows: list[tuple[CompteBancaire, Line, str, bool]]

    @property
    def new(self) -> int:
        return sum(1 for *_r, known in self.rows if not known)

    @property
    def duplicates(self) -> int:
        return len(self.rows) - self.new


def apercu(releve: Releve, mapping: dict | None = None) -> Apercu:
    """Reads the file and tells which lines are new; writes nothing."""
    rows = []
    for statement in lire(releve, mapping):
        compte = compte_du_releve(releve.company, statement, releve.compte)
        keys = unique_keys(compte, statement.lines)
        known = set(
            LigneReleve.objects.filter(compte=compte, unique_key__in=keys).values_list(
                "unique_key", flat=True
            )
        )
        rows += [
            (compte, line, k, k in known) for line, k in zip(statement.lines, keys, strict=True)
        ]
    return Apercu(rows)


# Importing


@transaction.atomic
def releve_deposer(
    *, company: Company, user: User | None, filename: str, content: bytes,
    compte: CompteBancaire | None = None, fmt: str = "",
) -> Releve:  # fmt: skip
    """Keeps an uploaded file for its preview (nothing is imported yet)."""
    compte_initial(company)
    if compte is not None and compte.company_id != company.pk:
        raise ReleveError(_("Compte bancaire introuvable."))
    if not content.strip():
        raise ReleveError(_("Le fichier est vide."))
    return Releve.objects.create(
        company=company, compte=compte, format=fmt or detect_format(content),
        filename=clean_text(filename, single_line=True)[:255] or "releve",
        content=content, sha256=hashlib.sha256(content).hexdigest(), created_by=user,
    )  # fmt: skip


@transaction.atomic
def releve_importer(*, releve: Releve, user: User | None, mapping: dict | None = None) -> Releve:
    """Imports the lines of a previewed file not imported before, computes the suggestions
    of its credit lines, and confirms the exact single ones if the company asked for it."""
    releve = (
        Releve.objects.select_for_update(of=("self",))
        .select_related("company", "compte")
        .get(pk=releve.pk)
    )
    if releve.state == Releve.State.IMPORTED:
        raise ReleveError(_("Ce fichier est déjà importé."))
    company = releve.company
    statements = lire(releve, mapping)
    if releve.format == Format.CSV and mapping is not None:
        compte = compte_du_releve(company, statements[0], releve.compte)
        compte.csv_mapping = mapping
        compte.save(update_fields=["csv_mapping"])
    plan = []
    for statement in statements:
        compte = compte_du_releve(company, statement, releve.compte)
        plan.append((compte, statement.lines, unique_keys(compte, statement.lines)))
    # One import of an account at a time: the keys are read, then written, under this lock.
    ids = sorted({compte.pk for compte, *_rest in plan})
    list(CompteBancaire.objects.filter(pk__in=ids).order_by("pk").select_for_update())
    created: list[LigneReleve] = []
    duplicates = 0
    for compte, lines, keys in plan:
        known = set(
            LigneReleve.objects.filter(compte=compte, unique_key__in=keys).values_list(
                "unique_key", flat=True
            )
        )
        for line, key in zip(lines, keys, strict=True):
            if key in known:
                duplicates += 1
                continue
            known.add(key)
            created.append(
                LigneReleve(
                    company=company,
                    compte=compte,
                    releve=releve,
                    unique_key=key,
                    booking_date=line.booking_date,
                    value_date=line.value_date,
                    amount=line.amount,
                    label=clean_text(line.label, single_line=True)[:500],
                    reference=line.reference,
                    counterparty=line.counterparty,
                    counterparty_iban=normalize_iban(line.counterparty_iban),
                )  # fmt: skip
            )
    LigneReleve.objects.bulk_create(created, batch_size=2000)
    if releve.compte is None and len(ids) == 1:
        releve.compte_id = ids[0]
    releve.state = Releve.State.IMPORTED
    releve.imported, releve.duplicates = len(created), duplicates
    releve.imported_at = timezone.now()
    releve.matched = suggestions_calculer(
        company=company, lignes=[line for line in created if line.amount > 0], user=user
    )
    releve.save()
    return releve


# Matching


def suggestions_calculer(
    *, company: Company, lignes: list[LigneReleve], user: User | None, auto: bool | None = None
) -> int:
    """(Re)computes the suggestions of open credit lines; with the company's auto-confirm
    setting, confirms each line that has exactly one exact suggestion. Returns how many were
    confirmed. Runs inside the caller's transaction; a confirmation that fails (a closed
    period...) leaves its line open with its suggestions."""
    lignes = [line for line in lignes if line.amount > 0 and line.status == LigneReleve.Status.OPEN]
    if not lignes:
        return 0
    index = matching.build_index(company)
    Suggestion.objects.filter(ligne__in=[line.pk for line in lignes]).delete()
    rows, exact = [], []
    for ligne in lignes:
        candidates = matching.suggest(
            index, amount=ligne.amount, label=ligne.label, reference=ligne.reference,
            counterparty=ligne.counterparty, counterparty_iban=ligne.counterparty_iban,
        )  # fmt: skip
        for c in candidates:
            rows.append(
                Suggestion(
                    company=company,
                    ligne=ligne,
                    facture_id=c.invoice.pk,
                    client_id=c.invoice.client_id,
                    amount=min(ligne.amount, sum(i.amount_due for i in c.invoices)),
                    score=c.score,
                    reasons=sorted(c.reasons),
                    exact=c.exact,
                    autres_factures=[i.pk for i in c.others],
                )  # fmt: skip
            )
        if (single := matching.exact_single(candidates)) is not None:
            exact.append((ligne, single))
    Suggestion.objects.bulk_create(rows, batch_size=5000)
    if auto is None:
        auto = reglages(company).auto_confirm
    confirmed = 0
    if auto:
        suggestions = {(s.ligne_id, s.facture_id): s for s in rows if s.exact}
        for ligne, candidate in exact:
            try:
                with transaction.atomic():
                    suggestion_confirmer(
                        suggestion=suggestions[(ligne.pk, candidate.invoice.pk)], user=user
                    )
            except DomainError:
                continue
            confirmed += 1
    return confirmed


@transaction.atomic
def ligne_rapprocher(
    *, ligne: LigneReleve, user: User | None, client: Client, allocations: list[Allocation]
) -> LigneReleve:
    """Records the payment a credit line brought (transfer, dated on the booking day, the
    bank's label as reference), allocated as asked, and links the line to it."""
    ligne = (
        LigneReleve.objects.select_for_update(of=("self",))
        .select_related("releve", "company")
        .get(pk=ligne.pk)
    )
    if ligne.status != LigneReleve.Status.OPEN:
        raise ReleveError(_("Cette ligne du relevé est déjà traitée."))
    if ligne.amount <= 0:
        raise ReleveError(_("Seule une ligne créditrice peut être encaissée."))
    paiement = paiement_enregistrer(
        company=ligne.company, user=user, client=client, day=ligne.booking_date,
        amount=ligne.amount, method=Method.TRANSFER, payer=ligne.counterparty,
        reference=(ligne.reference or ligne.label)[:140],
        notes=_("Relevé bancaire %(f)s") % {"f": ligne.releve.filename},
        allocations=allocations,
    )  # fmt: skip
    ligne.status = LigneReleve.Status.MATCHED
    ligne.paiement = paiement
    ligne.handled_by, ligne.handled_at = user, timezone.now()
    ligne.save(update_fields=["status", "paiement", "handled_by", "handled_at"])
    ligne.suggestions.all().delete()
    return ligne


def suggestion_confirmer(*, suggestion: Suggestion, user: User | None) -> LigneReleve:
    """Confirms a suggestion: the line pays its invoice (or each of its invoices in turn),
    up to what is still due now; anything left is the customer's credit."""
    pks = [suggestion.facture_id, *suggestion.autres_factures]
    found = {
        f.pk: f
        for f in with_amount_due(
            Facture.objects.filter(company=suggestion.company_id, pk__in=pks)
        ).select_related("client")
    }
    factures = [found[pk] for pk in pks if pk in found]
    if not factures:
        raise ReleveError(_("Facture introuvable."))
    ligne = suggestion.ligne
    allocations, left = [], ligne.amount
    for facture in factures:
        if facture.amount_due is None or facture.amount_due <= 0:
            raise ReleveError(_("%(f)s est déjà réglée.") % {"f": facture})
        amount = min(left, facture.amount_due)
        if amount > 0:
            allocations.append(Allocation(facture.pk, amount))
            left -= amount
    return ligne_rapprocher(
        ligne=ligne, user=user, client=factures[0].client, allocations=allocations
    )


def suggestions_confirmer(*, suggestions: list[Suggestion], user: User | None) -> list[str]:
    """Confirms each in its own transaction; returns the problems of those refused."""
    problems = []
    for suggestion in suggestions:
        try:
            suggestion_confirmer(suggestion=suggestion, user=user)
        except DomainError as exc:
            problems += [f"{suggestion.ligne.label[:40]} : {p}" for p in exc.problems]
    return problems


@transaction.atomic
def ligne_ecarter(*, ligne: LigneReleve, user: User | None, reason: str) -> LigneReleve:
    """Takes a line out of the lines to reconcile (bank fees, a transfer between own
    accounts...): no payment is recorded."""
    ligne = LigneReleve.objects.select_for_update().get(pk=ligne.pk)
    if ligne.status != LigneReleve.Status.OPEN:
        raise ReleveError(_("Cette ligne du relevé est déjà traitée."))
    reason = clean_text(reason, single_line=True).strip()
    if not reason:
        raise ReleveError(
            _("Indiquez le motif."), field_errors={"reason": [_("Indiquez le motif.")]}
        )
    ligne.status = LigneReleve.Status.DISMISSED
    ligne.dismiss_reason = reason[:200]
    ligne.handled_by, ligne.handled_at = user, timezone.now()
    ligne.save(update_fields=["status", "dismiss_reason", "handled_by", "handled_at"])
    ligne.suggestions.all().delete()
    return ligne


@transaction.atomic
def ligne_rouvrir(*, ligne: LigneReleve, user: User | None) -> LigneReleve:
    """Puts a line back among the lines to reconcile: a dismissed one, or one whose payment
    was reversed since (the reversal is the correction, CGI art. 286: the line may then pay
    another invoice)."""
    ligne = (
        LigneReleve.objects.select_for_update(of=("self",))
        .select_related("paiement__reversal")
        .get(pk=ligne.pk)
    )
    reversed_ = ligne.paiement_id is not None and hasattr(ligne.paiement, "reversal")
    if ligne.status == LigneReleve.Status.MATCHED and reversed_:
        ligne.dismiss_reason = ""
        ligne.paiement = None
    elif ligne.status == LigneReleve.Status.DISMISSED:
        ligne.dismiss_reason = ""
    else:
        raise ReleveError(
            _("Seule une ligne écartée, ou dont l'encaissement est annulé, peut être rouverte.")
        )
    ligne.status = LigneReleve.Status.OPEN
    ligne.handled_by, ligne.handled_at = user, timezone.now()
    ligne.save(update_fields=["status", "paiement", "dismiss_reason", "handled_by", "handled_at"])
    suggestions_calculer(company=ligne.company, lignes=[ligne], user=user, auto=False)
    return ligne
