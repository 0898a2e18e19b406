"""A closed period is exported as a signed zip that `verify_archive` checks on its own."""

import hashlib
import json
import zipfile
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from comptabilite.archives import (
    REGISTRE_SLICE,
    archive_exporter,
    archive_verifier,
    public_key_hex,
    signing_key,
)
from comptabilite.exceptions import ComptabiliteError
from comptabilite.services import cloture_effectuer
from facturation.services import avoir_creer, facture_emettre, facture_pdf_generer
from pgi.models import Enregistrement, Evenement, EventKind, RecordKind
from pgi.registre import verify_chain
from tests import factories


def run_verify(path: Path, **options) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_archive", str(path), stdout=out, **options)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def export(company, period: str, output: Path) -> Path:
    out = StringIO()
    call_command(
        "export_archive", company=company.siren, period=period, output=str(output), stdout=out
    )
    return Path(out.getvalue().strip())


def rewrite(path: Path, *, change=None, drop=(), add=None) -> Path:
    """A copy of the archive with some members changed, removed or added."""
    altered = path.with_name("alteree.zip")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(altered, "w") as target:
        for info in source.infolist():
            if info.filename in drop:
                continue
            data = source.read(info.filename)
            if change and info.filename in change:
                data = change[info.filename](data)
            target.writestr(info, data)
        for name, data in (add or {}).items():
            target.writestr(name, data)
    return altered


@pytest.fixture
def january(db):
    """January 2026 closed: two invoices (one with its PDF) and a credit note."""
    company = factories.issuing_company()
    first = facture_emettre(facture=factories.draft(company), user=None, today=date(2026, 1, 15))
    facture_emettre(facture=factories.draft(company), user=None, today=date(2026, 1, 16))
    facture_pdf_generer(facture_id=first.pk)
    facture_emettre(
        facture=avoir_creer(facture=first, user=None), user=None, today=date(2026, 1, 20)
    )
    cloture = cloture_effectuer(
        company=company, kind="mensuelle", period_start=date(2026, 1, 1), user=None
    )
    return company, cloture


@pytest.fixture
def archive(january, tmp_path) -> Path:
    company, _cloture = january
    return export(company, "2026-01", tmp_path / "archives")


def test_an_exported_archive_verifies(january, archive):
    company, cloture = january
    with zipfile.ZipFile(archive) as zipped:
        names = set(zipped.namelist())
        manifest_bytes = zipped.read("manifest.json")
        slice_lines = zipped.read(REGISTRE_SLICE).decode().splitlines()
    assert {
        "manifest.json", "manifest.sig", "manifest.pub", "README.txt", "documents/index.csv",
        "documents/F-2026-00001.json", "documents/F-2026-00001.pdf",
        "documents/F-2026-00002.json", "documents/AV-2026-00001.json",
        "cloture/CLOTURE-M-2026-01.json", "cloture/CLOTURE-M-2026-01.pdf", REGISTRE_SLICE,
    } == names  # fmt: skip
    manifest = json.loads(manifest_bytes)
    assert manifest["company"]["siren"] == company.siren
    assert manifest["period"] == {
        "label": "2026-01", "kind": "mensuelle", "start": "2026-01-01", "end": "2026-01-31",
    }  # fmt: skip
    assert manifest["chain_head"] == {
        "sequence": cloture.sequence,
        "fingerprint": cloture.fingerprint,
    }
    assert manifest["public_key"] == public_key_hex()
    assert {entry["path"] for entry in manifest["files"]} == names - {
        "manifest.json", "manifest.sig", "manifest.pub",
    }  # fmt: skip
    # The whole chain up to the closure: 3 documents, 1 PDF, the closure itself.
    assert [json.loads(line)["sequence"] for line in slice_lines] == [1, 2, 3, 4, 5]

    record = Enregistrement.objects.get(company=company, kind=RecordKind.ARCHIVE)
    doc = json.loads(bytes(record.payload))["doc"]
    assert doc["manifest_sha256"] == hashlib.sha256(manifest_bytes).hexdigest()
    assert doc["head"] == manifest["chain_head"] and doc["file"] == archive.name
    assert Evenement.objects.filter(
        company=company, kind=EventKind.ARCHIVE, summary__contains=archive.name
    ).exists()
    assert verify_chain(company).ok

    code, out = run_verify(archive)
    assert code == 0, out
    assert "intègre (9 fichiers, 5 enregistrements" in out
    assert run_verify(archive, public_key=public_key_hex())[0] == 0


