"""Legal mentions (pgi/mentions.py) that no test defended until the mutation run of
tests/README.md showed it: each test names its rule."""

from types import SimpleNamespace

from django.utils import translation

from pgi.mentions import (
    Mention,
    document_mentions,
    line_vat_mention,
    operation_nature,
    payment_mentions,
    payment_terms_warning,
    seller_legal_form,
    seller_registration,
)


def test_an_early_payment_discount_is_stated_with_its_terms():
    """C. com. L441-9: the invoice states the early-payment discount granted, in the words the
    seller typed; Factur-X carries it as a note of subject AAB."""
    content = {
        "buyer": {"kind": "entreprise"},
        "payment": {"early_payment_discount": "2 % pour paiement sous 10 jours"},
    }
    assert payment_mentions(content) == (
        Mention(
            "payment.discount",
            "Escompte pour paiement anticipé : 2 % pour paiement sous 10 jours",
            "AAB",
        ),
    )


def test_a_zero_rated_line_carries_the_reason_typed_on_it_and_a_taxed_line_none():
    """CGI art. 242 nonies A-I-13° (BT-120): a line at 0 % in a normal case says why, with the
    reason typed on it (trimmed), as a tax note; a line that charges VAT, at any positive
    rate (0,9 % in Corsica too), needs none, and a reason of blanks is no reason."""
    line = {"vat_rate": "0", "vat_exemption_reason": " Exonération, art. 261-4-4° du CGI "}
    assert line_vat_mention("normal", line) == Mention(
        "vat.line_reason", "Exonération, art. 261-4-4° du CGI", "TXD"
    )
    assert line_vat_mention("normal", {**line, "vat_rate": "0.9"}) is None
    assert line_vat_mention("normal", {**line, "vat_exemption_reason": "  "}) is None


def test_the_editor_warns_past_45_days_with_the_written_agreement_condition():
    """C. com. L441-10: 60 days after the invoice date at most, or 45 days end of month if it
    was agreed in writing: past 45 days the editor says both, word for word."""
    with translation.override("fr"):
        warning = payment_terms_warning(50)
    assert warning == (
        "Délai de 50 jours : 60 jours au plus après la date de facture (C. com. L441-10). "
        "Par dérogation, 45 jours fin de mois au plus s'il en a été convenu ainsi par écrit."
    )


SIREN = "732829320"


def test_the_seller_is_named_with_its_legal_form_and_its_registration():
    """Loi 2022-172, C. com. R123-237 and R123-238: the document names the seller ("EI" added
    for a sole trader), its legal form with its share capital, and its registration."""
    seller = {
        "legal_name": "Dupont",
        "is_ei": True,
        "legal_form": "SAS",
        "share_capital": "5000",
        "registry": "RCS",
        "registry_city": "Paris",
        "siren": SIREN,
    }
    mentions = document_mentions({"seller": seller, "buyer": {"kind": "entreprise"}, "lines": []})
    assert mentions.seller_name == "Dupont EI"
    assert mentions.legal_form.text == "SAS au capital de 5\u202f000\u00a0€"
    assert mentions.registration == Mention(
        "seller.registration", "RCS Paris 732\u00a0829\u00a0320"
    )


def test_the_registration_reads_as_its_register_says():
    """C. com. R123-237: "RCS" or "RM" with the registry's city and the SIREN (the city left
    out when unknown), "Immatriculation au RNE", or nothing for a seller not registered."""
    assert seller_registration(
        {"registry": "RM", "registry_city": "Lyon", "siren": SIREN}
    ) == Mention("seller.registration", "RM Lyon 732\u00a0829\u00a0320")
    assert seller_registration({"registry": "RCS", "siren": SIREN}) == Mention(
        "seller.registration", "RCS 732\u00a0829\u00a0320"
    )
    assert seller_registration({"registry": "RNE", "siren": SIREN}) == Mention(
        "seller.registration", "Immatriculation au RNE"
    )
    assert seller_registration({"registry": "", "siren": SIREN}) is None


def test_the_nature_of_the_operation_is_goods_services_or_both():
    """Décret 2022-1299: the invoice says whether it sells goods, services or both; with no
    line yet it reads as services."""
    goods, service = SimpleNamespace(nature="bien"), SimpleNamespace(nature="service")
    assert operation_nature([goods, goods]) == "biens"
    assert operation_nature([service]) == operation_nature([]) == "services"
    assert operation_nature([goods, service]) == "mixte"


def test_the_legal_form_reads_as_its_label_with_the_capital_when_known():
    """C. com. R123-238: the legal form as the settings name it, then "au capital de" when a
    capital is known (an empty one is not printed); none for a sole trader's "EI"."""
    seller = {"legal_form": "SARL", "legal_form_label": "SARL unipersonnelle"}
    assert seller_legal_form(seller) == Mention("seller.legal_form", "SARL unipersonnelle")
    assert seller_legal_form({**seller, "share_capital": ""}).text == "SARL unipersonnelle"
    assert seller_legal_form({"legal_form": "SA", "share_capital": "0"}).text == (
        "SA au capital de 0\u00a0€"
    )
    assert seller_legal_form({"legal_form": ""}) is None
    assert seller_legal_form({"legal_form": "EI", "legal_form_label": "EI"}) is None
