"""The FEC (fichier des écritures comptables, LPF art. A47 A-1; LEGAL.md §5).

One file per fiscal year, `<SIREN>FEC<AAAAMMJJ>.txt` (closing date): the 18 fields in their
order, tab (or `|`) separated, CR/LF, ISO 8859-15 by default (UTF-8 on request), no BOM, dates
AAAAMMJJ, amounts with a decimal comma and no thousands separator, entries sorted by
validation date, each balanced (the database guarantees it). A description of the fields and
the encoding is written next to it.

Streamed from PostgreSQL with COPY, which formats each line, in constant memory: one query,
no row object. Raw SQL on purpose: bench/fec.py measures a million lines.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Max, Sum
from django.utils.translation import gettext_noop

from comptabilite.livres.models import Journal, LigneEcriture
from comptabilite.models import Cloture, ClotureKind
from pgi.events import event_record
from pgi.models import Company, EventKind, User

FIELDS = (
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
    "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
    "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise",
)  # fmt: skip
SEPARATORS = {"tab": "\t", "pipe": "|"}
ENCODINGS = {"iso-8859-15": "iso8859_15", "utf-8": "utf-8"}
# COPY's CSV form with a delimiter and a quote that the cleaned text never holds: each line
# comes out as it was built, unquoted, unescaped.
_COPY_OPTIONS = "FORMAT csv, DELIMITER E'\\x1f', QUOTE E'\\x1e'"
_BATCH = 1 << 20  # bytes transcoded at once


def _text(column: str, separator: str) -> str:
    """A free text field, with nothing that would break a line or a field."""
    return f"translate({column}, E'\\t\\r\\n\\x1e\\x1f{separator}', '      ')"


# The journals' names in the file, in French whatever the reader's language.
JOURNAL_LABELS = {
    Journal.SALES: "Ventes", Journal.BANK: "Banque", Journal.MISC: "Opérations diverses",
}  # fmt: skip


def _journal_label() -> str:
    cases = " ".join(f"WHEN '{code}' THEN '{label}'" for code, label in JOURNAL_LABELS.items())
    return f"CASE e.journal {cases} END"


def _amount(column: str) -> str:
    return f"replace(({column})::text, '.', ',')"


def _query(separator: str) -> str:
    # A date as text in the ISO style (set for the export's transaction) without its dashes:
    # about 15 % faster than to_char over a million lines (bench/fec.py).
    day = "replace(({})::text, '-', '')".format
    fields = [
        "e.journal", _journal_label(), "e.journal || lpad(e.number::text, 6, '0')",
        day("e.date"), "l.account", _text("l.account_label", separator), "l.aux",
        _text("l.aux_label", separator), _text("e.piece_ref", separator), day("e.piece_date"),
        _text("l.label", separator), _amount("l.debit"), _amount("l.credit"),
        "COALESCE(lt.letter, '')", f"COALESCE({day('lt.date')}, '')", day("e.validated_on"),
        "''", "''",
    ]  # fmt: skip
    quoted = separator.replace("'", "''").replace("\t", "\\t")
    return (
        f"SELECT concat_ws(E'{quoted}', {', '.join(fields)}) "
        "FROM comptabilite_ligneecriture l "
        "JOIN comptabilite_ecriture e ON e.id = l.ecriture_id "
        "LEFT JOIN comptabilite_lettrage lt ON lt.facture_id = l.facture_id "
        "AND l.role = 'client' "
        "WHERE e.company_id = %s AND e.date BETWEEN %s AND %s "
        "ORDER BY e.validated_on, e.journal, e.number, l.position"
    )


@dataclass(frozen=True)
class FecOptions:
    separator: str = "tab"
    encoding: str = "iso-8859-15"

    def __post_init__(self) -> None:
        if self.separator not in SEPARATORS or self.encoding not in ENCODINGS:
            raise ValueError(f"{self.separator} / {self.encoding}")


def fec_filename(company: Company, end: date) -> str:
    return f"{company.siren}FEC{end:%Y%m%d}.txt"


def fec_count(*, company: Company, start: date, end: date) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM comptabilite_ligneecriture l JOIN comptabilite_ecriture e "
            "ON e.id = l.ecriture_id WHERE e.company_id = %s AND e.date BETWEEN %s AND %s",
            [company.pk, start, end],
        )
        return cursor.fetchone()[0]


def fec_stream(
    *, company: Company, start: date, end: date, options: FecOptions = FecOptions(),
    progress: Callable[[int], None] | None = None, progress_every: int = 100_000,
) -> Iterator[bytes]:  # fmt: skip
    """The FEC's bytes, header first, in chunks of about a megabyte."""
    separator = SEPARATORS[options.separator]
    codec = ENCODINGS[options.encoding]
    yield (separator.join(FIELDS) + "\r\n").encode(codec)
    sql = f"COPY ({_query(separator)}) TO STDOUT WITH ({_COPY_OPTIONS})"
    lines, size, batch = 0, 0, []
    # One snapshot for the whole file (a posting that commits meanwhile is in or out).
    with transaction.atomic():
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            cursor.execute("SET LOCAL DateStyle = 'ISO, YMD'")
            # LEGAL.md §5: opening balances first.
            if opening := opening_lines(company=company, start=start, separator=separator):
                yield "".join(line + "\r\n" for line in opening).encode(codec, "replace")
            with cursor.copy(sql, [company.pk, start, end]) as copy:
                for row in copy:  # one COPY message per line
                    batch.append(bytes(row))
                    size += len(row)
                    lines += 1
                    if progress is not None and lines % progress_every == 0:
                        progress(lines)
                    if size >= _BATCH:
                        yield _transcode(batch, codec)
                        batch, size = [], 0
    if batch:
        yield _transcode(batch, codec)
    if progress is not None:
        progress(lines)


