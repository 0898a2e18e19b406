"""Issuing a draft: mentions, gapless number, frozen content, sealed record."""

from datetime import date

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm.models import Client, ClientStatus
from facturation.activite import facture_activite
from facturation.documents import (
    buyer_snapshot,
    document_content,
    payment_dates,
    seller_snapshot,
    vat_case,
)
from facturation.exceptions import FactureError
from facturation.hooks import document_issued
from facturation.mentions import missing_mentions
from facturation.models import (
    Facture,
    Kind,
    LigneFacture,
    Status,
)
from facturation.plateforme.services import facture_transmettre
from facturation.services.credit_notes import _credit_problems
from facturation.services.drafts import _ensure_draft
from pgi import registre
from pgi.exceptions import PeriodeCloturee
from pgi.models import Company, User
from pgi.money import cents
from pgi.numbering import numero_attribuer
from pgi.queue import publish_after_commit
from pgi.totals import amount_problems, compute_totals

ISSUE_FIELDS = [
    "status", "number", "issue_date", "due_date", "payment_terms_days", "seller", "buyer",
    "total_excl_vat", "total_vat", "total_incl_vat", "issued_at",
]  # fmt: skip


def _save_issued(facture: Facture) -> None:
    """The draft becomes issued; from then on the trigger refuses any change."""
    changed = Facture.objects.filter(pk=facture.pk, status=Status.DRAFT).update(
        **{name: getattr(facture, name) for name in ISSUE_FIELDS}
    )
    if changed != 1:
        raise FactureError(_("Ce document a déjà été émis."))


def _fields(model) -> tuple[list[str], list[str]]:
    fields = model._meta.concrete_fields
    return [f.column for f in fields], [f.attname for f in fields]


def _lock_for_issue(pk: int) -> tuple[Facture, list[LigneFacture]]:
    """The draft, locked (first in the lock order, see pgi.locks), with its company and
    customer in the same query, then its lines.

    Raw SQL, the issue path's only: compiling this three-table select (about a hundred
    columns) and its lines query through the ORM costs more than running them. Measured with
    bench/invoicing.py (600 invoices, one company, one issuer, 2026-11-29): 222-235 invoices/s
    raw, 163-180/s with `select_for_update().select_related()` (1.36x, median of 3). The number
    format and the issue UPDATE went back to the ORM, where raw SQL bought about 1.1x each.
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

    Lock order (pgi.locks): the draft, then the numbering counter, then what the issued
    hooks lock (the invoice's quote), then the register head.
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
    problems += amount_problems(compute_totals(lines))  # a draft saved before the check
    if problems:
        raise FactureError(problems)

    now = timezone.now()
    facture.issue_date = today or timezone.localdate(now)
    facture.payment_terms_days, facture.due_date = payment_dates(
        facture, client=client, issue_date=facture.issue_date
    )
    content = document_content(facture, seller=seller, buyer=buyer, lines=lines)

    facture.number = numero_attribuer(company=company, series=facture.kind, day=facture.issue_date)
    content["number"] = facture.number
    facture.status = Status.ISSUED
    facture.seller, facture.buyer = seller, buyer
    facture.total_excl_vat = cents(content["total_excl_vat"])
    facture.total_vat = cents(content["total_vat"])
    facture.total_incl_vat = cents(content["total_incl_vat"])
    facture.issued_at = now
    _save_issued(facture)
    # The apps above (its quote becomes invoiced), in this transaction: after the counter and
    # before the register head, the lock order of a quote's own acceptance (pgi.locks).
    document_issued(facture, user)
    # `dated`: no document in a closed period (LEGAL.md §4), checked under the head lock.
    try:
        record = registre.seal(
            company=company, kind=facture.kind, reference=facture.number, document=content,
            at=now, dated=facture.issue_date,
        )  # fmt: skip
    except PeriodeCloturee as exc:
        raise FactureError(exc.problems) from exc
    facture_activite(
        facture,
        gettext_noop("Émise et scellée dans le registre (%(r)s)"),
        {"r": f"#{record.sequence}"},
        icon="shield-lock",
        user=user,
        at=now,
    )
    if facture.kind == Kind.CREDIT_NOTE and facture.origin_id:
        origin = Facture.objects.only("pk", "company_id", "client_id", "number").get(
            pk=facture.origin_id
        )
        facture_activite(origin, gettext_noop("Avoir %(n)s émis"), {"n": facture.number},
                         icon="arrow-counterclockwise", user=user, at=now)  # fmt: skip

    if client.status == ClientStatus.PROSPECT:  # a prospect becomes a customer when invoiced
        Client.objects.filter(pk=client.pk).update(status=ClientStatus.CUSTOMER)

    # facturation.tasks calls these services: the task is imported when it is queued.
    from facturation.tasks import render_facture_pdf

    publish_after_commit(render_facture_pdf, facture.pk)  # the sweeper covers a lost one
    # To a French business: its Factur-X queued for the platform (LEGAL.md §3).
    facture_transmettre(facture)
    return facture