def test_the_archive_is_verified_without_the_database(archive, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert archive_verifier(archive).ok


def test_an_open_period_is_not_archived(january, tmp_path):
    company, _cloture = january
    with pytest.raises(CommandError, match="2026-02 n'est pas clôturée"):
        export(company, "2026-02", tmp_path)
    with pytest.raises(CommandError, match="Période invalide"):
        export(company, "janvier", tmp_path)
    assert not Enregistrement.objects.filter(company=company, kind=RecordKind.ARCHIVE).exists()


def test_an_altered_file_is_named(archive):
    altered = rewrite(archive, change={"documents/F-2026-00001.pdf": lambda d: d + b"%% x"})
    code, out = run_verify(altered)
    assert code == 1
    assert "documents/F-2026-00001.pdf : fichier altéré" in out


def test_a_removed_file_is_named(archive):
    altered = rewrite(archive, drop={"documents/AV-2026-00001.json"})
    code, out = run_verify(altered)
    assert code == 1
    assert "documents/AV-2026-00001.json : absent de l'archive" in out


def test_an_added_file_is_named(archive):
    altered = rewrite(archive, add={"documents/F-2026-00099.pdf": b"%PDF-1.7"})
    code, out = run_verify(altered)
    assert code == 1
    assert "documents/F-2026-00099.pdf : fichier en trop" in out


def test_a_wrong_public_key_fails(archive):
    other = "ab" * 32
    code, out = run_verify(archive, public_key=other)
    assert code == 1
    assert "manifest.pub : clé publique différente de la clé attendue" in out
    assert "manifest.sig : signature invalide" in out


def test_an_altered_manifest_fails_its_signature(archive):
    altered = rewrite(
        archive, change={"manifest.json": lambda d: d.replace(b"2026-01", b"2026-02")}
    )
    code, out = run_verify(altered)
    assert code == 1
    assert "manifest.sig : signature invalide" in out


def test_a_resigned_archive_with_a_broken_registre_slice_is_still_caught(archive):
    """Even someone holding the signing key cannot hide a broken link in the slice."""

    def break_link(data: bytes) -> bytes:
        lines = data.decode().splitlines()
        line = json.loads(lines[2])
        line["previous"] = "hmac-sha256-v1:" + "0" * 64
        lines[2] = json.dumps(line, ensure_ascii=False)
        return ("\n".join(lines) + "\n").encode()

    with zipfile.ZipFile(archive) as zipped:
        broken = break_link(zipped.read(REGISTRE_SLICE))
        manifest = json.loads(zipped.read("manifest.json"))
    for entry in manifest["files"]:
        if entry["path"] == REGISTRE_SLICE:
            entry["sha256"] = hashlib.sha256(broken).hexdigest()
    manifest_bytes = json.dumps(manifest, indent=2).encode()
    altered = rewrite(
        archive,
        change={
            REGISTRE_SLICE: lambda _d: broken,
            "manifest.json": lambda _d: manifest_bytes,
            "manifest.sig": lambda _d: signing_key().sign(manifest_bytes),
        },
    )
    code, out = run_verify(altered)
    assert code == 1
    assert f"{REGISTRE_SLICE} : enregistrement #3 : lien rompu" in out


def test_the_signing_key_comes_from_the_settings_or_from_the_registre_key(settings):
    derived = public_key_hex()
    assert public_key_hex() == derived  # deterministic: the same key for every archive
    settings.REGISTRE_HMAC_KEY = "une autre clé"
    assert public_key_hex() != derived
    settings.ARCHIVE_SIGNING_KEY = "11" * 32
    assert public_key_hex() == ("d04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737")


def test_a_fiscal_year_is_archived_as_its_year(db, tmp_path):
    company = factories.issuing_company()
    facture_emettre(facture=factories.draft(company), user=None, today=date(2025, 12, 10))
    cloture_effectuer(company=company, kind="mensuelle", period_start=date(2025, 12, 1), user=None)
    cloture_effectuer(company=company, kind="exercice", period_start=date(2025, 1, 1), user=None)
    with pytest.raises(ComptabiliteError):
        archive_exporter(company=company, period="2026", output_dir=tmp_path)
    path = export(company, "2025", tmp_path)
    code, out = run_verify(path)
    assert code == 0, out
    with zipfile.ZipFile(path) as zipped:
        assert "cloture/CLOTURE-E-2025.json" in zipped.namelist()
        assert "documents/F-2025-00001.json" in zipped.namelist()
