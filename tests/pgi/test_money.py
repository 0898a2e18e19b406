"""Amounts as the French read them: `pgi.money` and the template filters that show amounts."""

from decimal import Decimal

import pytest

from pgi.money import format_eur, format_eur_whole
from pgi.templatetags import money, pdf_format

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("-100", f"-100,00{NBSP}€"),
        ("-0.5", f"-0,50{NBSP}€"),
        ("-1234567.5", f"-1{NNBSP}234{NNBSP}567,50{NBSP}€"),
        ("-0.001", f"0,00{NBSP}€"),  # nothing left to owe once rounded: no "-0,00 €"
    ],
)
def test_negative_amounts_keep_their_sign(amount, shown):
    """A deposit deducted from the final invoice is a negative amount (a negative quantity:
    EN 16931 BR-27 forbids a negative price, not a negative line); it prints with its minus
    sign, in the same grouping (narrow no-break space), before the no-break space and €."""
    assert format_eur(Decimal(amount)) == shown
    assert money.eur(Decimal(amount)) == shown
    assert pdf_format.eur(amount) == shown


def test_negative_legal_amounts_keep_their_sign():
    assert format_eur_whole(Decimal("-40")) == f"-40{NBSP}€"
    assert format_eur_whole(Decimal("-12.5")) == f"-12,50{NBSP}€"


@pytest.mark.parametrize(
    ("unit_price", "shown"),
    [
        ("0.1250", f"0,13{NBSP}€"),  # half-up; half-even would show 0,12 €
        ("0.1350", f"0,14{NBSP}€"),
        ("-0.1250", f"-0,13{NBSP}€"),  # half away from zero
        ("0.1249", f"0,12{NBSP}€"),
        ("2.6750", f"2,68{NBSP}€"),
    ],
)
def test_four_decimal_unit_prices_show_rounded_half_up_to_the_cent(unit_price, shown):
    """Money module rule (EN 16931 amounts have two decimals, rounded half-up): where a
    unit price is shown as an amount (the `eur` filter of the invoice detail, the credit-note
    form, the catalogue), its 4 decimals round half-up to the cent."""
    assert money.eur(Decimal(unit_price)) == shown
    assert pdf_format.eur(unit_price) == shown


def test_the_pdf_keeps_a_unit_price_to_four_decimals():
    """The printed invoice shows the unit price as entered (up to 4 decimals), not rounded."""
    assert pdf_format.price("0.1250") == f"0,125{NBSP}€"
    assert pdf_format.price("-0.1250") == f"-0,125{NBSP}€"
