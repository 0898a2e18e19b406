"""Catalogue articles and invoice drafts: create, edit, replace lines, delete."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.models import Client
from facturation.exceptions import FactureError
from facturation.hooks import draft_deleted
from facturation.mentions import payment_terms_problem
from facturation.models import (
    Article,
    Facture,
    Kind,
    LigneFacture,
    Status,
)
from pgi.lignes import LINE_FIELD_NAMES, line_problems
from pgi.locks import lock_draft
from pgi.models import Company, User, VatRegime
from pgi.totals import amount_problems, compute_totals

# What an invoice line is given: the fields of every document line, then its own links.
LINE_FIELDS = (*LINE_FIELD_NAMES, "article", "deposit", "origin_line")
DRAFT_FIELDS = ("client", "subject", "notes", "operation_date", "payment_terms_days")


def _full_clean(instance, *, exclude: list[str]) -> None:
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise FactureError.from_validation_error(exc) from exc


@transaction.atomic
def article_enregistrer(
    *, company: Company, article: Article | None, fields: dict[str, Any]
) -> Article:
    article = article or Article(company=company)
    for name, value in fields.items():
        setattr(article, name, value)
    _full_clean(article, exclude=["company"])
    franchise = company.vat_regime == VatRegime.FRANCHISE  # the 293 B mention covers it
    if article.vat_rate == Decimal("0") and not article.vat_exemption_reason and not franchise:
        raise FactureError(
            _("Indiquez le motif d'exonération pour un article à 0 %."),
            field_errors={"vat_exemption_reason": [_("Obligatoire à 0 %.")]},
        )
    article.save()
    return article


def _clean_draft(facture: Facture) -> None:
    """The draft's fields, every problem at once, and the 60-day limit of C. com. L441-10: a
    draft is refused at save (editor, API) what its issue would refuse."""
    errors: dict[str, list[str]] = {}
    try:
        facture.full_clean(
            exclude=["company", "client", "origin", "created_by"],
            validate_unique=False, validate_constraints=False,
        )  # fmt: skip
    except ValidationError as exc:
        errors = FactureError.from_validation_error(exc).field_errors
    if (terms_problem := payment_terms_problem(facture)) is not None:
        errors.setdefault("payment_terms_days", []).append(terms_problem)
    if errors:
        raise FactureError(
            [m for messages in errors.values() for m in messages], field_errors=errors
        )


def _check_client(company: Company, client: Client) -> None:
    if client.company_id != company.pk:
        raise FactureError(_("Ce client n'appartient pas à la société."))


@transaction.atomic
def facture_creer(
    *, company: Company, client: Client, user: User | None, kind: str = Kind.INVOICE,
    fields: dict[str, Any] | None = None, lines: list[dict[str, Any]] | None = None,
) -> Facture:  # fmt: skip
    """Creates a draft; it has no number until it is issued."""
    _check_client(company, client)
    facture = Facture(company=company, client=client, kind=kind, created_by=user)
    for name, value in (fields or {}).items():
        if name in DRAFT_FIELDS and name != "client":
            setattr(facture, name, value)
    if facture.payment_terms_days is None:
        facture.payment_terms_days = client.effective_payment_terms()
    _clean_draft(facture)
    facture.save()
    if lines is not None:
        facture_lignes_enregistrer(facture=facture, lines=lines)
    return facture


def frozen_message(facture: Facture) -> str:
    """Why an issued document cannot be edited: « un avoir » is masculine."""
    if facture.kind == Kind.CREDIT_NOTE:
        return _("%(n)s est émis : il ne peut plus être modifié.") % {"n": facture.number}
    return _("%(n)s est émise : elle ne peut plus être modifiée. Faites un avoir.") % {
        "n": facture.number
    }


def issued_message(facture: Facture) -> str:
    if facture.kind == Kind.CREDIT_NOTE:
        return _("%(n)s émis.") % {"n": facture.number}
    return _("%(n)s émise.") % {"n": facture.number}


def _ensure_draft(facture: Facture) -> None:
    if not facture.is_draft:
        raise FactureError(frozen_message(facture))


@transaction.atomic
def facture_modifier(*, facture: Facture, fields: dict[str, Any]) -> Facture:
    facture = lock_draft(Facture, facture.pk)
    _ensure_draft(facture)
    for name, value in fields.items():
        if name not in DRAFT_FIELDS:
            raise FactureError(_("Champ non modifiable : %(f)s") % {"f": name})
        setattr(facture, name, value)
    _check_client(facture.company, facture.client)
    _clean_draft(facture)
    facture.save()
    return facture


def _deductible_by(deposit: Facture, facture: Facture) -> bool:
    return (
        deposit.company_id == facture.company_id and deposit.client_id == facture.client_id
        and deposit.kind == Kind.DEPOSIT and deposit.status == Status.ISSUED
        and facture.kind == Kind.INVOICE
    )  # fmt: skip


@transaction.atomic
def facture_lignes_enregistrer(
    *, facture: Facture, lines: list[dict[str, Any]]
) -> list[LigneFacture]:
    """Replaces the lines of a draft; every invalid line is reported at once."""
    facture = lock_draft(Facture, facture.pk)
    _ensure_draft(facture)
    built: list[LigneFacture] = []
    problems: list[str] = []
    for position, data in enumerate(lines, start=1):
        line = LigneFacture(company_id=facture.company_id, facture=facture, position=position)
        for name in LINE_FIELDS:
            if name in data:
                setattr(line, name, data[name])
        if line.article_id and line.article.company_id != facture.company_id:
            raise FactureError(_("Article inconnu."))
        # The links a line may carry are checked here, whoever sends them (editor or API).
        if line.deposit_id and not _deductible_by(line.deposit, facture):
            problems.append(_("Ligne %(n)d : acompte non déductible ici.") % {"n": position})
        if line.origin_line_id and line.origin_line.facture_id != facture.origin_id:
            problems.append(
                _("Ligne %(n)d : la ligne créditée n'est pas sur la facture d'origine.")
                % {"n": position}
            )
        if line.quantity is not None and line.quantity <= 0 and not line.deposit_id:
            problems.append(_("Ligne %(n)d : la quantité doit être positive.") % {"n": position})
        problems.extend(line_problems(line, position=position))
        built.append(line)
    if not problems:  # amounts of lines that are valid, within what the columns hold
        problems = amount_problems(compute_totals(built))
    if problems:
        raise FactureError(problems)
    facture.lines.all().delete()
    LigneFacture.objects.bulk_create(built)
    return built


@transaction.atomic
def facture_brouillon_enregistrer(
    *, facture: Facture, fields: dict[str, Any], lines: list[dict[str, Any]]
) -> Facture:
    """Saves a draft's header and its lines together: both or neither (the editor once saved
    the header and then had the lines refused). Every problem of both is reported at once."""
    _ensure_draft(lock_draft(Facture, facture.pk))  # an issued one: said once, not twice
    problems: list[str] = []
    field_errors: dict[str, list[str]] = {}
    try:
        facture = facture_modifier(facture=facture, fields=fields)
    except FactureError as exc:
        problems += exc.problems
        field_errors |= exc.field_errors
    try:
        facture_lignes_enregistrer(facture=facture, lines=lines)
    except FactureError as exc:
        problems += exc.problems
    if problems:
        raise FactureError(problems, field_errors=field_errors)  # rolls both back
    return facture


@transaction.atomic
def facture_dupliquer(*, facture: Facture, user: User | None) -> Facture:
    """A new draft with the customer, subject, notes, terms and lines of `facture`, draft or
    issued; its dates and number come at its own issue.

    A credit note's copy credits the same invoice (its issue refuses crediting more than was
    invoiced). A deposit deduction is not copied (a deposit is deducted once); a catalogue
    article no longer active leaves its values on the line, not its link."""
    lines: list[dict[str, Any]] = []
    for line in facture.lines.select_related("article", "origin_line").order_by("position", "pk"):
        if line.deposit_id:
            continue
        data: dict[str, Any] = {name: getattr(line, name) for name in LINE_FIELD_NAMES}
        if line.article_id and line.article.active:
            data["article"] = line.article
        if facture.kind == Kind.CREDIT_NOTE and line.origin_line_id:
            data["origin_line"] = line.origin_line
        lines.append(data)
    fields = {"subject": facture.subject, "notes": facture.notes,
              "payment_terms_days": facture.payment_terms_days}  # fmt: skip
    if facture.kind != Kind.CREDIT_NOTE:
        return facture_creer(
            company=facture.company, client=facture.client, user=user, kind=facture.kind,
            fields=fields, lines=lines,
        )  # fmt: skip
    copy = Facture(
        company_id=facture.company_id, client_id=facture.client_id, kind=Kind.CREDIT_NOTE,
        origin_id=facture.origin_id, created_by=user, subject=facture.subject, notes=facture.notes,
    )  # fmt: skip
    copy.save()
    facture_lignes_enregistrer(facture=copy, lines=lines)
    return copy


@transaction.atomic
def facture_supprimer(*, facture: Facture) -> None:
    """Deletes a draft; it never had a number, so no gap appears."""
    facture = lock_draft(Facture, facture.pk)
    _ensure_draft(facture)
    draft_deleted(facture)  # the apps above (a quote accepted again), same transaction
    facture.delete()
