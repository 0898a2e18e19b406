"""CSV import and export of customers.

The import is two steps: `clients_previsualiser` parses and checks every row without writing, and
`clients_importer` writes the valid rows in one transaction. Both share one parser, so the
preview shows exactly what the import will do.
"""

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from crm.models import Client, ClientKind, ClientStatus, Origine
from crm.services import client_valider
from pgi.exceptions import DomainError
from pgi.models import Company
from pgi.text import clean_text

MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024

# Header (lower case, no accents) -> model field.
HEADERS = {
    "nom": "name", "raison sociale": "name", "name": "name",
    "type": "kind", "statut": "status", "status": "status",
    "siren": "siren", "siret": "siret",
    "tva": "vat_number", "numero de tva": "vat_number", "n° tva": "vat_number",
    "tva intracommunautaire": "vat_number", "vat": "vat_number",
    "email": "email", "e-mail": "email", "courriel": "email",
    "telephone": "phone", "tel": "phone", "phone": "phone",
    "adresse": "billing_line1", "complement": "billing_line2",
    "code postal": "billing_postal_code", "cp": "billing_postal_code",
    "ville": "billing_city", "pays": "billing_country",
    "delai de paiement": "payment_terms_days", "delai paiement": "payment_terms_days",
    "notes": "notes", "origine": "source", "source": "source", "etiquettes": "tags",
    "tags": "tags", "forme juridique": "legal_form", "code naf": "naf_code", "naf": "naf_code",
}  # fmt: skip

# What a column can be imported as (the mapping step offers these), in the form's order.
TARGETS = [
    "name", "kind", "status", "siren", "siret", "vat_number", "legal_form", "naf_code", "email",
    "phone", "billing_line1", "billing_line2", "billing_postal_code", "billing_city",
    "billing_country", "payment_terms_days", "source", "tags", "notes",
]  # fmt: skip


def target_choices() -> list[tuple[str, str]]:
    """(field, label) of the targets, for the mapping step's selects."""
    return [(name, str(Client._meta.get_field(name).verbose_name)) for name in TARGETS]


EXPORT_COLUMNS = [
    ("nom", "name"), ("type", "kind"), ("statut", "status"), ("siren", "siren"),
    ("siret", "siret"), ("tva", "vat_number"), ("email", "email"), ("telephone", "phone"),
    ("adresse", "billing_line1"), ("complement", "billing_line2"),
    ("code postal", "billing_postal_code"), ("ville", "billing_city"),
    ("pays", "billing_country"), ("delai de paiement", "payment_terms_days"), ("notes", "notes"),
    ("origine", "source"), ("etiquettes", "tags"), ("forme juridique", "legal_form"),
    ("code naf", "naf_code"),
]  # fmt: skip

KIND_VALUES = {"entreprise": ClientKind.COMPANY, "societe": ClientKind.COMPANY,
               "particulier": ClientKind.INDIVIDUAL, "": ClientKind.COMPANY}  # fmt: skip
STATUS_VALUES = {"prospect": ClientStatus.PROSPECT, "client": ClientStatus.CUSTOMER,
                 "": ClientStatus.PROSPECT}  # fmt: skip


class SemicolonDialect(csv.excel):
    delimiter = ";"


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return " ".join(text.lower().replace("_", " ").split())


@dataclass
class ImportRow:
    line: int
    fields: dict[str, Any]
    errors: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors


@dataclass
class ImportPreview:
    rows: list[ImportRow]
    ignored_columns: list[str]
    mapping: dict[str, str] = field(default_factory=dict)  # CSV column -> field
    headers: list[str] = field(default_factory=list)

    @property
    def valid_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.is_valid]

    @property
    def invalid_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if not row.is_valid]


def decode(content: bytes) -> str:
    if len(content) > MAX_BYTES:
        raise DomainError(_("Le fichier dépasse 5 Mo : découpez-le en plusieurs imports."))
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(_("Encodage du fichier non reconnu : enregistrez-le en UTF-8."))


