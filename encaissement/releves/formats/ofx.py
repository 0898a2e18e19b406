"""OFX (1.x SGML or 2.x XML), parsed and typed by ofxtools."""

import logging
import re
from decimal import Decimal, InvalidOperation
from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from ofxtools.Parser import OFXTree

from encaissement.releves.formats import Account, FormatError, Line, Statement, decode

# Some French banks write amounts with a decimal comma, which OFX does not allow.
COMMA_AMOUNT = re.compile(rb"(<(?:TRNAMT|BALAMT)>\s*-?\d+),(\d+)")


def _position(text: str, occurrence: int) -> int:
    """Where the `occurrence`-th (0-based) `<STMTTRN>` of the file starts (-1 if absent)."""
    position = -1
    for _i in range(occurrence + 1):
        position = text.find("<STMTTRN>", position + 1)
        if position < 0:
            return -1
    return position


def _line_at(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1 if position >= 0 else 0


def _line_of(text: str, occurrence: int) -> int:
    return _line_at(text, _position(text, occurrence))


def _field_problem(element) -> tuple[str, str] | None:
    """The field of a movement that cannot be read: (tag, French message)."""
    amount = (element.findtext("TRNAMT") or "").strip()
    try:
        Decimal(amount)
    except InvalidOperation:
        return "TRNAMT", _("montant « %(t)s » illisible") % {"t": amount}
    posted = (element.findtext("DTPOSTED") or "").strip()
    if not re.match(r"^\d{8}", posted):
        return "DTPOSTED", _("date « %(t)s » illisible") % {"t": posted}
    if not (element.findtext("FITID") or "").strip():
        return "STMTTRN", _("identifiant FITID absent")
    return None


def _locate(text: str, tree: OFXTree) -> str:
    """Which movement ofxtools refused, checked one by one, for a message that names it."""
    from ofxtools.models.bank.stmt import STMTTRN

    for index, element in enumerate(tree.getroot().iter("STMTTRN")):
        try:
            STMTTRN.from_etree(element)
        except Exception as exc:  # noqa: BLE001 - ofxtools raises several kinds
            start = _position(text, index)
            problem = _field_problem(element)
            if problem is None:
                return _("Ligne %(n)d : mouvement OFX invalide (%(e)s).") % {
                    "n": _line_at(text, start),
                    "e": str(exc).splitlines()[0][:200],
                }
            tag, message = problem
            found = text.find(f"<{tag}>", start)
            return _("Ligne %(n)d : mouvement OFX invalide, %(e)s.") % {
                "n": _line_at(text, found if found >= 0 else start),
                "e": message,
            }
    return ""


def parse(content: bytes) -> list[Statement]:
    # ofxtools logs every element it converts at INFO: not for our logs.
    logging.getLogger("ofxtools").setLevel(logging.WARNING)
    content = COMMA_AMOUNT.sub(rb"\1.\2", content)
    text = decode(content)
    tree = OFXTree()
    try:
        tree.parse(BytesIO(content))
    except Exception as exc:  # noqa: BLE001 - header, SGML and XML errors alike
        raise FormatError(
            _("Fichier OFX illisible : %(e)s.") % {"e": str(exc).splitlines()[0][:200]}
        ) from exc
    try:
        ofx = tree.convert()
    except Exception as exc:  # noqa: BLE001
        raise FormatError(
            _locate(text, tree) or _("Fichier OFX invalide : %(e)s.") % {"e": str(exc)[:200]}
        ) from exc
    statements = []
    index = 0
    for stmt in ofx.statements:
        acct = stmt.account
        account = Account(
            bank_code=getattr(acct, "bankid", "") or "",
            branch_code=getattr(acct, "branchid", "") or "",
            number=acct.acctid or "",
        )
        if len(account.number) >= 14 and account.number[:2].isalpha():
            account = Account(iban=account.number.replace(" ", "").upper())
        statement = Statement(account=account)
        for trn in stmt.banktranlist or []:
            posted = timezone.localtime(trn.dtposted).date()
            user = timezone.localtime(trn.dtuser).date() if trn.dtuser else None
            label = " ".join(p for p in (trn.name, trn.memo) if p)
            statement.lines.append(
                Line(
                    booking_date=posted,
                    value_date=user,
                    amount=trn.trnamt,
                    label=" ".join(label.split())[:500] or _("(sans libellé)"),
                    reference=(trn.refnum or trn.checknum or "")[:140],
                    counterparty=(trn.payee.name if trn.payee else "")[:140],
                    bank_id=trn.fitid or "",
                    source_line=_line_of(text, index),
                )
            )
            index += 1
        if stmt.ledgerbal is not None:
            statement.closing_balance = stmt.ledgerbal.balamt
        statements.append(statement)
    if not statements:
        raise FormatError(_("Aucun relevé bancaire dans ce fichier OFX."))
    return statements
