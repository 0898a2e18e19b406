"""Tampering behind the application's back is reported by `manage.py verify_registre`."""

from contextlib import contextmanager
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from facturation.models import DocumentPDF
from facturation.services import avoir_creer, facture_emettre
from pgi.registre import verify_chain
from tests import factories


@contextmanager
def triggers_disabled():
    """What a database superuser could do: replication role skips every user trigger."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            yield cursor
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


def run_verify(company) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_registre", company=company.siren, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def books(db):
    company = factories.issuing_company()
    invoices = [
        factories.issued(company, lines=[factories.line("A", "2", "50"), factories.line("B")])
        for _ in range(3)
    ]
    facture_emettre(facture=avoir_creer(facture=invoices[0], user=None), user=None)
    return company, invoices


def test_an_intact_registre_verifies(books):
    company, _invoices = books
    code, out = run_verify(company)
    assert code == 0, out
    assert "intègre (4 enregistrements" in out


def test_an_altered_record_is_reported(books):
    company, invoices = books
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE comptabilite_enregistrement SET payload = "
            "convert_to(replace(convert_from(payload, 'UTF8'), '\"240.00\"', '\"24.00\"'), 'UTF8') "
            "WHERE company_id = %s AND sequence = 2",
            [company.pk],
        )
    code, out = run_verify(company)
    assert code == 1
    assert "#2 " in out and "contenu altéré" in out


def test_a_line_changed_behind_the_application_is_reported(books):
    company, invoices = books
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE facturation_lignefacture SET unit_price = 5 "
            "WHERE facture_id = %s AND position = 1",
            [invoices[1].pk],
        )
    code, out = run_verify(company)
    assert code == 1
    assert invoices[1].number in out and "diffère de son enregistrement" in out


def test_deleting_the_last_records_is_reported(books):
    company, _invoices = books
    with triggers_disabled() as cursor:
        cursor.execute(
            "DELETE FROM comptabilite_enregistrement WHERE company_id = %s AND sequence >= 3",
            [company.pk],
        )
    code, out = run_verify(company)
    assert code == 1
    assert "fin de chaîne tronquée" in out
    assert "absent du registre" in out


def test_deleting_the_tail_and_rewinding_the_head_is_still_reported(books):
    company, invoices = books
    with triggers_disabled() as cursor:
        cursor.execute(
            "DELETE FROM comptabilite_enregistrement WHERE company_id = %s AND sequence = 4",
            [company.pk],
        )
        cursor.execute(
            "UPDATE comptabilite_registre SET last_sequence = 3, last_fingerprint = "
            "(SELECT fingerprint FROM comptabilite_enregistrement WHERE company_id = %s "
            "AND sequence = 3) WHERE company_id = %s",
            [company.pk, company.pk],
        )
    code, out = run_verify(company)
    assert code == 1
    assert "absent du registre" in out  # the credit note still exists without its record


def test_a_deleted_middle_record_breaks_the_chain(books):
    company, _invoices = books
    with triggers_disabled() as cursor:
        cursor.execute(
            "DELETE FROM comptabilite_enregistrement WHERE company_id = %s AND sequence = 2",
            [company.pk],
        )
    code, out = run_verify(company)
    assert code == 1
    assert "trou dans la séquence" in out and "lien rompu" in out


@pytest.mark.django_db(transaction=True)
def test_a_replaced_pdf_is_reported():
    company = factories.issuing_company()
    invoice = factories.issued(company)  # commits: the PDF is rendered and sealed on commit
    pdf = DocumentPDF.objects.get(facture=invoice)
    assert verify_chain(company).ok
    with open(pdf.file.path, "ab") as handle:
        handle.write(b"%% tampered")
    code, out = run_verify(company)
    assert code == 1
    assert "le PDF diffère de l'empreinte scellée" in out


def test_other_companies_are_not_affected(books):
    company, _invoices = books
    other = factories.issuing_company("Voisine SAS")
    factories.issued(other)
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE facturation_facture SET total_incl_vat = %s WHERE company_id = %s",
            [Decimal("1"), company.pk],
        )
    assert run_verify(other)[0] == 0
    assert run_verify(company)[0] == 1
