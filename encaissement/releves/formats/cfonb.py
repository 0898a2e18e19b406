"""CFONB 120: the French banks' fixed-width statement ("relevé de compte 120 caractères").

Records of 120 characters: 01 old balance, 04 movement, 05 complement of the movement
before it, 07 new balance. Amounts are 14 characters whose last one carries both the last
digit and the sign: `{`, `A`…`I` for +0…+9, `}`, `J`…`R` for −0…−9; the number of decimals
is in position 20. Dates are JJMMAA.
"""

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from encaissement.releves.formats import Account, FormatError, Line, Statement, decode

POSITIVE = "{ABCDEFGHI"
NEGATIVE = "}JKLMNOPQR"


def _amount(text: str, decimals: str, n: int) -> Decimal:
    last = text[-1:]
    if last in POSITIVE:
        sign, digit = 1, POSITIVE.index(last)
    elif last in NEGATIVE:
        sign, digit = -1, NEGATIVE.index(last)
    elif last.isdigit():
        sign, digit = 1, int(last)
    else:
        raise FormatError(_("Ligne %(n)d : montant « %(t)s » illisible.") % {"n": n, "t": text})
    digits = text[:-1] + str(digit)
    if not digits.strip().isdigit() or not decimals.isdigit():
        raise FormatError(_("Ligne %(n)d : montant « %(t)s » illisible.") % {"n": n, "t": text})
    return sign * Decimal(int(digits)).scaleb(-int(decimals))


def _date(text: str, n: int, *, required: bool = True) -> date | None:
    if not text.strip() and not required:
        return None
    try:
        return date(2000 + int(text[4:6]), int(text[2:4]), int(text[0:2]))
    except ValueError:
        raise FormatError(
            _("Ligne %(n)d : date « %(t)s » invalide (JJMMAA attendu).") % {"n": n, "t": text}
        ) from None


def parse(content: bytes) -> list[Statement]:
    text = decode(content)
    # Some banks send the 120-character records without line breaks.
    rows = text.splitlines()
    if len(rows) == 1 and len(rows[0]) > 120 and len(rows[0]) % 120 == 0:
        rows = [rows[0][i : i + 120] for i in range(0, len(rows[0]), 120)]
    statements: list[Statement] = []
    current: Statement | None = None
    last: Line | None = None
    for n, row in enumerate(rows, start=1):
        if not row.strip():
            continue
        if len(row.rstrip("\r")) != 120:
            raise FormatError(
                _("Ligne %(n)d : un enregistrement CFONB compte 120 caractères, celui-ci %(l)d.")
                % {"n": n, "l": len(row)}
            )
        code = row[0:2]
        account = Account(bank_code=row[2:7], branch_code=row[11:16], number=row[21:32].strip())
        if code == "01":
            current = Statement(account=account, opening_balance=_amount(row[90:104], row[19], n))
            statements.append(current)
            last = None
        elif code == "04":
            if current is None:
                raise FormatError(
                    _("Ligne %(n)d : mouvement (04) avant l'ancien solde (01).") % {"n": n}
                )
            if account.number != current.account.number:  # type: ignore[union-attr]
                raise FormatError(
                    _("Ligne %(n)d : le mouvement porte sur un autre compte que l'ancien solde.")
                    % {"n": n}
                )
            entry = row[81:88].strip()
            last = Line(
                booking_date=_date(row[34:40], n),  # type: ignore[arg-type]
                value_date=_date(row[42:48], n, required=False),
                amount=_amount(row[90:104], row[19], n),
                label=" ".join(row[48:79].split()),
                reference=row[104:120].strip(),
                bank_id=f"{row[34:40]}-{entry}" if entry.strip("0") else "",
                source_line=n,
            )
            current.lines.append(last)
        elif code == "05":
            if last is None:
                raise FormatError(
                    _("Ligne %(n)d : complément (05) sans mouvement (04) avant lui.") % {"n": n}
                )
            qualifier, info = row[45:48], " ".join(row[48:118].split())
            if qualifier == "NPY":  # nom du payeur
                last.counterparty = info[:140]
            elif qualifier in ("RCN", "REF"):  # référence du client / de l'opération
                last.reference = info[:140]
            if info:
                last.label = f"{last.label} {info}"[:500]
        elif code == "07":
            if current is None:
                raise FormatError(
                    _("Ligne %(n)d : nouveau solde (07) sans ancien solde (01).") % {"n": n}
                )
            current.closing_balance = _amount(row[90:104], row[19], n)
            current, last = None, None
        else:
            raise FormatError(
                _("Ligne %(n)d : type d'enregistrement « %(c)s » inconnu (01, 04, 05 ou 07).")
                % {"n": n, "c": code}
            )
    if current is not None:
        raise FormatError(_("Le fichier se termine sans nouveau solde (07)."))
    if not statements:
        raise FormatError(_("Aucun relevé CFONB 120 dans ce fichier."))
    return statements
