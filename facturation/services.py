"""Writes on the catalogue, invoice drafts, issuing and credit notes."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg.types.json import Jsonb

from comptabilite import ledger
from comptabilite.exceptions import PeriodeCloturee
from crm.models import Client
from facturation.documents import buyer_snapshot, document_content, seller_snapshot, vat_case
from facturation.exceptions import FactureError
from facturation.mentions import missing_mentions
from facturation.models import (
    DEFAULT_FORMATS,
    Article,
    DocumentPDF,
    Envoi,
    Facture,
    Kind,
    LigneFacture,
    NumberingFormat,
    Status,
)
from pgi.locks import lock_draft, next_number
from pgi.models import Company, User, VatRegime
from pgi.money import ZERO, cents
from pgi.totals import line_totals

LINE_FIELDS = (
    "designation", "description", "quantity", "unit", "unit_price", "discount_rate",
    "vat_rate", "vat_exemption_reason", "nature", "article", "deposit",
)  # fmt: skip
DRAFT_FIELDS = ("client", "subject", "notes", "operation_date", "payment_terms_days")


def _full_clean(instance, *, exclude: list[str]) -> None:
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise FactureError.from_validation_error(exc) from exc


@transaction.atomic
def article_save(*, company: Company, article: Article | None, fields: dict[str, Any]) -> Article:
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
    _full_clean(facture, exclude=["company", "client", "origin", "created_by"])
    facture.save()
    if lines is not None:
        facture_lignes_enregistrer(facture=facture, lines=lines)
    return facture


def _ensure_draft(facture: Facture) -> None:
    if not facture.is_draft:
        raise FactureError(
            _("%(n)s est émise : elle ne peut plus être modifiée. Faites un avoir.")
            % {"n": facture.number}
        )


@transaction.atomic
def facture_modifier(*, facture: Facture, fields: dict[str, Any]) -> Facture:
    facture = lock_draft(Facture, facture.pk)
    _ensure_draft(facture)
    for name, value in fields.items():
        if name not in DRAFT_FIELDS:
            raise FactureError(_("Champ non modifiable : %(f)s") % {"f": name})
        setattr(facture, name, value)
    _check_client(facture.company, facture.client)
    _full_clean(facture, exclude=["company", "client", "origin", "created_by"])
    facture.save()
    return facture


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
        if line.quantity is not None and line.quantity <= 0 and not line.deposit_id:
            problems.append(_("Ligne %(n)d : la quantité doit être positive.") % {"n": position})
        try:
            line.full_clean(exclude=["company", "facture", "article", "origin_line", "deposit"])
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                label = (
                    LigneFacture._meta.get_field(field).verbose_name if field != "__all__" else ""
                )
                problems.extend(
                    _("Ligne %(n)d, %(f)s : %(m)s") % {"n": position, "f": label, "m": m}
                    for m in messages
                )
        built.append(line)
    if problems:
        raise FactureError(problems)
    facture.lines.all().delete()
    LigneFacture.objects.bulk_create(built)
    return built


@transaction.atomic
def facture_supprimer(*, facture: Facture) -> None:
    """Deletes a draft; it never had a number, so no gap appears."""
    facture = lock_draft(Facture, facture.pk)
    _ensure_draft(facture)
    facture.delete()


def numbering_pattern(company: Company, kind: str) -> str:
    # Raw SQL: this runs on every issue, and the ORM's query compilation costs more here
    # than the query itself (bench/invoicing.py).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pattern FROM facturation_numberingformat WHERE company_id = %s AND kind = %s",
            [company.pk, kind],
        )
        row = cursor.fetchone()
    return row[0] if row else DEFAULT_FORMATS[kind]


ISSUE_FIELDS = [
    "status", "number", "issue_date", "due_date", "payment_terms_days", "seller", "buyer",
    "total_excl_vat", "total_vat", "total_incl_vat", "issued_at",
]  # fmt: skip
_ISSUE_SQL = (
    "UPDATE facturation_facture SET "
    + ", ".join(f"{name} = %s" for name in ISSUE_FIELDS)
    + " WHERE id = %s AND status = 'brouillon'"
)


def _save_issued(facture: Facture) -> None:
    """One prepared UPDATE: it runs while the numbering row is locked, so no ORM compilation
    there (bench/invoicing.py); the trigger still refuses it once the row is issued."""
    values = [getattr(facture, name) for name in ISSUE_FIELDS]
    values[ISSUE_FIELDS.index("seller")] = Jsonb(facture.seller)
    values[ISSUE_FIELDS.index("buyer")] = Jsonb(facture.buyer)
    with connection.cursor() as cursor:
        cursor.execute(_ISSUE_SQL, [*values, facture.pk])
        if cursor.rowcount != 1:
            raise FactureError(_("Ce document a déjà été émis."))


def _period(pattern: str, day: date) -> str:
    if "{mois" in pattern:
        return f"{day:%Y%m}"
    if "{annee" in pattern:
        return f"{day:%Y}"
    return ""


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
    from pgi.totals import compute_totals

    this_total = compute_totals(lines).total_incl_vat
    if credited + this_total > origin.total_incl_vat:
        problems.append(
            _("L'avoir (%(a)s €) dépasse le reste à créditer de %(n)s (%(r)s €).")
            % {"a": this_total, "n": origin.number, "r": origin.total_incl_vat - credited}
        )
    return problems


def _fields(model) -> tuple[list[str], list[str]]:
    fields = model._meta.concrete_fields
    return [f.column for f in fields], [f.attname for f in fields]


def _lock_for_issue(pk: int) -> tuple[Facture, list[LigneFacture]]:
    """The draft, locked (first in the lock order, see pgi.locks), with its company and
    customer in the same query, then its lines. Raw SQL: this runs on every issue and the
    ORM's query compilation costs more than the queries themselves (bench/invoicing.py).
    The draft's only JSON fields (the frozen parties) are empty until issue."""
    parts = [(Facture, "f"), (Company, "c"), (Client, "cl")]
    columns = [_fields(model) for model, _alias in parts]
    select = ", ".join(
        f"{alias}.{column}" for (_model, alias), (cols, _names) in zip(parts, columns, strict=True)
        for column in cols
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {select} FROM facturation_facture f "
            "JOIN pgi_company c ON c.id = f.company_id JOIN crm_client cl ON cl.id = f.client_id "
            "WHERE f.id = %s FOR UPDATE OF f",
            [pk],
        )
        row = cursor.fetchone()
    if row is None:
        raise Facture.DoesNotExist
    objects, start = [], 0
    for (model, _alias), (cols, names) in zip(parts, columns, strict=True):
        objects.append(model.from_db(connection.alias, names, row[start : start + len(cols)]))
        start += len(cols)
    facture, facture.company, facture.client = objects
    lines = list(
        LigneFacture.objects.raw(
            "SELECT * FROM facturation_lignefacture WHERE facture_id = %s ORDER BY position, id",
            [pk],
        )
    )
    return facture, lines


