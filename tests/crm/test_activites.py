"""Activities (call, email, meeting, note, task), "Mes tâches" and the daily task reminder."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import Activite
from crm.tasks import remind_tasks_due_today
from pgi.exceptions import DomainError
from pgi.models import FilActivite
from pgi.permissions import Role
from tests import factories


def _task(company, client, user, subject, due, **fields):
    return services.activite_creer(
        company=company, user=user,
        fields={"kind": "tache", "subject": subject, "client": client, "due_date": due, **fields},
    )  # fmt: skip


@pytest.mark.django_db
def test_a_task_needs_a_due_date_and_falls_to_its_author(company_a, owner_a):
    client = factories.client(company_a)
    with pytest.raises(DomainError, match="échéance"):
        fields = {"kind": "tache", "subject": "Rappeler", "client": client}
        services.activite_creer(company=company_a, user=owner_a.user, fields=fields)
    task = _task(company_a, client, owner_a.user, "Rappeler", timezone.localdate())
    assert task.assignee == owner_a.user and task.done_at is None
    fields = {"kind": "note", "subject": "Aime le bleu", "client": client}
    note = services.activite_creer(company=company_a, user=owner_a.user, fields=fields)
    assert note.done_at is not None
    assert FilActivite.objects.filter(client_id=client.pk).count() == 2


@pytest.mark.django_db
def test_an_activity_on_another_customers_deal_is_refused(company_a, owner_a):
    opp = factories.opportunite(company_a)
    other = factories.client(company_a, name="Autre")
    with pytest.raises(DomainError, match="opportunité"):
        services.activite_creer(company=company_a, user=owner_a.user, fields={
            "kind": "appel", "subject": "x", "client": other, "opportunite": opp})  # fmt: skip


@pytest.mark.django_db
def test_my_tasks_shows_overdue_and_today_and_only_mine(as_owner_a, company_a, owner_a):
    client = factories.client(company_a)
    today = timezone.localdate()
    colleague = factories.member(company_a, Role.STAFF)
    _task(company_a, client, owner_a.user, "En retard", today - timedelta(days=2))
    _task(company_a, client, owner_a.user, "Du jour", today)
    _task(company_a, client, owner_a.user, "Demain", today + timedelta(days=1))
    _task(company_a, client, owner_a.user, "Pas à moi", today, assignee=colleague.user)
    response = as_owner_a.get(reverse("pipeline:taches"))
    assert [t.subject for t in response.context["overdue"]] == ["En retard"]
    assert [t.subject for t in response.context["today"]] == ["Du jour"]
    assert "Pas à moi" not in response.content.decode()
    done = Activite.objects.get(subject="Du jour")
    as_owner_a.post(reverse("pipeline:activite_done", args=[done.pk]))
    done.refresh_from_db()
    assert done.done_at is not None


@pytest.mark.django_db
def test_an_activity_of_another_company_cannot_be_closed(as_owner_a, company_b, owner_b):
    theirs = _task(company_b, factories.client(company_b), owner_b.user, "B", timezone.localdate())
    assert as_owner_a.post(reverse("pipeline:activite_done", args=[theirs.pk])).status_code == 404


@pytest.mark.django_db
def test_the_daily_reminder_emails_each_member_once(company_a, owner_a):
    client = factories.client(company_a, name="Garage Martin")
    today = timezone.localdate()
    colleague = factories.member(company_a, Role.STAFF)
    _task(company_a, client, owner_a.user, "Envoyer le devis", today)
    _task(company_a, client, owner_a.user, "Relancer", today)
    _task(company_a, client, owner_a.user, "Plus tard", today + timedelta(days=3))
    _task(company_a, client, owner_a.user, "Collègue", today, assignee=colleague.user)
    assert remind_tasks_due_today() == 2
    mine = next(m for m in mail.outbox if m.to == [owner_a.user.email])
    assert "Envoyer le devis" in mine.body and "Relancer" in mine.body
    assert "Plus tard" not in mine.body and "Garage Martin" in mine.body
    assert remind_tasks_due_today() == 0  # once a day
    assert len(mail.outbox) == 2
