"""`manage.py create_company`: what the sign-up page does, for scripts (issue #15).

The owner's account is opened with a password (`--password-stdin` keeps it out of the
process list and the shell history), or the owner is invited by email (`--invite`), or an
existing account becomes the owner. Running the same command again changes nothing and
says so; every refused field is named by its option, in French.
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from pgi import services
from pgi.exceptions import DomainError
from pgi.identifiers import format_siren, normalize
from pgi.models import Company, Invitation, LegalForm, Membership, User, VatRegime
from pgi.permissions import Role

# Model field → option; the company's identity as the sign-up's step 2 and settings take it.
OPTIONS = {
    "legal_name": "--legal-name", "trade_name": "--trade-name", "legal_form": "--legal-form",
    "siren": "--siren", "siret": "--siret", "share_capital": "--share-capital",
    "address_line1": "--address", "address_line2": "--address2", "postal_code": "--postal-code",
    "city": "--city", "registry_city": "--registry-city", "vat_number": "--vat-number",
    "vat_regime": "--vat-regime", "iban": "--iban", "bic": "--bic", "email": "--contact-email",
    "phone": "--phone",
}  # fmt: skip


class Command(BaseCommand):
    help = (
        "Crée une société et son gérant : compte avec mot de passe (--password ou "
        "--password-stdin) ou invitation par e-mail (--invite). Sans effet si elle existe déjà."
    )

    def add_arguments(self, parser):
        parser.add_argument("--owner", required=True, metavar="EMAIL", help="e-mail du gérant")
        access = parser.add_mutually_exclusive_group()
        access.add_argument("--password", help="mot de passe du nouveau compte")
        access.add_argument(
            "--password-stdin", action="store_true", help="lit le mot de passe sur l'entrée"
        )
        access.add_argument("--invite", action="store_true", help="envoie une invitation au gérant")
        parser.add_argument("--full-name", default="", help="nom du gérant (nouveau compte)")
        for field, option in OPTIONS.items():
            kwargs: dict = {"dest": field, "default": None}
            if field == "legal_name":
                kwargs["required"] = True
            if field == "legal_form":
                kwargs["choices"] = LegalForm.values
            if field == "vat_regime":
                kwargs["choices"] = VatRegime.values
            parser.add_argument(option, **kwargs)

    def handle(self, *args, owner, password, password_stdin, invite, full_name, **options):
        email = owner.strip().lower()
        fields = {name: options[name] for name in OPTIONS if options.get(name) is not None}
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        user = User.objects.filter(email__iexact=email).first()

        existing = self._existing(fields, email)
        if existing is not None:
            self._already_done(existing, email)
            return
        if user is None and not (password or invite):
            raise CommandError(
                f"Aucun compte pour {email} : donnez --password, --password-stdin ou --invite."
            )
        if user is not None and password:
            self.stderr.write(f"Le compte {email} existe déjà : son mot de passe n'est pas changé.")
        with transaction.atomic():  # an error anywhere leaves nothing half-created
            refused: list[DomainError] = []
            if user is None and not invite:
                try:
                    user = services.account_signup(
                        email=email, password=password or "", full_name=full_name
                    )
                except DomainError as exc:
                    refused.append(exc)  # the company is checked too: every problem at once
            try:
                company = services.company_create(owner=user, fields=fields)
            except DomainError as exc:
                refused.append(exc)
            if refused:
                raise CommandError("\n".join(self._problems(exc) for exc in refused))
            if invite and user is None:
                services.invitation_send(
                    company=company, email=email, role=Role.OWNER, invited_by=None
                )
        where = f"{company.legal_name}" + (
            f" (SIREN {format_siren(company.siren)})" if company.siren else ""
        )
        if invite and user is None:
            self.stdout.write(f"Société créée : {where}. Invitation de gérant envoyée à {email}.")
        else:
            self.stdout.write(f"Société créée : {where}, gérant {email}.")

    @staticmethod
    def _existing(fields: dict, email: str) -> Company | None:
        """The company this command already made: same SIREN, or (without a SIREN) the same
        name owned or awaited by the same person."""
        if fields.get("siren"):
            return Company.objects.filter(siren=normalize(fields["siren"])).first()
        return (
            Company.objects.filter(legal_name=fields["legal_name"].strip())
            .filter(memberships__user__email=email, memberships__role=Role.OWNER)
            .first()
        ) or (
            Company.objects.filter(
                legal_name=fields["legal_name"].strip(),
                invitations__email=email,
                invitations__role=Role.OWNER,
            ).first()  # fmt: skip
        )

    def _already_done(self, company: Company, email: str) -> None:
        if Membership.objects.filter(company=company, user__email=email, role=Role.OWNER).exists():
            self.stdout.write(f"Société déjà créée : {company.legal_name}, gérant {email}. "
                              "Rien n'a changé.")  # fmt: skip
            return
        if Invitation.objects.filter(
            company=company, email=email, role=Role.OWNER, accepted_at__isnull=True
        ).exists():
            self.stdout.write(f"Société déjà créée : {company.legal_name}, invitation de gérant "
                              f"déjà envoyée à {email}. Rien n'a changé.")  # fmt: skip
            return
        raise CommandError(
            f"Une société de SIREN {format_siren(company.siren)} existe déjà et {email} n'en "
            "est pas gérant : demandez à son gérant de l'inviter."
        )

    @staticmethod
    def _problems(exc: DomainError) -> str:
        names = {"password": "--password", "email": "--owner", **OPTIONS}
        lines = [
            f"{names.get(field, field)} : {message}"
            for field, messages in exc.field_errors.items()
            for message in messages
        ]
        placed = {m for messages in exc.field_errors.values() for m in messages}
        lines += [problem for problem in exc.problems if problem not in placed]
        return "\n".join(lines)
