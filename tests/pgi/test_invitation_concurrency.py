"""Eight people clicking one invitation link at the same moment (issue #15: six of eight
parallel accepts answered 500)."""

import multiprocessing

import pytest
from django.db import connections
from django.test import Client as HttpClient
from django.urls import reverse

from pgi.models import Invitation, Membership, User
from pgi.permissions import Role
from pgi.services import invitation_send, invitation_token
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

PARALLEL = 8


def _accept(url: str, start, results) -> None:
    connections.close_all()  # a fresh connection in the child, never the parent's socket
    start.wait()  # every child posts at the same moment
    try:
        response = HttpClient(raise_request_exception=False).post(
            url,
            {"full_name": "Nouvelle Recrue", "password1": "Zq8!vente-2026",
             "password2": "Zq8!vente-2026"},
        )  # fmt: skip
        results.put((response.status_code, response.content.decode()))
    finally:
        connections.close_all()


def test_parallel_accepts_of_one_invitation_make_one_member_and_no_500():
    """One accept wins and creates the account and the membership; the others are told in
    French that the invitation is already used (4xx), never a 500; nothing is half-made."""
    owner = factories.member(factories.company("Invitante SAS"), Role.OWNER)
    invitation = invitation_send(
        company=owner.company, email="recrue@exemple.fr", role=Role.STAFF, invited_by=owner.user
    )
    url = reverse("invitation_accept", args=[invitation_token(invitation)])
    connections.close_all()
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(PARALLEL), context.Queue()
    children = [
        context.Process(target=_accept, args=(url, start, results)) for _ in range(PARALLEL)
    ]
    for child in children:
        child.start()
    answers = [results.get(timeout=120) for _ in children]
    for child in children:
        child.join()
    statuses = sorted(status for status, _body in answers)
    assert statuses.count(302) == 1, statuses
    refused = [body for status, body in answers if status != 302]
    assert all(400 <= status < 500 for status, _body in answers if status != 302), statuses
    assert all("déjà été utilisée" in body for body in refused)
    assert User.objects.filter(email="recrue@exemple.fr").count() == 1
    assert (
        Membership.objects.filter(company=owner.company, user__email="recrue@exemple.fr").count()
        == 1
    )
    assert Invitation.objects.get(pk=invitation.pk).accepted_at is not None
