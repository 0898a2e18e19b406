"""The customer's page for a document: reached by an unguessable signed link, no account.

The link signs the document, its company and the version of its link (`LienClient`): when
the owner renews the link, the version goes up and the links sent before answer "revoked".
A link signed without a version (sent before links could be revoked) is version 1.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from facturation.models import Facture, LienClient, Status
from facturation.selectors import with_amount_due
from pgi.models import Company

SALT = "encaisse.facture.public"


class LienRevoque(Exception):
    """A well-signed link to a document whose link was renewed since."""

    def __init__(self, company: Company):
        super().__init__(company.pk)
        self.company = company


def link_version(facture: Facture) -> int:
    return LienClient.objects.filter(facture=facture).values_list("version", flat=True).first() or 1


def public_token(facture: Facture, *, version: int | None = None) -> str:
    """`version`: the link's, when the caller read it already (a list of documents)."""
    data = {"f": facture.pk, "c": facture.company_id, "v": version or link_version(facture)}
    return signing.dumps(data, salt=SALT, compress=True)


def facture_from_token(token: str) -> Facture | None:
    """The issued document of a link; None for a link that is not ours; `LienRevoque` for
    one that was ours and has been replaced."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    facture = (
        with_amount_due(Facture.objects.select_related("company", "client"))
        .filter(pk=data.get("f"), company_id=data.get("c"), status=Status.ISSUED)
        .first()
    )
    if facture is not None and data.get("v", 1) != link_version(facture):
        raise LienRevoque(facture.company)
    return facture


def public_url(facture: Facture) -> str:
    path = reverse("facture_public", args=[public_token(facture)])
    return settings.SITE_URL.rstrip("/") + path
