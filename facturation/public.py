"""The customer's page for a document: reached by an unguessable signed link, no account."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from facturation.models import Facture, Status
from facturation.selectors import with_amount_due

SALT = "encaisse.facture.public"


def public_token(facture: Facture) -> str:
    return signing.dumps({"f": facture.pk, "c": facture.company_id}, salt=SALT, compress=True)


def facture_from_token(token: str) -> Facture | None:
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return (
        with_amount_due(Facture.objects.select_related("company", "client"))
        .filter(pk=data.get("f"), company_id=data.get("c"), status=Status.ISSUED)
        .first()
    )


def public_url(facture: Facture) -> str:
    path = reverse("facture_public", args=[public_token(facture)])
    return settings.SITE_URL.rstrip("/") + path
