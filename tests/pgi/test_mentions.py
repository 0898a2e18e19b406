"""The kernel's legal mentions: one text per mention, one format per amount, one 60-day limit.

How the PDF and the Factur-X XML print them for real documents is in
tests/facturation/test_mentions_parity.py.
"""

import pytest
from django.utils import translation

from crm.models import ClientKind
from pgi import mentions
from pgi.lignes import Nature
from pgi.mentions import (
    document_mentions,
    payment_terms_limit,
    payment_terms_warning,
    seller_legal_form,
    seller_name,
    seller_registration,
    vat_case,
)
from pgi.models import LegalForm, VatRegime
from pgi.money import format_eur, format_eur_whole, format_number, format_percent


def test_the_vocabulary_is_the_models_one():
    """The module spells the sealed content's values; a renamed choice must show here."""
    assert mentions.FORMS_WITH_CAPITAL <= set(LegalForm.values)
    assert mentions.UNPRINTED_FORMS <= set(LegalForm.values)
    assert {"franchise", "debits"} <= set(VatRegime.values)
    assert mentions.BUSINESS == ClientKind.COMPANY
    assert mentions.GOODS == Nature.GOODS


def party(country: str, kind: str = "entreprise") -> dict:
    return {"kind": kind, "address": {"country": country}}


@pytest.mark.parametrize(
    ("regime", "buyer", "case"),
    [
        ("normal", party("FR"), "normal"),
        ("debits", party("FR"), "normal"),
        ("franchise", party("DE"), "franchise"),
        ("normal", party("DE"), "reverse_charge"),
        ("normal", party("DE", "particulier"), "normal"),
        ("normal", party("US"), "export"),
        ("normal", party("CH", "particulier"), "normal"),  # CGI art. 259 B: taxed in France
        ("normal", party(""), "normal"),
    ],
)
def test_vat_case(regime, buyer, case):
    assert vat_case({"vat_regime": regime}, buyer) == case


def test_seller_name_adds_ei_once():
    assert seller_name({"legal_name": "Jeanne Dupont", "is_ei": True}) == "Jeanne Dupont EI"
    assert seller_name({"legal_name": "Jeanne Dupont EI", "is_ei": True}) == "Jeanne Dupont EI"
    assert seller_name({"legal_name": "Jeanne Dupont E.I.", "is_ei": True}) == "Jeanne Dupont E.I."
    assert seller_name({"legal_name": "Alpha SAS", "is_ei": False}) == "Alpha SAS"


def test_the_share_capital_has_one_format():
    sas = {"legal_form": "SAS", "legal_form_label": "SAS", "share_capital": "5000.00"}
    assert seller_legal_form(sas).text == "SAS au capital de 5\u202f000\u00a0€"
    odd = sas | {"share_capital": "1500.50"}
    assert seller_legal_form(odd).text == "SAS au capital de 1\u202f500,50\u00a0€"
    assert seller_legal_form(sas | {"share_capital": None}).text == "SAS"
    assert seller_legal_form({"legal_form": "EI", "share_capital": None}) is None


def test_the_registration():
    seller = {"registry": "RCS", "registry_city": "Paris", "siren": "552081317"}
    assert seller_registration(seller).text == "RCS Paris 552\u00a0081\u00a0317"
    assert seller_registration(seller | {"registry": "RNE"}).text == "Immatriculation au RNE"
    assert seller_registration(seller | {"registry": ""}) is None


def content(case: str, lines: list[dict], kind: str = "entreprise", **extra) -> dict:
    return {
        "vat_case": case,
        "nature": extra.pop("nature", "services"),
        "debits_option": False,
        "seller": {"legal_name": "Alpha", "legal_form": "AUTRE", "registry": ""},
        "buyer": {"kind": kind},
        "lines": lines,
        "payment": {
            "late_penalty_rate": "12.15",
            "recovery_indemnity": "40.00" if kind == "entreprise" else None,
            "early_payment_discount": None,
        },
        **extra,
    }


def test_exempt_lines_share_one_note_per_reason_and_none_repeats_the_document_mentions():
    reason = {"vat_rate": "0", "vat_exemption_reason": "Exonération, art. 261-4-4° du CGI"}
    lines = [reason, {"vat_rate": "20"}, reason, {"vat_rate": "0"}]
    found = document_mentions(content("normal", lines, debits_option=True))
    assert [m.code for m in found.vat] == ["vat.debits"]
    assert [m.text for m in found.exemptions] == ["Exonération, art. 261-4-4° du CGI"]
    assert [found.note_number(i) for i in range(4)] == [1, None, 1, None]
    taxes = dict(found.notes())
    assert taxes["TXD"] == (
        "Option pour le paiement de la taxe d'après les débits\nExonération, art. 261-4-4° du CGI"
    )

    franchise = document_mentions(content("franchise", [reason]))
    assert [m.code for m in franchise.vat] == ["vat.franchise"]
    assert franchise.lines == (mentions.VAT_FRANCHISE,) and franchise.exemptions == ()


@pytest.mark.parametrize(
    ("nature", "line_natures", "expected"),
    [
        ("services", ["service"], ["vat.export_services"]),
        ("biens", ["bien"], ["vat.export_goods"]),
        ("mixte", ["service", "bien"], ["vat.export_services", "vat.export_goods"]),
    ],
)
def test_an_export_cites_per_nature(nature, line_natures, expected):
    lines = [{"vat_rate": "0", "nature": n} for n in line_natures]
    found = document_mentions(content("export", lines, nature=nature))
    assert [m.code for m in found.vat] == expected
    assert [m.code for m in found.lines] == [
        "vat.export_goods" if n == "bien" else "vat.export_services" for n in line_natures
    ]
    assert found.exemptions == ()


def test_payment_mentions_of_a_consumer_have_no_indemnity_and_no_l441_10():
    business = document_mentions(content("normal", []))
    assert [(m.code, m.subject) for m in business.payment] == [
        ("payment.no_discount", "AAB"),
        ("payment.late_penalties", "PMD"),
        ("payment.recovery_indemnity", "PMT"),
    ]
    assert "(art. L441-10 du Code de commerce)" in business.payment[1].text
    assert business.payment[2].text.endswith(": 40\u00a0€ (art. D441-5 du Code de commerce)")
    consumer = document_mentions(content("normal", [], kind="particulier"))
    assert [m.text for m in consumer.payment] == [
        "Pas d'escompte pour paiement anticipé",
        "Pénalités de retard : taux annuel de 12,15\u202f%",
    ]


def test_the_sixty_day_limit():
    assert mentions.PAYMENT_TERMS_MAX_DAYS == 60
    with translation.override("fr"):
        assert payment_terms_limit() == (
            "60 jours au plus après la date de facture (C. com. L441-10)."
        )
        assert payment_terms_warning(None) == payment_terms_warning(45) == ""
        warning = payment_terms_warning(50)
    assert warning.startswith("Délai de 50 jours : 60 jours au plus après la date de facture")
    assert "45 jours fin de mois" in warning
    with translation.override("en"):
        assert payment_terms_limit().startswith("At most 60 days after the invoice date")


def test_french_number_formats():
    assert format_number("1234.500") == "1\u202f234,5"
    assert format_number("-0.1234", min_places=2, max_places=4) == "-0,1234"
    assert format_eur("-1234.5") == "-1\u202f234,50\u00a0€"
    assert format_eur("0.004") == "0,00\u00a0€"
    assert format_eur_whole("40.00") == "40\u00a0€"
    assert format_eur_whole("12.5") == "12,50\u00a0€"
    assert format_percent("5.50") == "5,5\u202f%"
