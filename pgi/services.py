"""Writes on the kernel: companies, memberships, invitations, API tokens."""

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

# pgi.tasks calls these services back: modules, not names, so either may load first.
from pgi import tasks
from pgi.events import event_record
from pgi.exceptions import DomainError
from pgi.identifiers import normalize, vat_number_from_siren
from pgi.locks import lock_invitation
from pgi.models import ApiToken, Company, EventKind, Invitation, Membership, User
from pgi.permissions import Role
from pgi.queue import publish_after_commit
from pgi.text import clean_text

INVITATION_SALT = "encaisse.invitation"
INVITATION_MAX_AGE = 7 * 24 * 3600

COMPANY_IDENTIFIER_FIELDS = ("siren", "siret", "vat_number", "iban", "bic")


def _clean_company(company: Company) -> None:
    for field in COMPANY_IDENTIFIER_FIELDS:
        setattr(company, field, normalize(getattr(company, field)))
    if company.siren and not company.vat_number and company.country == "FR":
        try:
            company.vat_number = vat_number_from_siren(company.siren)
        except ValidationError:
            pass  # the SIREN's own error is reported by full_clean below
    if company.legal_form == "EI":
        company.is_ei = True
    try:
        company.full_clean()
    except ValidationError as exc:
        raise DomainError.from_validation_error(exc) from exc


@transaction.atomic
def company_create(*, owner: User | None, fields: dict[str, Any]) -> Company:
    """Creates a company and makes `owner` its owner (None: an owner is invited next, as
    `manage.py create_company --invite` does)."""
    company = Company(**fields)
    _clean_company(company)
    company.save()
    if owner is not None:
        Membership.objects.create(user=owner, company=company, role=Role.OWNER)
    return company


EMAIL_VERIFICATION_SALT = "encaisse.email-verification"
EMAIL_VERIFICATION_MAX_AGE = 3 * 24 * 3600


@transaction.atomic
def account_signup(*, email: str, password: str, full_name: str = "") -> User:
    """Opens an account from the public sign-up page; every problem is reported at once.

    The address is confirmed by a signed link emailed after commit; until then the account
    works and its pages show a banner (as Odoo and Invoice Ninja do).
    """
    email = email.strip().lower()
    full_name = clean_text(full_name, single_line=True).strip()
    errors: dict[str, list[str]] = {}
    try:
        validate_email(email)
    except ValidationError as exc:
        errors["email"] = list(exc.messages)
    else:
        if User.objects.filter(email__iexact=email).exists():
            errors["email"] = [_("Un compte existe déjà pour cette adresse : connectez-vous, ou "
                                 "demandez un nouveau mot de passe.")]  # fmt: skip
    try:
        password_validation.validate_password(password, user=User(email=email, full_name=full_name))
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise DomainError([m for ms in errors.values() for m in ms], field_errors=errors)
    try:
        with transaction.atomic():  # the same address signing up twice at once
            user = User.objects.create_user(email, password, full_name=full_name)
    except IntegrityError as exc:
        raise DomainError(
            _("Un compte existe déjà pour cette adresse."), field_errors={"email": [
                _("Un compte existe déjà pour cette adresse.")]},
        ) from exc  # fmt: skip
    email_verification_send(user=user)
    return user


def email_verification_token(user: User) -> str:
    """A signed link token naming the user and the address it confirms."""
    return signing.dumps({"u": user.pk, "e": user.email}, salt=EMAIL_VERIFICATION_SALT)


def email_verification_url(user: User) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "email_verify", args=[email_verification_token(user)]
    )


def email_verification_send(*, user: User) -> None:
    """Emails the confirmation link after commit (nothing when already confirmed)."""
    if user.email_verified_at is None:
        publish_after_commit(tasks.send_email_verification, user.pk)


def email_verification_check(token: str) -> User:
    """The user a confirmation link names; a French DomainError when it cannot be used."""
    try:
        data = signing.loads(
            token, salt=EMAIL_VERIFICATION_SALT, max_age=EMAIL_VERIFICATION_MAX_AGE
        )
    except signing.SignatureExpired as exc:
        raise DomainError(
            _("Ce lien de confirmation a expiré : connectez-vous et demandez-en un nouveau.")
        ) from exc
    except signing.BadSignature as exc:
        raise DomainError(_("Ce lien de confirmation n'est pas valide.")) from exc
    user = User.objects.filter(pk=data.get("u"), email=data.get("e"), is_active=True).first()
    if user is None:
        raise DomainError(_("Ce lien de confirmation n'est pas valide."))
    return user


@transaction.atomic
def email_verify(*, token: str) -> User:
    """Records that the user confirmed their address; a second use changes nothing."""
    user = email_verification_check(token)
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


LEGAL_IDENTITY_FIELDS = (
    "legal_name", "trade_name", "legal_form", "is_ei", "share_capital", "address_line1",
    "address_line2", "postal_code", "city", "country", "siren", "siret", "registry",
    "registry_city", "vat_number", "vat_regime", "iban", "bic",
)  # fmt: skip


@transaction.atomic
def company_update(
    *, company: Company, fields: dict[str, Any], user: User | None = None
) -> Company:
    """Updates the company's identity and defaults; every field is checked at once.

    A change to the legal identity is written to the technical event log.
    """
    before = {name: getattr(company, name) for name in LEGAL_IDENTITY_FIELDS}
    for name, value in fields.items():
        setattr(company, name, value)
    _clean_company(company)
    company.save()
    changed = {
        name: [str(before[name]), str(getattr(company, name))]
        for name in LEGAL_IDENTITY_FIELDS
        if before[name] != getattr(company, name)
    }
    if changed:
        event_record(
            kind=EventKind.IDENTITY, company=company, user=user, details=changed,
            summary=gettext_noop("Identité légale modifiée : %(fields)s"),
            params={"fields": ", ".join(sorted(changed))},
        )  # fmt: skip
    return company


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk}, salt=INVITATION_SALT)