@transaction.atomic
def facture_emettre(*, facture: Facture, user: User | None, today: date | None = None) -> Facture:
    """Issues a draft: checks every mention, numbers it without gap, freezes it, seals it.

    Lock order (pgi.locks): the draft, then the numbering counter, then the ledger head.
    Everything that can be computed is computed before the counter is taken.
    """
    facture, lines = _lock_for_issue(facture.pk)
    _ensure_draft(facture)
    company, client = facture.company, facture.client
    seller, buyer = seller_snapshot(company), buyer_snapshot(client)
    case = vat_case(seller, buyer)
    problems = missing_mentions(facture, lines=lines, vat_case=case)
    if facture.kind == Kind.CREDIT_NOTE:
        problems += _credit_problems(facture, lines)
    if problems:
        raise FactureError(problems)

    now = timezone.now()
    facture.issue_date = today or timezone.localdate(now)
    if facture.kind == Kind.CREDIT_NOTE:
        facture.due_date = None
    else:
        terms = facture.payment_terms_days
        if terms is None:
            terms = client.effective_payment_terms()
        facture.payment_terms_days = terms
        facture.due_date = facture.issue_date + timedelta(days=terms)
    content = document_content(facture, seller=seller, buyer=buyer, lines=lines)
    pattern = numbering_pattern(company, facture.kind)

    number = next_number(
        company=company, kind=facture.kind, period=_period(pattern, facture.issue_date)
    )
    facture.number = pattern.format(
        annee=facture.issue_date.year, mois=f"{facture.issue_date.month:02d}", numero=number
    )
    content["number"] = facture.number
    facture.status = Status.ISSUED
    facture.seller, facture.buyer = seller, buyer
    facture.total_excl_vat = cents(content["total_excl_vat"])
    facture.total_vat = cents(content["total_vat"])
    facture.total_incl_vat = cents(content["total_incl_vat"])
    facture.issued_at = now
    _save_issued(facture)
    # `dated`: no document in a closed period (LEGAL.md §4), checked under the head lock.
    try:
        ledger.seal(
            company=company, kind=facture.kind, reference=facture.number, document=content,
            at=now, dated=facture.issue_date,
        )  # fmt: skip
    except PeriodeCloturee as exc:
        raise FactureError(exc.problems) from exc

    from facturation.tasks import render_facture_pdf

    transaction.on_commit(lambda: render_facture_pdf.delay(facture.pk))
    return facture


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
                {name: getattr(line, name) for name in LINE_FIELDS if name != "article"}
                | {"quantity": quantity, "origin_line": line}
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


