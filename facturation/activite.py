"""What facturation writes in the customer's activity feed (pgi.activite), in the
transaction of each action; the invoice page's history is the same rows (`fil_objet`)."""

from datetime import datetime

from facturation.models import Facture
from pgi.activite import activite_ecrire
from pgi.models import FamilleActivite, User


def facture_activite(
    facture: Facture, summary: str, params: dict | None = None, *, icon: str,
    famille: str = FamilleActivite.FACTURE, user: User | None = None, at: datetime | None = None,
) -> None:  # fmt: skip
    """Appends a line about `facture` to its customer's feed; `summary` is marked with
    gettext_noop (translated when read)."""
    activite_ecrire(
        company=facture.company_id, client_id=facture.client_id, famille=famille,
        summary=summary, params=params, icon=icon, url=facture.get_absolute_url(),
        objet=facture, reference=facture.number or "", user=user, at=at,
    )  # fmt: skip