def invitation_from_token(token: str) -> Invitation:
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=INVITATION_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise DomainError(_("Cette invitation a expiré : demandez-en une nouvelle.")) from exc
    except signing.BadSignature as exc:
        raise DomainError(_("Ce lien d'invitation n'est pas valide.")) from exc
    invitation = Invitation.objects.select_related("company").filter(pk=data.get("i")).first()
    if invitation is None or invitation.accepted_at is not None:
        raise DomainError(_("Cette invitation a déjà été utilisée ou a été annulée."))
    return invitation


@transaction.atomic
def invitation_send(
    *, company: Company, email: str, role: str, invited_by: User | None
) -> Invitation:
    """Records an invitation and emails its link after commit."""
    email = email.strip().lower()
    if Membership.objects.filter(company=company, user__email=email).exists():
        raise DomainError(_("%(email)s est déjà membre de cette société.") % {"email": email})
    if role not in Role.values:
        raise DomainError(_("Rôle inconnu."))
    invitation = Invitation.objects.create(
        company=company, email=email, role=role, invited_by=invited_by
    )
    event_record(
        kind=EventKind.INVITATION, company=company, user=invited_by,
        summary=gettext_noop("Invitation de %(email)s (%(role)s)"),
        params={"email": email, "role": role}, details={"email": email, "role": role},
    )  # fmt: skip
    publish_after_commit(tasks.send_invitation_email, invitation.pk)
    return invitation


@transaction.atomic
def invitation_accept(
    *, token: str, user: User | None, password: str = "", full_name: str = ""
) -> Membership:
    """Turns an invitation into a membership, creating the user's account if needed.

    The invitation row is locked first: of parallel accepts of one link, one wins and the
    others are refused as "already used", never by the database's unique email."""
    invitation = lock_invitation(invitation_from_token(token).pk)
    if invitation is None or invitation.accepted_at is not None:
        raise DomainError(_("Cette invitation a déjà été utilisée ou a été annulée."))
    if user is None:
        if User.objects.filter(email=invitation.email).exists():
            raise DomainError(_("Un compte existe déjà pour cet e-mail : connectez-vous d'abord."))
        user = User.objects.create_user(
            invitation.email, password, full_name=full_name, email_verified_at=timezone.now()
        )  # following the emailed link proved the address
    elif user.email.lower() != invitation.email:
        raise DomainError(
            _("Cette invitation est destinée à %(email)s.") % {"email": invitation.email}
        )
    membership, _created = Membership.objects.get_or_create(
        user=user, company=invitation.company, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


@transaction.atomic
def membership_checklist_hide(*, membership: Membership) -> Membership:
    """The member hides the dashboard's first-run checklist for good."""
    if membership.checklist_hidden_at is None:
        membership.checklist_hidden_at = timezone.now()
        membership.save(update_fields=["checklist_hidden_at"])
    return membership


@transaction.atomic
def membership_change_role(
    *, membership: Membership, role: str, user: User | None = None
) -> Membership:
    """A company always keeps at least one owner."""
    if role not in Role.values:
        raise DomainError(_("Rôle inconnu."))
    if membership.role == Role.OWNER and role != Role.OWNER:
        owners = Membership.objects.select_for_update().filter(
            company=membership.company, role=Role.OWNER
        )
        if owners.count() <= 1:
            raise DomainError(_("La société doit garder au moins un gérant."))
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    if previous != role:
        event_record(
            kind=EventKind.ROLE, company=membership.company, user=user,
            summary=gettext_noop("Rôle de %(email)s : %(from)s → %(to)s"),
            params={"email": membership.user.email, "from": previous, "to": role},
            details={"member": membership.user.email, "from": previous, "to": role},
        )  # fmt: skip
    return membership


@transaction.atomic
def api_token_create(*, membership: Membership, name: str) -> tuple[ApiToken, str]:
    """Creates a token; returns it with its clear value, never stored nor shown again."""
    name = name.strip()
    if not name:
        raise DomainError(_("Donnez un nom au jeton (par exemple l'outil qui l'utilisera)."))
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        membership=membership, name=name, prefix=prefix, key_hash=ApiToken.hash_secret(secret)
    )
    event_record(
        kind=EventKind.API_TOKEN, company=membership.company, user=membership.user,
        summary=gettext_noop("Jeton d'API créé : %(name)s (%(prefix)s)"),
        params={"name": name, "prefix": prefix},
    )  # fmt: skip
    return token, f"enc_{prefix}_{secret}"


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        event_record(
            kind=EventKind.API_TOKEN, company=token.membership.company, user=token.membership.user,
            summary=gettext_noop("Jeton d'API révoqué : %(name)s (%(prefix)s)"),
            params={"name": token.name, "prefix": token.prefix},
        )  # fmt: skip
    return token


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The active token matching `raw`, or None; the comparison is constant-time."""
    try:
        scheme, prefix, secret = raw.split("_", 2)
    except ValueError:
        return None
    if scheme != "enc":
        return None
    token = (
        ApiToken.objects.select_related("membership__company", "membership__user")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if token is None or not secrets.compare_digest(token.key_hash, ApiToken.hash_secret(secret)):
        return None
    if not token.membership.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def invitation_url(invitation: Invitation) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "invitation_accept", args=[invitation_token(invitation)]
    )
