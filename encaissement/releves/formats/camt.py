"""CAMT.053 (ISO 20022 BankToCustomerStatement, version 001.02), read with lxml and first
checked against the official schema shipped in `../schemas/` (see its README): a file that
does not validate is refused with the schema's first error and its line."""

from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from lxml import etree

from encaissement.releves.formats import Account, FormatError, Line, Statement

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "camt.053.001.02.xsd"


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def _text(node, path: str) -> str:
    found = node.find(path, {"c": NS})
    return (found.text or "").strip() if found is not None else ""


def _day(node, path: str):
    """`<Dt>` or `<DtTm>` under `path`."""
    text = _text(node, f"{path}/c:Dt")
    if text:
        return parse_date(text[:10])
    text = _text(node, f"{path}/c:DtTm")
    if text:
        moment = parse_datetime(text)
        return moment.date() if moment else None
    return None


def parse(content: bytes) -> list[Statement]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise FormatError(
            _("Ligne %(n)d : XML illisible (%(e)s).") % {"n": exc.lineno or 0, "e": exc.msg}
        ) from exc
    namespace = etree.QName(root).namespace or ""
    if namespace != NS:
        raise FormatError(
            _("Ce fichier n'est pas un relevé CAMT.053.001.02 (espace de noms « %(ns)s »).")
            % {"ns": namespace}
        )
    schema = _schema()
    if not schema.validate(root):
        error = schema.error_log.last_error
        raise FormatError(
            _("Ligne %(n)d : le relevé CAMT.053 ne respecte pas le schéma ISO 20022 (%(e)s).")
            % {"n": error.line, "e": error.message.replace("{" + NS + "}", "")}
        )
    statements = []
    for stmt in root.iterfind("c:BkToCstmrStmt/c:Stmt", {"c": NS}):
        account = Account(iban=_text(stmt, "c:Acct/c:Id/c:IBAN"))
        statement = Statement(account=account)
        for bal in stmt.iterfind("c:Bal", {"c": NS}):
            code = _text(bal, "c:Tp/c:CdOrPrtry/c:Cd")
            amount = Decimal(_text(bal, "c:Amt"))
            if _text(bal, "c:CdtDbtInd") == "DBIT":
                amount = -amount
            if code == "OPBD":
                statement.opening_balance = amount
            elif code == "CLBD":
                statement.closing_balance = amount
        for ntry in stmt.iterfind("c:Ntry", {"c": NS}):
            n = ntry.sourceline or 0
            if _text(ntry, "c:Sts") not in ("BOOK", ""):
                continue  # pending or information entries are not on the account yet
            try:
                amount = Decimal(_text(ntry, "c:Amt"))
            except InvalidOperation:
                raise FormatError(_("Ligne %(n)d : montant illisible.") % {"n": n}) from None
            credit = _text(ntry, "c:CdtDbtInd") == "CRDT"
            booking = _day(ntry, "c:BookgDt") or _day(ntry, "c:ValDt")
            if booking is None:
                raise FormatError(_("Ligne %(n)d : écriture sans date.") % {"n": n})
            tx = ntry.find("c:NtryDtls/c:TxDtls", {"c": NS})
            party = "c:RltdPties/c:Dbtr" if credit else "c:RltdPties/c:Cdtr"
            party_acct = "c:RltdPties/c:DbtrAcct" if credit else "c:RltdPties/c:CdtrAcct"
            unstructured = []
            structured = ""
            if tx is not None:
                unstructured = [
                    (u.text or "").strip() for u in tx.iterfind("c:RmtInf/c:Ustrd", {"c": NS})
                ]
                structured = _text(tx, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref")
            label = " ".join(p for p in [*unstructured, _text(ntry, "c:AddtlNtryInf")] if p) or _(
                "(sans libellé)"
            )
            statement.lines.append(
                Line(
                    booking_date=booking,
                    value_date=_day(ntry, "c:ValDt"),
                    amount=amount if credit else -amount,
                    label=" ".join(label.split())[:500],
                    reference=(
                        structured
                        or (_text(tx, "c:Refs/c:EndToEndId") if tx is not None else "")
                        or ""
                    ).replace("NOTPROVIDED", "")[:140],
                    counterparty=(_text(tx, f"{party}/c:Nm") if tx is not None else "")[:140],
                    counterparty_iban=(
                        _text(tx, f"{party_acct}/c:Id/c:IBAN") if tx is not None else ""
                    ),
                    bank_id=_text(ntry, "c:AcctSvcrRef"),
                    source_line=n,
                )
            )
        statements.append(statement)
    return statements
