"""The customer's page of a quote: an unguessable signed link, no account.

Built like the invoices' links (`facturation.public`): the token signs the quote's first
version, its company and the version of its link, so a renewed link revokes the earlier ones.
The link follows the quote through its revisions: it always shows the newest version sent.
"""

from django.conf import settings
from django.core import signing
from django.db.models import Q
from django.urls import reverse

from devis.models import Devis, Statut

SALT = "encaisse.devis.public"


class LienRevoque(Exception):
    """A well-signed link to a quote whose link was renewed since."""

    def __init__(self, devis: Devis):
        super().__init__(devis.pk)
        self.company = devis.company


def _first(devis: Devis) -> Devis:
    return devis.origine if devis.origine_id else devis


def public_token(devis: Devis) -> str:
    first = _first(devis)
    data = {"d": first.pk, "c": first.company_id, "v": first.link_version}
    return signing.dumps(data, salt=SALT, compress=True)


def devis_from_token(token: str) -> Devis | None:
    """The newest version sent of the quote of a link; None for a link that is not ours;
    `LienRevoque` for one that was ours and has been replaced."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    first = Devis.objects.filter(pk=data.get("d"), company_id=data.get("c"), origine=None).first()
    if first is None:
        return None
    if data.get("v") != first.link_version:
        raise LienRevoque(first)
    return (
        Devis.objects.select_related("company", "client")
        .filter(Q(pk=first.pk) | Q(origine_id=first.pk))
        .exclude(status=Statut.DRAFT)
        .order_by("-version")
        .first()
    )


def public_url(devis: Devis) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("devis_public", args=[public_token(devis)])
