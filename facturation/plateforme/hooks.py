"""What the apps above facturation do when a lifecycle status arrives: "en litige" (207)
opens a dispute and pauses dunning, "paiement transmis" (211) holds it a few days. Dunning is
`encaissement`'s, which facturation never imports: it registers its handlers here from its
`AppConfig.ready`, and they run in the transaction that records the status, once per status
(a replayed webhook records nothing, and calls nothing)."""

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from facturation.plateforme.models import StatutFacture

StatusHandler = Callable[["StatutFacture"], None]
STATUS_HANDLERS: dict[str, list[StatusHandler]] = {}


def register_status_handler(code: str, handler: StatusHandler) -> StatusHandler:
    STATUS_HANDLERS.setdefault(code, []).append(handler)
    return handler


def status_recorded(statut: "StatutFacture") -> None:
    for handler in STATUS_HANDLERS.get(statut.code, []):
        handler(statut)
