"""Readers of bank statement files: each turns bytes into `Statement`s or raises a
`FormatError` naming the line (or XML element) at fault, in French. They never touch the
database: `encaissement.releves.services` imports what they read, in one transaction."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from encaissement.releves.exceptions import ReleveError


class FormatError(ReleveError):
    pass


@dataclass
class Line:
    booking_date: date
    amount: Decimal
    label: str
    value_date: date | None = None
    reference: str = ""
    counterparty: str = ""
    counterparty_iban: str = ""
    bank_id: str = ""  # FITID, AcctSvcrRef...: the bank's own id of the movement, if any
    source_line: int = 0  # where it was read, for error messages


@dataclass
class Account:
    """What the file says about the account: an IBAN, or the French RIB parts."""

    iban: str = ""
    bank_code: str = ""
    branch_code: str = ""
    number: str = ""

    def describe(self) -> str:
        if self.iban:
            return self.iban
        return " ".join(p for p in (self.bank_code, self.branch_code, self.number) if p)


@dataclass
class Statement:
    account: Account | None
    lines: list[Line] = field(default_factory=list)
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None


def decode(content: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252/Latin-1 as French banks still send."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")