OPENING_JOURNAL = ("AN", "A nouveaux")
# The balancing line of the opening entry: the previous years' result, before the
# accountant allocates it (PCG 120 profit, 129 loss).
RESULT_ACCOUNTS = {"profit": ("120000", "Résultat de l'exercice (bénéfice)"),
                   "loss": ("129000", "Résultat de l'exercice (perte)")}  # fmt: skip


def _clean(text: str, separator: str) -> str:
    for char in ("\t", "\r", "\n", "\x1e", "\x1f", separator):
        text = text.replace(char, " ")
    return text


def opening_lines(*, company: Company, start: date, separator: str) -> list[str]:
    """The opening entry (à-nouveaux) of the fiscal year starting on `start`: the balance of
    each balance-sheet account (classes 1 to 5, per customer for 411) from the entries dated
    before, and the result of those years on 120 or 129 so that the entry balances. Empty
    for a first fiscal year."""
    rows = (
        LigneEcriture.objects.filter(
            company=company, ecriture__date__lt=start, account__regex=r"^[1-5]"
        )
        .values("account", "aux")
        .annotate(
            balance=Sum("debit") - Sum("credit"), label=Max("account_label"),
            aux_label=Max("aux_label"),
        )
        .order_by("account", "aux")
    )  # fmt: skip
    lines = [(r["account"], r["label"], r["aux"], r["aux_label"], r["balance"]) for r in rows
             if r["balance"]]  # fmt: skip
    if not lines:
        return []
    result = -sum((line[4] for line in lines), Decimal(0))
    if result:
        number, label = RESULT_ACCOUNTS["loss" if result > 0 else "profit"]
        lines.append((number, label, "", "", result))
    day = f"{start:%Y%m%d}"
    code, journal = OPENING_JOURNAL
    out = []
    for account, label, aux, aux_label, balance in lines:
        debit, credit = (balance, Decimal(0)) if balance > 0 else (Decimal(0), -balance)
        fields = [
            code, journal, f"{code}000001", day, account, _clean(label, separator), aux,
            _clean(aux_label, separator), f"AN-{start:%Y%m%d}", day, "A nouveaux",
            f"{debit:.2f}".replace(".", ","), f"{credit:.2f}".replace(".", ","), "", "", day,
            "", "",
        ]  # fmt: skip
        out.append(separator.join(fields))
    return out


def _transcode(rows: list[bytes], codec: str) -> bytes:
    data = b"".join(rows).replace(b"\n", b"\r\n")
    if codec == "utf-8":
        return data
    # Characters ISO 8859-15 lacks (an emoji in a customer's name) become "?".
    return data.decode("utf-8").encode(codec, "replace")


