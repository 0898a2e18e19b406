"""`manage.py create_company`: the sign-up for scripts (issue #15)."""

import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from pgi.models import Company, Invitation, Membership, User
from pgi.permissions import Role
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "Bonne-phrase-de-passe-2026"
IDENTITY = ["--legal-name", "Atelier Dupont", "--legal-form", "SARL", "--siren", "552 081 317",
            "--address", "3 rue des Lilas", "--postal-code", "69003", "--city", "Lyon"]  # fmt: skip


def run(*args, stdin: str = "") -> str:
    out, err = io.StringIO(), io.StringIO()
    import sys

    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command("create_company", *args, stdout=out, stderr=err)
    finally:
        sys.stdin = saved
    return out.getvalue() + err.getvalue()


def test_a_script_creates_the_owner_and_the_company_once(django_capture_on_commit_callbacks):
    """With a password read from standard input, the command opens the owner's account (a
    confirmation link is emailed, as on the sign-up page), creates the company with them as
    owner, and a second identical run changes nothing and says so."""
    with django_capture_on_commit_callbacks(execute=True):
        out = run("--owner", "Marie@Atelier.example", "--password-stdin", *IDENTITY,
                  stdin=PASSWORD + "\n")  # fmt: skip
    assert "Société créée : Atelier Dupont (SIREN 552\u00a0081\u00a0317), gérant" in out
    user = User.objects.get(email="marie@atelier.example")
    assert user.check_password(PASSWORD)
    company = Company.objects.get()
    assert (company.siren, company.city, company.vat_number) == (
        "552081317",
        "Lyon",
        "FR03552081317",
    )
    assert Membership.objects.get(user=user, company=company).role == Role.OWNER
    assert [m.to for m in mail.outbox] == [["marie@atelier.example"]]

    again = run("--owner", "marie@atelier.example", "--password-stdin", *IDENTITY,
                stdin=PASSWORD + "\n")  # fmt: skip
    assert "Société déjà créée : Atelier Dupont" in again and "Rien n'a changé." in again
    assert (Company.objects.count(), User.objects.count(), Membership.objects.count()) == (1, 1, 1)


def test_a_script_can_invite_the_owner_instead(django_capture_on_commit_callbacks):
    """--invite creates the company without any member and emails an owner's invitation;
    running it again sends no second invitation."""
    with django_capture_on_commit_callbacks(execute=True):
        out = run("--owner", "gerant@atelier.example", "--invite", *IDENTITY)
    assert "Invitation de gérant envoyée à gerant@atelier.example." in out
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role) == ("gerant@atelier.example", Role.OWNER)
    assert not Membership.objects.exists() and not User.objects.exists()
    assert "Vous êtes invité à rejoindre Atelier Dupont" in mail.outbox[0].body
    again = run("--owner", "gerant@atelier.example", "--invite", *IDENTITY)
    assert "invitation de gérant déjà envoyée" in again
    assert Invitation.objects.count() == 1


def test_an_existing_account_becomes_the_owner_without_a_password():
    """An account that exists needs no password; a given one is not changed, and the command
    says so."""
    user = factories.user("deja@atelier.example")
    out = run("--owner", "deja@atelier.example", "--password", "autre-chose-2026", *IDENTITY)
    assert "son mot de passe n'est pas changé" in out
    user.refresh_from_db()
    assert user.check_password(factories.PASSWORD)
    assert Membership.objects.get(user=user).role == Role.OWNER


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--password", "azerty"], "--password : Ce mot de passe est trop court."),
        (["--password", PASSWORD, "--siren", "552081318"], "--siren : Ce SIREN n'est pas valide"),
        (["--password", PASSWORD, "--iban", "FR76"], "--iban : Cet IBAN n'est pas valide."),
        ([], "Aucun compte pour marie@atelier.example : donnez --password"),
    ],
)
def test_every_refusal_names_its_option_in_french_and_leaves_nothing(args, message):
    """A weak password, an invalid SIREN or IBAN, or no way to open the account: the command
    fails with the French reason after the option's name, and nothing is half-created."""
    with pytest.raises(CommandError) as error:
        run("--owner", "marie@atelier.example", *IDENTITY, *args)
    assert message in str(error.value)
    assert not User.objects.exists() and not Company.objects.exists()


def test_a_siren_owned_by_someone_else_is_refused():
    """Another person's company is never taken over: its owner must invite."""
    other = factories.company("Atelier Dupont", siren="552081317")
    factories.member(other, Role.OWNER, email="proprio@atelier.example")
    with pytest.raises(CommandError, match="n'en est pas gérant"):
        run("--owner", "intrus@atelier.example", "--password", PASSWORD, *IDENTITY)
    assert not User.objects.filter(email="intrus@atelier.example").exists()


def test_the_account_and_the_company_are_checked_together():
    """A weak password does not hide a wrong SIREN: the script's author fixes both at once."""
    with pytest.raises(CommandError) as error:
        run("--owner", "m@a.example", "--password", "azerty", "--legal-name", "X", "--siren", "1")
    assert "--password : Ce mot de passe est trop court" in str(error.value)
    assert "--siren : Le SIREN doit comporter 9 chiffres." in str(error.value)
