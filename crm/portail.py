"""The customer portal: a magic link per customer (signed with the site's key, expiring,
revocable, emailed to the customer's address on request) to one page listing its documents.

The page's sections are a registry (`crm.panels.PORTAIL_PANELS`) that the apps above fill with
the customer's own documents (facturation: invoices; devis: quotes): the portal is given the
customer of the link and nothing else, so nothing of another customer is reachable from it.
A link names its row (`AccesPortail`); the row says whether it expired or was revoked."""

from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm.models import AccesPortail, Client
from pgi.activite import activite_ecrire
from pgi.exceptions import DomainError
from pgi.models import FamilleActivite, User
from pgi.queue import publish_after_commit

SALT = "encaisse.crm.portail"


class Etat(StrEnum):
    OK = "ok"
    EXPIRED = "expire"
    REVOKED = "revoque"
    INVALID = "invalide"


def portail_token(acces: AccesPortail) -> str:
    return signing.dumps({"a": acces.pk, "c": acces.company_id}, salt=SALT, compress=True)


def portail_url(acces: AccesPortail) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("portail", args=[portail_token(acces)])


def portail_lire(token: str) -> tuple[AccesPortail | None, Etat]:
    """The link's row and what it allows; a link that is not ours is INVALID (no row)."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None, Etat.INVALID
    acces = (
        AccesPortail.objects.select_related("client", "company")
        .filter(pk=data.get("a"), company_id=data.get("c"))
        .first()
    )
    if acces is None:
        return None, Etat.INVALID
    if acces.revoked_at is not None:
        return acces, Etat.REVOKED
    if acces.expires_at <= timezone.now():
        return acces, Etat.EXPIRED
    return acces, Etat.OK


@transaction.atomic
def portail_lien_envoyer(*, client: Client, user: User | None) -> AccesPortail:
    """Creates a link to the customer's portal and emails it (after commit) to the customer's
    billing address; the links sent before stay valid until they expire or are revoked."""
    if not client.email:
        raise DomainError(_("Ce client n'a pas d'adresse e-mail de facturation."))
    acces = AccesPortail.objects.create(
        company_id=client.company_id, client=client, email=client.email,
        expires_at=timezone.now() + timedelta(days=settings.PORTAL_LINK_DAYS),
        created_by=user if user is not None and user.is_authenticated else None,
    )  # fmt: skip
    activite_ecrire(
        company=client.company_id, client_id=client.pk, famille=FamilleActivite.ACTIVITE,
        summary=gettext_noop("Lien d'accès au portail envoyé à %(to)s"),
        params={"to": acces.email}, icon="door-open", url=client.get_absolute_url(), user=user,
    )  # fmt: skip
    from crm.tasks import send_portal_link

    publish_after_commit(send_portal_link, acces.pk)  # the sweeper covers a lost one
    return acces


@transaction.atomic
def portail_revoquer(*, client: Client, user: User | None) -> int:
    """Revokes every link of the customer's portal still valid; returns how many."""
    revoked = AccesPortail.objects.filter(
        client=client, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).update(revoked_at=timezone.now())
    if revoked:
        activite_ecrire(
            company=client.company_id, client_id=client.pk, famille=FamilleActivite.ACTIVITE,
            summary=gettext_noop("Accès au portail révoqués (%(n)s)"), params={"n": revoked},
            icon="door-closed", url=client.get_absolute_url(), user=user,
        )  # fmt: skip
    return revoked


def portail_lien_redemander(*, acces: AccesPortail) -> AccesPortail | None:
    """From an expired link: a new one, to the address on file today (never to an address
    typed by the visitor). None when the customer has no address or the link was revoked."""
    if acces.revoked_at is not None or not acces.client.email:
        return None
    return portail_lien_envoyer(client=acces.client, user=None)


def portail_expedier(*, acces_id: int) -> None:
    """Sends one link's email once (no lock held while the mail server talks)."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    acces = AccesPortail.objects.select_related("client", "company").get(pk=acces_id)
    if acces.sent_at is not None or acces.revoked_at is not None:
        return
    context = {"acces": acces, "company": acces.company, "url": portail_url(acces)}
    send_mail(
        subject=render_to_string("crm/email/portail_subject.txt", context).strip(),
        message=render_to_string("crm/email/portail.txt", context),
        from_email=None,
        recipient_list=[acces.email],
    )
    AccesPortail.objects.filter(pk=acces_id).update(sent_at=timezone.now())
