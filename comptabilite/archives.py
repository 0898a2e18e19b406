"""Archives of a closed period: a signed zip readable and verifiable without the software.

CGI art. 286-I-3° bis, BOI-TVA-DECLA-30-10-30 (archivage): at least yearly, an archive of the
period that is frozen, dated, integrity-protected (signed) and readable later without the
software; the archive operation itself is sealed in the register. The format is described in
README.txt inside each archive (`README` below), so that an auditor needs nothing else.
"""

import csv
import hashlib
import io
import json
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from comptabilite.exceptions import ComptabiliteError
from comptabilite.models import Cloture
from comptabilite.pdf import render_cloture_pdf
from comptabilite.selectors import (
    Period,
    chain_head,
    cloture_lire,
    period_document_records,
    period_from_label,
)
from pgi import registre
from pgi.events import event_record, journal_head
from pgi.models import Company, Enregistrement, EventKind, RecordKind, User

FORMAT = "encaisse-archive-v1"
MANIFEST, SIGNATURE, PUBLIC_KEY = "manifest.json", "manifest.sig", "manifest.pub"
UNLISTED = frozenset({MANIFEST, SIGNATURE, PUBLIC_KEY})
REGISTRE_SLICE = "registre/registre.jsonl"
HKDF_INFO = b"encaisse archive signing v1"
DOCUMENT_KINDS = frozenset({RecordKind.INVOICE, RecordKind.CREDIT_NOTE, RecordKind.DEPOSIT})
UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


# Signing key -----------------------------------------------------------------------------


def signing_key() -> Ed25519PrivateKey:
    """`settings.ARCHIVE_SIGNING_KEY` (32-byte seed in hex, or a PEM Ed25519 key); without
    it, a key derived deterministically from the register key (HKDF-SHA256), so that the
    public key stays the same from one archive to the next."""
    configured = getattr(settings, "ARCHIVE_SIGNING_KEY", None)
    if configured:
        text = configured.decode() if isinstance(configured, bytes) else str(configured)
        text = text.strip()
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ImproperlyConfigured("ARCHIVE_SIGNING_KEY must be an Ed25519 key.")
            return key
        try:
            return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(text))
        except ValueError as exc:
            raise ImproperlyConfigured(
                "ARCHIVE_SIGNING_KEY: 64 hex digits or an Ed25519 PEM private key."
            ) from exc
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(
        settings.REGISTRE_HMAC_KEY.encode()
    )
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_hex(private: Ed25519PrivateKey | None = None) -> str:
    """The raw public key in hex: what an auditor pins with `verify_archive --public-key`."""
    public = (private or signing_key()).public_key()
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


# Export ----------------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _safe(name: str) -> str:
    return UNSAFE.sub("_", name)


