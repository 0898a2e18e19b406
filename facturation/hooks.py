"""What the apps above facturation do when a document is issued or a draft deleted: a quote
(`devis`) is invoiced once its final invoice is issued, and accepted again when that draft is
deleted. Facturation never imports them: they register their handlers here from their
`AppConfig.ready`, and the handlers run in the transaction that issues (once it is numbered
and marked issued, before its record is sealed: they lock their rows after the document and
its counter, before the register head, pgi.locks) or deletes (before the row goes), so both
commit or roll back together."""

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from facturation.models import Facture
    from pgi.models import User

IssuedHandler = Callable[["Facture", "User | None"], None]
DocumentHandler = Callable[["Facture"], None]
ISSUED_HANDLERS: list[IssuedHandler] = []
DRAFT_DELETED_HANDLERS: list[DocumentHandler] = []


def register_issued_handler(handler: IssuedHandler) -> IssuedHandler:
    """`handler(facture, user)` runs when an invoice, deposit invoice or credit note is issued."""
    ISSUED_HANDLERS.append(handler)
    return handler


def register_draft_deleted_handler(handler: DocumentHandler) -> DocumentHandler:
    """`handler(facture)` runs just before a draft is deleted."""
    DRAFT_DELETED_HANDLERS.append(handler)
    return handler


def document_issued(facture: "Facture", user: "User | None") -> None:
    for handler in ISSUED_HANDLERS:
        handler(facture, user)


def draft_deleted(facture: "Facture") -> None:
    for handler in DRAFT_DELETED_HANDLERS:
        handler(facture)