DESCRIPTION = """\
Fichier des écritures comptables (FEC) - article A47 A-1 du Livre des procédures fiscales

Société : {name} (SIREN {siren})
Exercice : du {start:%d/%m/%Y} au {end:%d/%m/%Y}
Clôture au registre inaltérable : {closure}
Fichier : {filename}
Lignes d'écritures : {lines} (plus la ligne des noms de champs)

Format
- Encodage : {encoding}, sans marque d'ordre d'octets (BOM)
- Séparateur de champs : {separator}
- Fin d'enregistrement : CR/LF
- Première ligne : les 18 noms de champs, dans l'ordre ci-dessous
- Dates : AAAAMMJJ
- Montants : virgule décimale, sans séparateur de milliers, en euros
- Ordre : par date de validation, puis journal, numéro d'écriture et ligne
- Chaque écriture (EcritureNum, unique dans son journal) est équilibrée

Champs
 1 JournalCode    code du journal : AN (à-nouveaux, en tête : soldes des comptes de bilan
                  au premier jour de l'exercice, résultat antérieur en 120/129), VT (ventes),
                  BQ (banque), OD (opérations diverses : affectation d'un avoir ou d'un
                  acompte client à une facture)
 2 JournalLib     libellé du journal
 3 EcritureNum    numéro de l'écriture, continu par journal (VT000001...)
 4 EcritureDate   date de comptabilisation (date de la pièce)
 5 CompteNum      numéro de compte (plan comptable général : 411, 4191, 44571, 44574, 512, 706, 707)
 6 CompteLib      libellé du compte
 7 CompAuxNum     compte auxiliaire du client (C + identifiant), à blanc si non utilisé
 8 CompAuxLib     nom du client, à blanc si non utilisé
 9 PieceRef       numéro de la facture, de l'avoir ou de l'encaissement
10 PieceDate      date de la pièce
11 EcritureLib    libellé de l'écriture
12 Debit          montant au débit
13 Credit         montant au crédit
14 EcritureLet    lettrage (facture soldée par ses encaissements et avoirs), à blanc sinon
15 DateLet        date du lettrage, à blanc sinon
16 ValidDate      date de validation de l'écriture
17 Montantdevise  à blanc (toutes les écritures sont en euros)
18 Idevise        à blanc
"""


@dataclass(frozen=True)
class FecFile:
    path: Path
    description: Path
    lines: int


def fec_exporter(
    *, company: Company, start: date, end: date, output_dir: str | Path, user: User | None,
    options: FecOptions = FecOptions(), progress: Callable[[int], None] | None = None,
) -> FecFile:  # fmt: skip
    """Writes the FEC of the period and its description into `output_dir`; the export is
    logged in the company's journal des événements."""
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = fec_filename(company, end)
    path = folder / name
    counted: list[int] = [0]

    def count(lines: int) -> None:
        counted[0] = lines
        if progress is not None:
            progress(lines)

    with path.open("wb") as handle:
        for chunk in fec_stream(
            company=company, start=start, end=end, options=options, progress=count
        ):
            handle.write(chunk)
    closure = Cloture.objects.filter(
        company=company, kind=ClotureKind.FISCAL_YEAR, period_start=start
    ).first()
    description = folder / name.replace(".txt", "_description.txt")
    description.write_text(
        DESCRIPTION.format(
            name=company.legal_name, siren=company.siren, start=start, end=end, filename=name,
            lines=counted[0], encoding=options.encoding.upper(),
            closure=(
                f"{closure.reference} (enregistrement n° {closure.sequence}, empreinte "
                f"{closure.fingerprint})" if closure else "exercice non clôturé"
            ),
            separator="tabulation" if options.separator == "tab" else "barre verticale (|)",
        ),
        encoding="utf-8",
    )  # fmt: skip
    event_record(
        kind=EventKind.EXPORT, company=company, user=user,
        summary=gettext_noop("Export du FEC %(file)s (%(lines)s lignes)"),
        params={"file": name, "lines": counted[0]},
    )  # fmt: skip
    return FecFile(path=path, description=description, lines=counted[0])
