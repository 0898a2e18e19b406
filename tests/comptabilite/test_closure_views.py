import hashlib
import io
import json
import tempfile
import zipfile
from datetime import date

import pytest
from django.db import DatabaseError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comptabilite.archives import archive_verifier
from comptabilite.models import Archive, Cloture
from comptabilite.services import archive_creer, cloture_effectuer
from facturation.models import Facture
from facturation.services import facture_emettre, facture_pdf_generer
from pgi.models import Enregistrement, Evenement, RecordKind
from pgi.permissions import Role
from tests import factories
from tests.conftest import login


@pytest.fixture
def company_with_january(db):
    company = factories.issuing_company()
    facture_emettre(facture=factories.draft(company), user=None, today=date(2026, 1, 10))
    return company


def test_accountant_closes_a_month_and_downloads_its_pdf(client, company_with_january):
    login(client, factories.member(company_with_january, Role.ACCOUNTANT))
    page = client.get(reverse("comptabilite:clotures")).content.decode()
    assert 'value="2026-01-01"' in page  # January is offered for closing
    response = client.post(
        reverse("comptabilite:cloture_creer"), {"kind": "mensuelle", "start": "2026-01-01"}
    )
    assert response.status_code == 302
    cloture = Cloture.objects.get(company=company_with_january)
    assert cloture.reference == "CLOTURE-M-2026-01"
    pdf = client.get(reverse("comptabilite:cloture_pdf", args=[cloture.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


# Archives: created by a POST, downloaded by a GET that writes nothing ---------------------


@pytest.fixture
def january(company_with_january):
    return cloture_effectuer(
        company=company_with_january, kind="mensuelle", period_start=date(2026, 1, 1), user=None
    )


@pytest.fixture
def temp_root(tmp_path, monkeypatch):
    """The folder where `tempfile` creates its folders, to see that none is left behind."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def archive_folders(root) -> list:
    return list(root.glob("encaisse-archive-*"))


def written() -> tuple[int, int, int]:
    """What a request may have written: register records, events, archive rows (the clients
    log in before counting: a login is an event)."""
    return Enregistrement.objects.count(), Evenement.objects.count(), Archive.objects.count()


def downloaded(response) -> bytes:
    assert response.status_code == 200, response
    return b"".join(response.streaming_content)


def test_accountant_creates_an_archive_by_post_and_downloads_the_bytes_sealed(
    client, january, temp_root, tmp_path
):
    company = january.company
    accountant = factories.member(company, Role.ACCOUNTANT)
    login(client, accountant)
    records, events, archives = written()

    response = client.post(reverse("comptabilite:cloture_archiver", args=[january.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("comptabilite:clotures")
    assert written() == (records + 1, events + 1, archives + 1)
    archive = Archive.objects.get()
    assert (archive.company, archive.cloture, archive.created_by) == (
        company, january, accountant.user
    )  # fmt: skip
    record = Enregistrement.objects.get(company=company, sequence=archive.sequence)
    assert record.kind == RecordKind.ARCHIVE and record.reference == "ARCHIVE-2026-01"
    assert archive_folders(temp_root) == []

    page = client.get(reverse("comptabilite:clotures")).content.decode()
    assert archive.filename in page
    assert f"{timezone.localtime(archive.created_at):%d/%m/%Y %H:%M}" in page
    url = reverse("comptabilite:archive_telecharger", args=[archive.pk])
    assert f'href="{url}"' in page

    response = client.get(url)
    assert response["Content-Disposition"] == f'attachment; filename="{archive.filename}"'
    data = downloaded(response)
    # The bytes hashed when the archive was created, whose manifest the register sealed.
    assert hashlib.sha256(data).hexdigest() == archive.sha256
    manifest = zipfile.ZipFile(io.BytesIO(data)).read("manifest.json")
    sealed = json.loads(bytes(record.payload))["doc"]
    assert hashlib.sha256(manifest).hexdigest() == sealed["manifest_sha256"]
    assert sealed["file"] == archive.filename
    path = tmp_path / "archive.zip"
    path.write_bytes(data)
    assert archive_verifier(path).ok
    assert downloaded(client.get(url)) == data  # the same file again, nothing rebuilt


def test_a_get_never_writes_not_even_a_refused_one(client, january, temp_root):
    company = january.company
    archive = archive_creer(company=company, cloture=january, user=None)
    other = factories.issuing_company("Autre SAS")
    facture_emettre(facture=factories.draft(other), user=None, today=date(2026, 1, 10))
    other_january = cloture_effectuer(
        company=other, kind="mensuelle", period_start=date(2026, 1, 1), user=None
    )
    foreign = archive_creer(company=other, cloture=other_january, user=None)
    owner = login(client, factories.member(company, Role.OWNER))
    staff = login(Client(), factories.member(company, Role.STAFF))
    download = reverse("comptabilite:archive_telecharger", args=[archive.pk])
    before = written()

    assert owner.get(reverse("comptabilite:clotures")).status_code == 200
    downloaded(owner.get(download))
    for pk in (foreign.pk, 0):  # another company's archive, no archive at all
        url = reverse("comptabilite:archive_telecharger", args=[pk])
        assert owner.get(url).status_code == 404
    # Creating is a POST: a GET on its address is refused and builds nothing.
    create = reverse("comptabilite:cloture_archiver", args=[january.pk])
    assert owner.get(create).status_code == 405
    assert staff.get(download).status_code == 403

    assert written() == before
    assert archive_folders(temp_root) == []


def test_creating_an_archive_needs_the_close_permission_and_a_csrf_token(january):
    company = january.company
    url = reverse("comptabilite:cloture_archiver", args=[january.pk])
    staff = login(Client(), factories.member(company, Role.STAFF))
    forged = login(Client(enforce_csrf_checks=True), factories.member(company, Role.OWNER))
    other = login(Client(), factories.member(factories.issuing_company("Autre SAS")))
    before = written()

    assert staff.post(url).status_code == 403
    assert forged.post(url).status_code == 403  # no CSRF token
    assert other.post(url).status_code == 404  # another company's closure

    assert written() == before


def test_an_archive_that_cannot_be_built_is_not_recorded_and_leaves_no_folder(
    client, company_with_january, temp_root
):
    """A PDF missing from the storage: the reason is shown, nothing is sealed nor kept."""
    pdf = facture_pdf_generer(facture_id=Facture.objects.get(company=company_with_january).pk)
    pdf.file.storage.delete(pdf.file.name)
    cloture = cloture_effectuer(
        company=company_with_january, kind="mensuelle", period_start=date(2026, 1, 1), user=None
    )
    login(client, factories.member(company_with_january, Role.OWNER))
    before = written()

    response = client.post(reverse("comptabilite:cloture_archiver", args=[cloture.pk]), follow=True)

    assert "est introuvable" in response.content.decode()
    assert written() == before
    assert archive_folders(temp_root) == []


def test_an_archive_is_never_updated_nor_deleted(january):
    archive = archive_creer(company=january.company, cloture=january, user=None)
    append_only = "pgtrigger: Cannot update or delete rows from comptabilite_archive table"
    with pytest.raises(DatabaseError, match=append_only), transaction.atomic():
        Archive.objects.filter(pk=archive.pk).update(sha256="0" * 64)
    with pytest.raises(DatabaseError, match=append_only), transaction.atomic():
        Archive.objects.filter(pk=archive.pk).delete()


def test_staff_cannot_close(client, company_with_january):
    login(client, factories.member(company_with_january, Role.STAFF))
    response = client.post(
        reverse("comptabilite:cloture_creer"), {"kind": "mensuelle", "start": "2026-01-01"}
    )
    assert response.status_code == 403
    assert not Cloture.objects.exists()


def test_closing_an_unfinished_month_shows_the_reason(client, company_with_january):
    login(client, factories.member(company_with_january, Role.OWNER))
    response = client.post(
        reverse("comptabilite:cloture_creer"), {"kind": "mensuelle", "start": "2099-01-01"},
        follow=True,
    )  # fmt: skip
    assert "alert-danger" in response.content.decode()
    assert not Cloture.objects.exists()
