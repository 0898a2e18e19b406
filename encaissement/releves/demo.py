"""A CAMT.053 statement written from a few credit lines, for the demo data (seed_demo) and
the tests: what a bank would export, valid against the schema the import checks."""

from datetime import date
from xml.sax.saxutils import escape


def camt053(*, iban: str, day: date, entries: list[dict]) -> bytes:
    """`entries`: dicts of `amount` ("120.00"), and `label` (free text) or `ref` (a
    structured creditor reference), and `payer`; `debit=True` for a debit (bank fees)."""
    body = []
    for i, e in enumerate(entries):
        remit = (
            f"<Strd><CdtrRefInf><Ref>{escape(e['ref'])}</Ref></CdtrRefInf></Strd>"
            if e.get("ref")
            else f"<Ustrd>{escape(e.get('label', ''))}</Ustrd>"
        )
        sign = "DBIT" if e.get("debit") else "CRDT"
        payer = e.get("payer", "")
        parties = f"<RltdPties><Dbtr><Nm>{escape(payer)}</Nm></Dbtr></RltdPties>" if payer else ""
        body.append(
            f"""<Ntry><Amt Ccy="EUR">{e["amount"]}</Amt><CdtDbtInd>{sign}</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>{day.isoformat()}</Dt></BookgDt><AcctSvcrRef>M{i}-{e["amount"]}</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls>{parties}
<RmtInf>{remit}</RmtInf></TxDtls></NtryDtls></Ntry>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>T</MsgId><CreDtTm>{day.isoformat()}T06:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S</Id><CreDtTm>{day.isoformat()}T06:00:00</CreDtTm>
<Acct><Id><IBAN>{iban}</IBAN></Id></Acct>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>
{"".join(body)}</Stmt></BkToCstmrStmt></Document>""".encode()
