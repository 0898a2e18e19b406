import pytest
from django.db import transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from pgi.events import event_record, events_verify
from pgi.models import Evenement, EventKind
from pgi.permissions import Role
from pgi.services import company_update, membership_change_role
from tests import factories
from tests.conftest import login
from tests.db_owner import triggers_disabled


@pytest.mark.django_db
def test_logins_and_failures_are_logged(client, owner_a):
    client.post(reverse("login"), {"username": owner_a.user.email, "password": "wrong"})
    client.post(reverse("login"), {"username": owner_a.user.email, "password": factories.PASSWORD})
    kinds = list(Evenement.objects.order_by("sequence").values_list("kind", flat=True))
    assert kinds == [EventKind.LOGIN_FAILED, EventKind.LOGIN]
    assert events_verify() == []


@pytest.mark.django_db
def test_identity_and_role_changes_are_logged_with_their_details(company_a, owner_a):
    staff = factories.member(company_a, Role.STAFF)
    company_update(company=company_a, fields={"legal_name": "Alpha SAS"}, user=owner_a.user)
    membership_change_role(membership=staff, role=Role.ACCOUNTANT, user=owner_a.user)
    identity, role = Evenement.objects.order_by("sequence")
    assert identity.kind == EventKind.IDENTITY and "legal_name" in identity.summary
    assert b'"Alpha SARL","Alpha SAS"' in bytes(identity.payload)
    assert role.kind == EventKind.ROLE and "staff → accountant" in role.summary


@pytest.mark.django_db
def test_customer_export_is_logged(as_owner_a, company_a):
    response = as_owner_a.get(reverse("crm:client_export"))
    b"".join(response.streaming_content)
    assert Evenement.objects.filter(kind=EventKind.EXPORT, company=company_a).exists()


@pytest.mark.django_db(transaction=True)
def test_the_log_is_append_only_and_tampering_is_detected(company_a):
    for i in range(3):
        event_record(kind=EventKind.EXPORT, summary=f"export {i}", company=company_a)
    append_only = "pgtrigger: Cannot update or delete rows from pgi_evenement table"
    with pytest.raises(DatabaseError, match=append_only), transaction.atomic():
        Evenement.objects.filter(sequence=2).update(summary="rien")
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE pgi_evenement SET payload = convert_to("
            "replace(convert_from(payload, 'UTF8'), 'export 1', 'export X'), 'UTF8') "
            "WHERE sequence = 2"
        )
    assert events_verify() == ["journal #2 : événement altéré"]


@pytest.mark.django_db
def test_event_log_page_is_for_owner_and_accountant(client, company_a, owner_a):
    event_record(kind=EventKind.EXPORT, summary="export visible", company=company_a)
    login(client, owner_a)
    assert "export visible" in client.get(reverse("comptabilite:evenements")).content.decode()
    login(client, factories.member(company_a, Role.STAFF))
    assert client.get(reverse("comptabilite:evenements")).status_code == 403
