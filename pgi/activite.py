"""The customer activity feed: one row per thing that happened with a customer (a deal moved,
an invoice issued, a payment received, a reminder sent, a note...), written by the app that
acts, inside the transaction of its action, so the feed never shows what was rolled back and
never misses what was committed. Not the technical event log (`pgi.events`): no chain, no
seal, just an indexed table read by one query per page.

Any app calls `activite_ecrire`; the kernel imports none of them (ARCHITECTURE.md, "the
customer timeline asks nothing").
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from pgi.models import Company, FamilleActivite, FilActivite, User

PAGE_SIZE = 50


def activite_ecrire(
    *,
    company: Company | int,
    client_id: int,
    famille: str,
    summary: str,
    params: dict | None = None,
    icon: str = "",
    url: str = "",
    objet: models.Model | None = None,
    reference: str = "",
    user: User | None = None,
    at: datetime | None = None,
) -> FilActivite:
    """Appends a line to the customer's feed; call it inside the transaction of the action.
    `summary` is French source text marked with gettext_noop, %(name)s placeholders filled
    from `params` (JSON values) when read, in the reader's language; a parameter given as
    {"t": "French source text"} (marked with gettext_noop) is translated too."""
    if famille not in FamilleActivite.values:
        raise ValueError(f"unknown activity family {famille!r}")
    company_id = company if isinstance(company, int) else company.pk
    row = FilActivite(
        company_id=company_id,
        client_id=client_id,
        famille=famille,
        summary=summary,
        params=params or {},
        icon=icon,
        url=url,
        reference=reference,
        objet_type=objet._meta.label_lower if objet is not None else "",
        objet_id=objet.pk if objet is not None else None,
        user=user if user is not None and user.is_authenticated else None,
        at=at or timezone.now(),
    )
    row.save(force_insert=True)
    return row


@dataclass(frozen=True)
class Ligne:
    pk: int
    at: datetime
    reference: str
    famille: str
    text: str
    icon: str
    url: str
    user: str


def texte(row: FilActivite) -> str:
    """The line's text in the active language; never raises."""
    try:
        text = _(row.summary) if row.summary else ""
        if not row.params:
            return text
        params = {
            k: _(v["t"]) if isinstance(v, dict) and "t" in v else v for k, v in row.params.items()
        }
        return text % params
    except (KeyError, ValueError, TypeError):
        return row.summary


def _lignes(rows: QuerySet[FilActivite]) -> list[Ligne]:
    return [
        Ligne(pk=r.pk, at=r.at, reference=r.reference, famille=r.famille, text=texte(r),
              icon=r.icon or "dot", url=r.url, user=str(r.user) if r.user else "")
        for r in rows.select_related("user")
    ]  # fmt: skip


def fil_client_page(
    *, company: Company, client_id: int, famille: str = "", before: tuple | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[Ligne], tuple | None]:  # fmt: skip
    """A page of the feed and the cursor of the next one (None on the last page)."""
    rows = FilActivite.objects.filter(company=company, client_id=client_id)
    if famille in FamilleActivite.values:
        rows = rows.filter(famille=famille)
    if before is not None:
        at, pk = before
        rows = rows.filter(models.Q(at__lt=at) | models.Q(at=at, pk__lt=pk))
    found = _lignes(rows.order_by("-at", "-pk")[: limit + 1])
    cursor = (found[limit - 1].at, found[limit - 1].pk) if len(found) > limit else None
    return found[:limit], cursor


def fil_objet(obj: models.Model) -> list[Ligne]:
    """What happened to one document, oldest first (its page's history)."""
    rows = FilActivite.objects.filter(
        company_id=obj.company_id,  # type: ignore[attr-defined]
        objet_type=obj._meta.label_lower,
        objet_id=obj.pk,
    ).order_by("at", "pk")
    return _lignes(rows)