def _pretty(data: dict) -> bytes:
    """Indented for a human reader; dates and decimals as the register writes them."""
    plain = json.loads(registre.canonical_json(data))
    return (json.dumps(plain, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _slice_start(company: Company, cloture: Cloture, documents: list[tuple]) -> int:
    """From the record after the previous closure of the same kind, or earlier if a document
    of the period was sealed before it, to this closure's record: consecutive archives'
    slices join up, each starting where the previous one ended."""
    previous = (
        Cloture.objects.filter(
            company=company, kind=cloture.kind, period_start__lt=cloture.period_start
        )
        .order_by("-period_start")
        .first()
    )
    start = previous.sequence + 1 if previous else 1
    return min([start, *(sequence for sequence, *_rest in documents)])


def _registre_line(record: Enregistrement) -> bytes:
    line = {
        "sequence": record.sequence,
        "kind": record.kind,
        "reference": record.reference,
        "recorded_at": record.recorded_at,
        # The exact sealed bytes (UTF-8 canonical JSON), as text: json round-trips them.
        "payload": bytes(record.payload).decode(),
        "previous": record.previous,
        "fingerprint": record.fingerprint,
    }
    return registre.canonical_json(line) + b"\n"


def _index_row(doc: dict, sequence: int, json_name: str, pdf_name: str | None) -> list:
    return [
        doc["number"], doc["type"], doc["issue_date"], doc["buyer"]["name"],
        doc["total_excl_vat"], doc["total_vat"], doc["total_incl_vat"], sequence, json_name,
        pdf_name or "",
    ]  # fmt: skip


INDEX_HEADER = [
    "numero", "type", "date_emission", "client", "total_ht", "total_tva", "total_ttc",
    "enregistrement", "json", "pdf",
]  # fmt: skip


class _ZipWriter:
    """Writes members one at a time (a year of PDFs never sits in memory) and remembers
    each one's SHA-256 and size for the manifest."""

    def __init__(self, archive: zipfile.ZipFile, moment: datetime):
        self.archive, self.moment = archive, moment
        self.entries: dict[str, dict] = {}

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.moment.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def add(self, name: str, data: bytes, *, listed: bool = True) -> None:
        self.archive.writestr(self._info(name), data)
        if listed:
            self.entries[name] = {"path": name, "sha256": _sha256(data), "size": len(data)}

    def add_lines(self, name: str, lines: Iterator[bytes]) -> None:
        digest, size = hashlib.sha256(), 0
        with self.archive.open(self._info(name), "w") as member:
            for line in lines:
                member.write(line)
                digest.update(line)
                size += len(line)
        self.entries[name] = {"path": name, "sha256": digest.hexdigest(), "size": size}


def _write_documents(writer: _ZipWriter, company: Company, period: Period) -> list[tuple]:
    """Each document's sealed bytes and its PDF, then `documents/index.csv`."""
    records = period_document_records(company=company, start=period.start, end=period.end)
    # {number: stored PDF (`.file`, `.sha256`)}, from the app that issued the documents
    pdfs = registre.document_files(company=company, references=[r[2] for r in records])
    problems: list[str] = []
    index = io.StringIO()
    rows = csv.writer(index, delimiter=";", lineterminator="\r\n")
    rows.writerow(INDEX_HEADER)
    for sequence, _kind, number, payload in records:
        base = f"documents/{_safe(number)}"
        writer.add(f"{base}.json", payload)
        pdf_name = None
        if number in pdfs:
            try:
                with pdfs[number].file.open("rb") as handle:
                    data = handle.read()
            except OSError:
                problems.append(_("Le PDF de %(n)s est introuvable.") % {"n": number})
                continue
            if _sha256(data) != pdfs[number].sha256:
                problems.append(_("Le PDF de %(n)s diffère de son empreinte.") % {"n": number})
                continue
            pdf_name = f"{base}.pdf"
            writer.add(pdf_name, data)
        doc = json.loads(payload)["doc"]
        rows.writerow(_index_row(doc, sequence, f"{base}.json", pdf_name))
    if problems:
        raise ComptabiliteError(problems)
    # The BOM lets a spreadsheet read the file as UTF-8.
    writer.add("documents/index.csv", ("\ufeff" + index.getvalue()).encode())
    return records


def _write_archive(
    writer: _ZipWriter, *, company: Company, cloture: Cloture, period: Period
) -> None:
    records = _write_documents(writer, company, period)
    closure = Enregistrement.objects.get(company=company, sequence=cloture.sequence)
    writer.add(f"cloture/{_safe(cloture.reference)}.json", bytes(closure.payload))
    writer.add(f"cloture/{_safe(cloture.reference)}.pdf", render_cloture_pdf(cloture))
    start = _slice_start(company, cloture, records)
    slice_records = Enregistrement.objects.filter(
        company=company, sequence__range=(start, cloture.sequence)
    ).order_by("sequence")
    writer.add_lines(REGISTRE_SLICE, (_registre_line(r) for r in slice_records.iterator()))
    writer.add(
        "README.txt",
        README.format(
            siren=company.siren, name=company.legal_name, label=period.label,
            start=f"{period.start:%d/%m/%Y}", end=f"{period.end:%d/%m/%Y}",
            reference=cloture.reference, slice=REGISTRE_SLICE,
        ).encode(),
    )  # fmt: skip


@transaction.atomic
def archive_exporter(
    *, company: Company, period: str, output_dir: Path | str, user: User | None = None
) -> Path:
    """Writes the signed archive of a closed period ("YYYY" or "YYYY-MM") and seals the
    operation as an "archive" record; returns the zip's path.

    Nothing is locked while the files are written (a closed period no longer changes);
    the register head is locked only by the final `seal`.
    """
    try:
        chosen = period_from_label(company=company, label=period)
    except ValueError as exc:
        raise ComptabiliteError(
            _("Période invalide : %(p)s (AAAA pour un exercice, AAAA-MM pour un mois).")
            % {"p": period}
        ) from exc
    cloture = cloture_lire(company=company, period=chosen)
    if cloture is None:
        raise ComptabiliteError(
            _("La période %(p)s n'est pas clôturée : seule une période clôturée s'archive.")
            % {"p": period}
        )
    now = timezone.now()
    head_sequence, head_fingerprint = chain_head(company)
    # The event log's head too, like the register's: a log truncated before it disagrees.
    events_head = journal_head(company)
    private = signing_key()
    public = public_key_hex(private)
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    final = output / f"archive-{company.siren}-{chosen.label}-{now:%Y%m%dT%H%M%S}.zip"
    partial = final.with_name(final.name + ".partiel")
    try:
        with zipfile.ZipFile(partial, "w") as archive:
            writer = _ZipWriter(archive, timezone.localtime(now))
            _write_archive(writer, company=company, cloture=cloture, period=chosen)
            manifest = _pretty(
                {
                    "format": FORMAT,
                    "company": {"siren": company.siren, "legal_name": company.legal_name},
                    "period": {
                        "label": chosen.label, "kind": chosen.kind, "start": chosen.start,
                        "end": chosen.end,
                    },
                    "closure": {
                        "reference": cloture.reference, "sequence": cloture.sequence,
                        "fingerprint": cloture.fingerprint,
                    },
                    "chain_head": {"sequence": head_sequence, "fingerprint": head_fingerprint},
                    "events_head": events_head,
                    "created_at": now,
                    "algorithms": {
                        "files": "sha256", "signature": "ed25519", "ledger": registre.ALGORITHM,
                    },
                    "public_key": public,
                    "files": [writer.entries[name] for name in sorted(writer.entries)],
                }
            )  # fmt: skip
            writer.add(MANIFEST, manifest, listed=False)
            writer.add(SIGNATURE, private.sign(manifest), listed=False)
            writer.add(PUBLIC_KEY, public.encode(), listed=False)
        # The operation is logged in the chain (BOI-TVA-DECLA-30-10-30), in this transaction.
        registre.seal(
            company=company, kind=RecordKind.ARCHIVE, reference=f"ARCHIVE-{chosen.label}",
            document={
                "type": "archive", "file": final.name, "period": chosen.label,
                "closure": cloture.reference, "manifest_sha256": _sha256(manifest),
                "public_key": public, "files": len(writer.entries), "created_at": now,
                "head": {"sequence": head_sequence, "fingerprint": head_fingerprint},
                "events_head": events_head,
            },
            at=now,
        )  # fmt: skip
        event_record(
            kind=EventKind.ARCHIVE, company=company, user=user,
            summary=gettext_noop("Archive %(period)s (%(file)s)"),
            params={"period": chosen.label, "file": final.name},
            details={"file": final.name, "manifest_sha256": _sha256(manifest)},
        )  # fmt: skip
        partial.replace(final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return final


# Verification (no database) --------------------------------------------------------------


@dataclass
class ArchiveReport:
    problems: list[str] = field(default_factory=list)
    files: int = 0
    records: int = 0
    public_key: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def _check_slice(
    data: bytes, manifest: dict, names: dict[str, bytes], digests: dict[str, str],
    report: ArchiveReport,
) -> None:  # fmt: skip
    """Links that hold without the HMAC key: consecutive sequences, each `previous` equal to
    the prior record's fingerprint, payloads consistent with their line and the files."""
    problems = report.problems
    by_reference: dict[tuple[str, str], dict] = {}
    prior = None
    for number, raw in enumerate(data.decode().splitlines(), start=1):
        try:
            line = json.loads(raw)
            payload = json.loads(line["payload"])
        except (ValueError, KeyError):
            problems.append(f"{REGISTRE_SLICE} : ligne {number} illisible")
            prior = None
            continue
        report.records += 1
        where = f"{REGISTRE_SLICE} : enregistrement #{line.get('sequence')}"
        if prior is not None:
            if line["sequence"] != prior["sequence"] + 1:
                expected = prior["sequence"] + 1
                problems.append(f"{where} : trou dans la séquence (#{expected} attendu)")
            if line["previous"] != prior["fingerprint"]:
                problems.append(f"{where} : lien rompu avec l'enregistrement précédent")
        if (payload.get("seq"), payload.get("kind"), payload.get("ref")) != (
            line["sequence"], line["kind"], line["reference"]
        ) or payload.get("company") != manifest["company"]["siren"]:  # fmt: skip
            problems.append(f"{where} : contenu incohérent avec l'enregistrement")
        by_reference[(line["kind"], line["reference"])] = line
        prior = line
    closure = manifest["closure"]
    last = by_reference.get((RecordKind.CLOSURE.value, closure["reference"]))
    if last is None or (last["sequence"], last["fingerprint"]) != (
        closure["sequence"], closure["fingerprint"]
    ):  # fmt: skip
        problems.append(f"{REGISTRE_SLICE} : l'enregistrement de la clôture ne correspond pas")
    sealed_json, sealed_pdf = {}, {}
    for (kind, reference), line in by_reference.items():
        if kind == RecordKind.CLOSURE:
            sealed_json[f"cloture/{_safe(reference)}.json"] = line
        elif kind == RecordKind.PDF:
            sealed_pdf[f"documents/{_safe(reference)}.pdf"] = line
        elif kind in DOCUMENT_KINDS:
            sealed_json[f"documents/{_safe(reference)}.json"] = line
    for name, line in sealed_json.items():
        if name in names and line["payload"].encode() != names[name]:
            problems.append(f"{name} : diffère de son enregistrement dans le registre")
    for name, line in sealed_pdf.items():
        if name in digests and json.loads(line["payload"])["doc"]["sha256"] != digests[name]:
            problems.append(f"{name} : diffère de l'empreinte scellée dans le registre")


def archive_verifier(path: Path | str, *, public_key: str | None = None) -> ArchiveReport:
    """Checks an archive alone, without the database nor the HMAC key: the signature of the
    manifest, every listed file and its SHA-256, no extra file, and the register slice's links.

    Each problem names the file concerned.
    """
    report = ArchiveReport()
    problems = report.problems
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        problems.append(f"{path} : archive illisible ({exc})")
        return report
    with archive:
        counts = Counter(archive.namelist())
        for name in sorted(n for n, count in counts.items() if count > 1):
            problems.append(f"{name} : présent plusieurs fois dans l'archive")
        names: dict[str, bytes] = {}  # the small files, kept to be read
        digests: dict[str, str] = {}  # every file, hashed as it streams by
        for name in counts:
            try:
                with archive.open(name) as member:
                    if name.endswith(".pdf"):
                        digests[name] = hashlib.file_digest(member, "sha256").hexdigest()
                    else:
                        names[name] = member.read()
                        digests[name] = _sha256(names[name])
            except (zipfile.BadZipFile, OSError) as exc:  # a damaged member fails its CRC
                problems.append(f"{name} : illisible dans l'archive ({exc})")
    for required in (MANIFEST, SIGNATURE, PUBLIC_KEY):
        if required not in names:
            problems.append(f"{required} : absent de l'archive")
    if problems and MANIFEST not in names:
        return report
    manifest_bytes = names[MANIFEST]
    embedded = names.get(PUBLIC_KEY, b"").decode(errors="replace").strip().lower()
    report.public_key = embedded
    key_hex = embedded
    if public_key:
        key_hex = public_key.strip().lower()
        if embedded != key_hex:
            problems.append(f"{PUBLIC_KEY} : clé publique différente de la clé attendue")
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(key_hex)).verify(
            names.get(SIGNATURE, b""), manifest_bytes
        )
    except ValueError:
        where = "--public-key" if public_key else PUBLIC_KEY
        problems.append(f"{where} : clé publique illisible (64 caractères hexadécimaux)")
    except InvalidSignature:
        problems.append(f"{SIGNATURE} : signature invalide de {MANIFEST} (modifié ou autre clé)")
    try:
        manifest = json.loads(manifest_bytes)
        entries = {entry["path"]: entry for entry in manifest["files"]}
    except (ValueError, KeyError, TypeError):
        problems.append(f"{MANIFEST} : illisible")
        return report
    for name, entry in sorted(entries.items()):
        if name not in counts:
            problems.append(f"{name} : absent de l'archive")
        elif digests.get(name) != entry["sha256"]:
            problems.append(f"{name} : fichier altéré (SHA-256 différent du manifeste)")
    for name in sorted(set(counts) - set(entries) - UNLISTED):
        problems.append(f"{name} : fichier en trop, absent du manifeste")
    report.files = len(entries)
    if REGISTRE_SLICE in names:
        try:
            _check_slice(names[REGISTRE_SLICE], manifest, names, digests, report)
        except (KeyError, TypeError, UnicodeDecodeError):
            problems.append(f"{REGISTRE_SLICE} : format inattendu")
    return report


README = """\
ARCHIVE FISCALE — {name} (SIREN {siren})
Période {label} : du {start} au {end} — clôture {reference}
Format encaisse-archive-v1 (CGI art. 286-I-3° bis, BOI-TVA-DECLA-30-10-30)

Cette archive se lit et se vérifie sans le logiciel qui l'a produite.

CONTENU
  manifest.json        liste de tous les autres fichiers avec leur SHA-256 et leur taille,
                       le SIREN, la période, la clôture, la tête de la chaîne au moment de
                       l'archivage (chain_head), celle du journal des événements de la
                       société (events_head : dernier numéro et son empreinte ; un journal
                       qui ne contient plus cet événement a été tronqué) et la date de
                       création (created_at).
  manifest.sig         signature Ed25519 (64 octets, binaire) des octets exacts de manifest.json.
  manifest.pub         clé publique Ed25519 du signataire (32 octets, en hexadécimal). Comparez-la
                       à la clé publiée par l'entreprise : une archive refaite avec une autre
                       clé se signe sans peine, seule la clé attendue prouve l'origine.
  README.txt           ce fichier.
  documents/           chaque facture, facture d'acompte et avoir daté de la période :
                       <numéro>.json  le contenu scellé dans le registre, octet pour octet ;
                       <numéro>.pdf   le PDF émis, quand il existe ;
                       index.csv      la liste des documents (UTF-8, séparateur « ; ») ;
                                      les montants y sont ceux des documents émis, un
                                      avoir y est donc positif.
  cloture/             {reference}.json : l'enregistrement scellé de la clôture (totaux par
                       taux de TVA, grand total perpétuel, nombre de documents, premiers et
                       derniers numéros par série, tête de chaîne à la clôture) ;
                       {reference}.pdf : la même clôture, lisible.
  {slice}  la tranche du registre inaltérable, une ligne JSON par enregistrement :
                       sequence, kind, reference, recorded_at, payload (le texte exact scellé),
                       previous (empreinte de l'enregistrement précédent), fingerprint.
                       Elle commence après la clôture précédente de même type et finit par
                       l'enregistrement de cette clôture.

Les montants sont des décimaux exacts écrits en texte ; les avoirs comptent en négatif dans
les totaux de la clôture.

VÉRIFIER
1. Signature : avec OpenSSL 3,
     (printf '302a300506032b6570032100'; cat manifest.pub) | xxd -r -p > cle.der
     openssl pkeyutl -verify -pubin -keyform DER -inkey cle.der -rawin \\
         -in manifest.json -sigfile manifest.sig
   doit afficher « Signature Verified Successfully ».
2. Fichiers : chaque entrée de manifest.json doit exister avec le même SHA-256
   (sha256sum <fichier>), et aucun autre fichier ne doit être présent.
3. Registre : dans {slice}, chaque ligne a la séquence suivante et son
   « previous » égale le « fingerprint » de la ligne précédente ; la première ligne se
   raccroche à la dernière de l'archive précédente. Avec la clé HMAC de l'entreprise, chaque
   empreinte vaut « hmac-sha256-v1: » + HMAC-SHA256(clé, previous + "\\n" + payload en UTF-8),
   en hexadécimal. Chaque fichier documents/<numéro>.json est identique au « payload » de son
   enregistrement.
4. Les commandes « manage.py verify_archive FICHIER --public-key CLÉ » (archive seule) et
   « manage.py verify_registre » (base de données) font ces contrôles.
"""
