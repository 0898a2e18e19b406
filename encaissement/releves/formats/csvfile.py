"""CSV statements, read through a column mapping remembered per bank account.

French exports: `;` separator, dates `JJ/MM/AAAA`, amounts `1 234,56` (or a debit and a credit
column). The mapping gives the column numbers (from 0) of each field; `guess_mapping` proposes
one from the header row, which the user confirms on the preview page.
"""

import csv
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from io import StringIO

from django.utils.translation import gettext as _

from encaissement.releves.formats import FormatError, Line, Statement, decode
from pgi.forms_utils import french_number

FIELDS = ("date", "value_date", "label", "amount", "debit", "credit", "reference")
DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")
HEADER_WORDS = {
    "date": ("date operation", "date comptable", "date", "date d'operation"),
    "value_date": ("date de valeur", "date valeur", "valeur"),
    "label": ("libelle", "libelle operation", "description", "intitule", "operation"),
    "amount": ("montant", "montant eur", "montant (eur)", "somme"),
    "debit": ("debit", "debit eur", "debit (eur)"),
    "credit": ("credit", "credit eur", "credit (eur)"),
    "reference": ("reference", "ref", "ref."),
}


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(text.lower().replace("_", " ").split())


def sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t|").delimiter
    except csv.Error:
        return ";"


def read_rows(content: bytes, delimiter: str | None = None) -> tuple[list[list[str]], str]:
    text = decode(content)
    delimiter = delimiter or sniff_delimiter(text)
    rows = [row for row in csv.reader(StringIO(text), delimiter=delimiter)]
    return rows, delimiter


def guess_mapping(rows: list[list[str]], delimiter: str) -> dict:
    """A mapping from the header row's names; empty fields where nothing fits."""
    mapping: dict = {"delimiter": delimiter, "header": True}
    header = [_plain(c) for c in rows[0]] if rows else []
    used: set[int] = set()
    for field, words in HEADER_WORDS.items():
        for index, name in enumerate(header):
            if name in words and index not in used:
                mapping[field] = index
                used.add(index)
                break
    if not any(isinstance(mapping.get(f), int) for f in ("date", "label")):
        mapping["header"] = False
    return mapping


def _date(text: str, n: int, column: str) -> date:
    text = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise FormatError(
        _("Ligne %(n)d : %(c)s « %(t)s » n'est pas une date (JJ/MM/AAAA attendu).")
        % {"n": n, "c": column, "t": text}
    )


def _amount(text: str, n: int) -> Decimal:
    cleaned = french_number(text.strip().replace("€", "").replace("EUR", "")).strip()
    if cleaned.startswith("+"):
        cleaned = cleaned[1:]
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise FormatError(
            _("Ligne %(n)d : « %(t)s » n'est pas un montant.") % {"n": n, "t": text}
        ) from None


def check_mapping(mapping: dict) -> list[str]:
    problems = []
    if not isinstance(mapping.get("date"), int):
        problems.append(_("Choisissez la colonne de la date."))
    if not isinstance(mapping.get("label"), int):
        problems.append(_("Choisissez la colonne du libellé."))
    has_amount = isinstance(mapping.get("amount"), int)
    has_split = isinstance(mapping.get("debit"), int) or isinstance(mapping.get("credit"), int)
    if not has_amount and not has_split:
        problems.append(_("Choisissez la colonne du montant, ou celles du débit et du crédit."))
    return problems


def parse(content: bytes, mapping: dict) -> list[Statement]:
    problems = check_mapping(mapping)
    if problems:
        raise FormatError(problems)
    rows, _delimiter = read_rows(content, mapping.get("delimiter") or None)
    statement = Statement(account=None)
    start = 1 if mapping.get("header", True) else 0

    def cell(row: list[str], field: str, n: int) -> str:
        index = mapping.get(field)
        if not isinstance(index, int):
            return ""
        if index >= len(row):
            raise FormatError(
                _("Ligne %(n)d : %(k)d colonnes, la colonne %(c)d manque.")
                % {"n": n, "k": len(row), "c": index + 1}
            )
        return row[index].strip()

    for n, row in enumerate(rows[start:], start=start + 1):
        if not any(c.strip() for c in row):
            continue
        day = _date(cell(row, "date", n), n, _("la date"))
        value_text = cell(row, "value_date", n)
        if isinstance(mapping.get("amount"), int):
            amount = _amount(cell(row, "amount", n), n)
        else:
            debit, credit = cell(row, "debit", n), cell(row, "credit", n)
            amount = (_amount(credit, n) if credit else Decimal(0)) - (
                abs(_amount(debit, n)) if debit else Decimal(0)
            )
        if amount == 0:
            raise FormatError(_("Ligne %(n)d : montant nul ou absent.") % {"n": n})
        label = " ".join(cell(row, "label", n).split())
        statement.lines.append(
            Line(
                booking_date=day,
                value_date=_date(value_text, n, _("la date de valeur")) if value_text else None,
                amount=amount,
                label=label[:500] or _("(sans libellé)"),
                reference=cell(row, "reference", n)[:140],
                source_line=n,
            )
        )
    if not statement.lines:
        raise FormatError(_("Aucune opération dans ce fichier CSV."))
    return [statement]
