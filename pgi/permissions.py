"""Roles and what each may do, in one table.

A role is held through a `Membership` (user, company). Views and API endpoints ask for a
permission, never for a role, so adding a role is a change to this file only.
"""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Gérant")
    STAFF = "staff", _("Collaborateur")
    ACCOUNTANT = "accountant", _("Expert-comptable")


class Perm(StrEnum):
    VIEW = "view"  # read every business screen of the company
    EXPORT = "export"  # CSV, FEC, archives
    COMMERCIAL_WRITE = "commercial.write"  # customers, quotes, invoices, payments
    SETTINGS_MANAGE = "settings.manage"  # the company's legal identity and defaults
    MEMBERS_MANAGE = "members.manage"  # invitations and roles
    API_TOKENS = "api.tokens"  # personal API tokens
    INTEGRITY = "integrity"  # run and read the register verification
    CLOSE = "close"  # close periods (clôtures) and export their archives
    BOOKS = "books"  # the books' account mapping (plan de comptes)


ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.OWNER: frozenset(Perm),
    Role.STAFF: frozenset({Perm.VIEW, Perm.EXPORT, Perm.COMMERCIAL_WRITE, Perm.API_TOKENS}),
    # The accountant reads everything, exports (the FEC) and maps the accounts of the books,
    # but never creates or changes a commercial document.
    Role.ACCOUNTANT: frozenset(
        {Perm.VIEW, Perm.EXPORT, Perm.API_TOKENS, Perm.INTEGRITY, Perm.CLOSE, Perm.BOOKS}
    ),
}


def role_has_perm(role: str, perm: Perm) -> bool:
    return perm in ROLE_PERMISSIONS.get(role, frozenset())