def facture_pdf_generer(*, facture_id: int) -> DocumentPDF:
    """Renders the PDF of an issued document once, stores it, and seals its SHA-256.

    Outside the numbering lock (PERFORMANCE.md); a second call returns the stored PDF, so a
    retried task never renders nor seals twice.
    """
    import hashlib
    import json

    from django.core.files.base import ContentFile

    from comptabilite.models import Enregistrement, RecordKind
    from facturation.pdf import render_document_pdf

    existing = DocumentPDF.objects.filter(facture_id=facture_id).first()
    if existing:
        return existing
    facture = Facture.objects.select_related("company").get(pk=facture_id, status=Status.ISSUED)
    record = Enregistrement.objects.get(
        company_id=facture.company_id, kind=facture.kind, reference=facture.number
    )
    content = json.loads(bytes(record.payload))["doc"]
    logo = facture.company.logo.path if facture.company.logo else None
    data = render_document_pdf(content, logo_path=logo)
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        if DocumentPDF.objects.select_for_update().filter(facture_id=facture_id).exists():
            return DocumentPDF.objects.get(facture_id=facture_id)
        pdf = DocumentPDF(facture=facture, sha256=digest)
        pdf.file.save(f"{facture.number}.pdf", ContentFile(data), save=False)
        pdf.save()
        ledger.seal(
            company=facture.company, kind=RecordKind.PDF, reference=facture.number,
            document={"document": facture.number, "sha256": digest}, at=timezone.now(),
        )  # fmt: skip
    return pdf


@transaction.atomic
def facture_envoyer(
    *, facture: Facture, user: User | None, recipients: list[str], subject: str, body: str
) -> Envoi:
    """Records an email of an issued document; the PDF is attached and sent after commit."""

    from facturation.tasks import send_facture_email

    if facture.status != Status.ISSUED:
        raise FactureError(_("Seul un document émis peut être envoyé."))
    recipients = [r.strip() for r in recipients if r.strip()]
    if not recipients:
        raise FactureError(_("Indiquez au moins un destinataire."))
    envoi = Envoi.objects.create(
        company_id=facture.company_id, facture=facture, recipients=", ".join(recipients),
        subject=subject, body=body, created_by=user,
    )  # fmt: skip
    transaction.on_commit(lambda: send_facture_email.delay(envoi.pk))
    return envoi


def envoi_expedier(*, envoi_id: int) -> None:
    """Sends one recorded email once: the row is locked and marked sent in one transaction."""
    from django.core.mail import EmailMessage

    with transaction.atomic():
        envoi = Envoi.objects.select_for_update().select_related("facture").get(pk=envoi_id)
        if envoi.sent_at is not None:
            return  # a retried task never sends twice
        pdf = facture_pdf_generer(facture_id=envoi.facture_id)
        message = EmailMessage(
            subject=envoi.subject, body=envoi.body, to=envoi.recipients.split(", ")
        )
        with pdf.file.open("rb") as handle:
            message.attach(f"{envoi.facture.number}.pdf", handle.read(), "application/pdf")
        message.send()
        envoi.sent_at = timezone.now()
        envoi.save(update_fields=["sent_at"])


@transaction.atomic
def acompte_creer(
    *, company: Company, client: Client, user: User | None, facture: Facture | None = None,
    percent: Decimal | None = None, amount_excl_vat: Decimal | None = None,
    vat_rate: Decimal = Decimal("20.00"),
) -> Facture:  # fmt: skip
    """A draft deposit invoice: a percentage of a draft invoice (one line per VAT rate, so the
    deposit carries the invoice's VAT breakdown) or an amount excl. VAT at one rate."""
    from pgi.totals import compute_totals

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


def numbering_preview(pattern: str, day: date | None = None, number: int = 42) -> str:
    """`pattern` formatted for a sample number; raises FactureError when it is unusable."""
    day = day or timezone.localdate()
    if "{numero" not in pattern:
        raise FactureError(
            _("Le format doit contenir {numero}, par exemple F-{annee}-{numero:05d}.")
        )
    try:
        return pattern.format(annee=day.year, mois=f"{day.month:02d}", numero=number)
    except (KeyError, ValueError, IndexError) as exc:
        raise FactureError(
            _("Format invalide : variables permises {annee}, {mois}, {numero} (ex. {numero:05d}).")
        ) from exc


@transaction.atomic
def numerotation_modifier(*, company: Company, kind: str, pattern: str, user: User | None) -> None:
    """Changes a series' number format. A format without {annee} never restarts at 1."""
    from pgi.events import event_record
    from pgi.models import EventKind

    pattern = pattern.strip()
    numbering_preview(pattern)
    if kind not in Kind.values:
        raise FactureError(_("Type de document inconnu."))
    current = numbering_pattern(company, kind)
    if pattern == current:
        return
    NumberingFormat.objects.update_or_create(
        company=company, kind=kind, defaults={"pattern": pattern}
    )
    event_record(
        kind=EventKind.IDENTITY, company=company, user=user,
        summary=f"Numérotation {kind} : {current} → {pattern}",
        details={"kind": kind, "from": current, "to": pattern},
    )  # fmt: skip
