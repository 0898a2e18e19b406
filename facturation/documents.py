"""The frozen content of an issued document: parties, lines, VAT breakdown, totals, dates.

`document_content` builds, from the database rows, the dict that is sealed in the register and
rendered to PDF and Factur-X. Verification rebuilds it from the live rows and compares it to
the sealed one, so any change to an invoice or a line behind the application's back shows.
"""

import copy
from datetime import date, timedelta
from decimal import Decimal

from crm.models import Client
from facturation.models import Facture, Kind
from pgi.lignes import line_snapshot
from pgi.mentions import operation_nature, vat_case
from pgi.models import Company, VatRegime
from pgi.text import clean_strings
from pgi.totals import compute_totals

# UNTDID 1001 document type codes (EN 16931 BT-3).
TYPE_CODES: dict[str, str] = {Kind.INVOICE: "380", Kind.CREDIT_NOTE: "381", Kind.DEPOSIT: "386"}


def _d(value) -> str:
    """Decimals as fixed strings in the payload: exact, and stable across serialisations."""
    return format(Decimal(value), "f")


def electronic_address(siren: str) -> dict | None:
    """The e-invoicing routing address (EN 16931 BT-34 / BT-49): by default the SIREN in the
    French directory's scheme 0225 (réforme de la facturation électronique)."""
    return {"scheme": "0225", "id": siren} if siren else None


def seller_snapshot(company: Company) -> dict:
    return {
        "legal_name": company.legal_name,
        "trade_name": company.trade_name,
        "legal_form": company.legal_form,
        "legal_form_label": company.get_legal_form_display(),
        "is_ei": company.is_ei,
        "share_capital": _d(company.share_capital) if company.share_capital is not None else None,
        "address": {
            "line1": company.address_line1,
            "line2": company.address_line2,
            "postal_code": company.postal_code,
            "city": company.city,
            "country": company.country,
        },
        "siren": company.siren,
        "siret": company.siret,
        "registry": company.registry,
        "registry_city": company.registry_city,
        "vat_number": company.vat_number,
        "vat_regime": company.vat_regime,
        "iban": company.iban,
        "bic": company.bic,
        "email": company.email,
        "phone": company.phone,
        "brand_color": company.brand_color,
        "electronic_address": electronic_address(company.siren),
        "late_penalty_rate": _d(company.late_penalty_rate),
        "recovery_indemnity": _d(company.recovery_indemnity),
    }


def buyer_snapshot(client: Client) -> dict:
    delivery = None
    if client.has_delivery_address:
        delivery = {
            "line1": client.delivery_line1,
            "line2": client.delivery_line2,
            "postal_code": client.delivery_postal_code,
            "city": client.delivery_city,
            "country": client.delivery_country or client.billing_country,
        }
    return {
        "id": client.pk,
        "name": client.name,
        "kind": client.kind,
        "siren": client.siren,
        "siret": client.siret,
        "vat_number": client.vat_number,
        "email": client.email,
        "address": {
            "line1": client.billing_line1,
            "line2": client.billing_line2,
            "postal_code": client.billing_postal_code,
            "city": client.billing_city,
            "country": client.billing_country,
        },
        "delivery_address": delivery,
        "electronic_address": electronic_address(client.siren) if client.is_business else None,
    }


def document_content(
    facture: Facture, *, seller: dict, buyer: dict, lines: list | None = None
) -> dict:
    """The whole fiscal content of a document, as sealed in the register."""
    lines = list(facture.lines.all()) if lines is None else lines
    totals = compute_totals(lines)
    origin = None
    if facture.origin_id and facture.origin is not None:
        origin = {"number": facture.origin.number, "issue_date": facture.origin.issue_date}
    return {
        "type": facture.kind,
        "type_code": TYPE_CODES[facture.kind],
        "number": facture.number,
        "issue_date": facture.issue_date,
        "operation_date": facture.operation_date,
        "due_date": facture.due_date,
        "currency": "EUR",
        "subject": facture.subject,
        "notes": facture.notes,
        "origin": origin,
        "seller": seller,
        "buyer": buyer,
        "vat_case": vat_case(seller, buyer),
        "nature": operation_nature(lines),
        "debits_option": seller["vat_regime"] == VatRegime.DEBITS,
        "lines": [
            {
                "position": index,
                **line_snapshot(line, lt),
                "deposit": (
                    {"number": line.deposit.number, "issue_date": line.deposit.issue_date}
                    if line.deposit_id
                    else None
                ),
            }
            for index, (line, lt) in enumerate(zip(lines, totals.lines, strict=True), start=1)
        ],
        "vat_breakdown": [
            {"rate": _d(b.rate.quantize(Decimal("0.01"))), "base": _d(b.base), "vat": _d(b.vat)}
            for b in totals.breakdown
        ],
        "total_excl_vat": _d(totals.total_excl_vat),
        "total_vat": _d(totals.total_vat),
        "total_incl_vat": _d(totals.total_incl_vat),
        "payment": {
            "terms_days": facture.payment_terms_days,
            "late_penalty_rate": seller["late_penalty_rate"],
            "recovery_indemnity": seller["recovery_indemnity"]
            if buyer["kind"] == "entreprise"
            else None,
            "early_payment_discount": None,
            "iban": seller["iban"],
            "bic": seller["bic"],
        },
    }


def payment_dates(
    facture: Facture, *, client: Client, issue_date: date
) -> tuple[int | None, date | None]:
    """The payment terms and due date a document gets when issued on `issue_date`: the
    draft's terms, else the customer's (else the company's); a credit note has no due date."""
    if facture.kind == Kind.CREDIT_NOTE:
        return facture.payment_terms_days, None
    terms = facture.payment_terms_days
    if terms is None:
        terms = client.effective_payment_terms()
    return terms, issue_date + timedelta(days=terms)


def preview_content(facture: Facture, *, today: date) -> dict:
    """What a draft would print if issued `today`, without a number: for its PDF preview.

    Reads only; the draft itself is left untouched (a copy carries the dates)."""
    draft = copy.copy(facture)
    draft.issue_date = today
    draft.payment_terms_days, draft.due_date = payment_dates(
        facture, client=facture.client, issue_date=today
    )
    lines = list(facture.lines.select_related("deposit").order_by("position", "pk"))
    content = document_content(
        draft, seller=seller_snapshot(facture.company), buyer=buyer_snapshot(facture.client),
        lines=lines,
    )  # fmt: skip
    return clean_strings(content)