def _parse_row(raw: dict[str, str], mapping: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    fields: dict[str, Any] = {}
    errors: list[str] = []
    for header, target in mapping.items():
        value = clean_text(raw.get(header) or "", single_line=True).strip()
        if target == "kind":
            if _key(value) not in KIND_VALUES:
                errors.append(
                    _("type « %(v)s » inconnu (entreprise ou particulier)") % {"v": value}
                )
            value = KIND_VALUES.get(_key(value), ClientKind.COMPANY)
        elif target == "status":
            if _key(value) not in STATUS_VALUES:
                errors.append(_("statut « %(v)s » inconnu (prospect ou client)") % {"v": value})
            value = STATUS_VALUES.get(_key(value), ClientStatus.PROSPECT)
        elif target == "source":
            found = next((v for v, label in Origine.choices
                          if _key(value) in (_key(v), _key(str(label)))), None)  # fmt: skip
            if value and found is None:
                errors.append(_("origine « %(v)s » inconnue") % {"v": value})
            value = found or ""
        elif target == "tags":
            value = [t.strip() for t in value.replace("|", ",").split(",") if t.strip()]
        elif target == "payment_terms_days":
            if value == "":
                value = None
            elif value.isdigit():
                value = int(value)
            else:
                errors.append(
                    _("délai de paiement « %(v)s » : nombre de jours attendu") % {"v": value}
                )
                value = None
        fields[target] = value
    return fields, errors


def _labelled(error: DomainError) -> list[str]:
    """Each problem prefixed by the column it comes from: « e-mail : adresse invalide »."""
    if not error.field_errors:
        return error.problems
    return [
        f"{Client._meta.get_field(name).verbose_name} : {message}"
        if name in {f.name for f in Client._meta.fields}
        else message
        for name, messages in error.field_errors.items()
        for message in messages
    ]


def _duplicates(company: Company, rows: list[ImportRow]) -> None:
    """Flags the rows whose SIREN or e-mail is already a customer's, or an earlier row's:
    two queries for the whole file (the file's identifiers looked up, not the table read)."""
    sirens = {r.fields["siren"] for r in rows if r.fields.get("siren")}
    emails = {r.fields["email"].lower() for r in rows if r.fields.get("email")}
    existing = Client.objects.for_company(company)
    by_siren = dict(existing.filter(siren__in=sirens).values_list("siren", "name"))
    by_email = dict(
        existing.annotate(address=Lower("email"))
        .filter(address__in=emails)
        .values_list("address", "name")
    )
    first_siren: dict[str, int] = {}
    first_email: dict[str, int] = {}
    for row in rows:
        siren, email = row.fields.get("siren"), (row.fields.get("email") or "").lower()
        if siren and siren in by_siren:
            row.errors.append(_("doublon : SIREN déjà chez « %(n)s »") % {"n": by_siren[siren]})
        elif siren and siren in first_siren:
            row.errors.append(_("SIREN en double avec la ligne %(l)d") % {"l": first_siren[siren]})
        if email and email in by_email:
            row.errors.append(_("doublon : e-mail déjà chez « %(n)s »") % {"n": by_email[email]})
        elif email and email in first_email:
            row.errors.append(_("e-mail en double avec la ligne %(l)d") % {"l": first_email[email]})
        if siren:
            first_siren.setdefault(siren, row.line)
        if email:
            first_email.setdefault(email, row.line)


def clients_previsualiser(
    *, company: Company, text: str, mapping: dict[str, str] | None = None
) -> ImportPreview:
    """Parses the CSV and checks every row as `client_creer` would, without writing. The
    columns are recognised by their header unless `mapping` (column -> field, "" to ignore)
    says otherwise; duplicates (SIREN, e-mail) of existing customers or of earlier rows are
    refused."""
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t")
    except csv.Error:
        dialect = SemicolonDialect
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if not reader.fieldnames:
        raise DomainError(_("Le fichier est vide."))
    if mapping is None:
        mapping = {h: HEADERS[_key(h)] for h in reader.fieldnames if h and _key(h) in HEADERS}
    else:
        mapping = {h: t for h, t in mapping.items() if h in reader.fieldnames and t in TARGETS}
    targets = list(mapping.values())
    twice = sorted({t for t in targets if targets.count(t) > 1})
    if twice:
        raise DomainError(
            _("Plusieurs colonnes pour le même champ : %(f)s.") % {"f": ", ".join(twice)}
        )
    if "name" not in mapping.values():
        raise DomainError(
            _("Colonne « nom » introuvable. Colonnes reconnues : %(cols)s.")
            % {"cols": ", ".join(sorted({c for c, _f in EXPORT_COLUMNS}))}
        )
    ignored = [h for h in reader.fieldnames if h and h not in mapping]
    rows: list[ImportRow] = []
    seen_sirets: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        if len(rows) >= MAX_ROWS:
            raise DomainError(_("Plus de %(n)d lignes : découpez le fichier.") % {"n": MAX_ROWS})
        if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
            continue
        fields, errors = _parse_row(raw, mapping)
        client = Client(company=company, **fields)
        if not fields.get("name"):
            errors.append(_("le nom est obligatoire"))
        try:
            client_valider(client)
        except DomainError as exc:
            errors.extend(_labelled(exc))
        fields.update(siren=client.siren, siret=client.siret, vat_number=client.vat_number)
        if client.siret:
            if client.siret in seen_sirets:
                errors.append(
                    _("SIRET en double avec la ligne %(l)d") % {"l": seen_sirets[client.siret]}
                )
            seen_sirets.setdefault(client.siret, line)
        rows.append(ImportRow(line=line, fields=fields, errors=errors))
    if not rows:
        raise DomainError(_("Le fichier ne contient aucune ligne de données."))
    _duplicates(company, rows)
    headers = [h for h in reader.fieldnames if h]
    return ImportPreview(rows=rows, ignored_columns=ignored, mapping=mapping, headers=headers)


@transaction.atomic
def clients_importer(
    *, company: Company, text: str, mapping: dict[str, str] | None = None
) -> tuple[int, int]:
    """Creates the valid rows of the CSV; returns (created, skipped)."""
    preview = clients_previsualiser(company=company, text=text, mapping=mapping)
    valid = preview.valid_rows
    Client.objects.bulk_create([Client(company=company, **row.fields) for row in valid])
    return len(valid), len(preview.invalid_rows)


# A cell starting with one of these is a formula to a spreadsheet (CSV injection, OWASP):
# exported with a leading apostrophe, it stays text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    text = ", ".join(value) if isinstance(value, list) else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def clients_exporter(*, clients, out: io.StringIO, chunk_rows: int = 500):
    """Yields a semicolon CSV of the customers, `chunk_rows` at a time, in flat memory."""
    writer = csv.writer(out, delimiter=";")
    writer.writerow([header for header, _f in EXPORT_COLUMNS])
    for count, client in enumerate(clients, start=1):
        writer.writerow([_cell(getattr(client, f)) for _h, f in EXPORT_COLUMNS])
        if count % chunk_rows == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
