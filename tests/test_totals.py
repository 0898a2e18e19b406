from decimal import Decimal
from types import SimpleNamespace

from pgi.money import cents, format_eur
from pgi.totals import compute_totals, line_totals


def L(quantity, price, rate="20", discount="0"):
    return SimpleNamespace(
        quantity=Decimal(quantity), unit_price=Decimal(price),
        vat_rate=Decimal(rate), discount_rate=Decimal(discount),
    )  # fmt: skip


def test_cents_round_half_up():
    assert cents("0.125") == Decimal("0.13")
    assert cents("-0.125") == Decimal("-0.13")
    assert cents(2.675) == Decimal("2.68")  # a float goes through its repr, not 2.67499…


def test_vat_is_computed_per_rate_on_the_sum_of_line_nets():
    # Three lines of 0.10 € + 0.01 € at 20 %: per line VAT would give 3 × 0.02 = 0.06;
    # EN 16931 (BR-CO-17) computes 20 % of 0.33 = 0.07 once for the rate.
    totals = compute_totals([L("1", "0.11"), L("1", "0.11"), L("1", "0.11")])
    assert totals.total_excl_vat == Decimal("0.33")
    assert totals.total_vat == Decimal("0.07")
    assert totals.total_incl_vat == Decimal("0.40")


def test_mixed_rates_and_discounts():
    totals = compute_totals(
        [L("3", "19.99", "20", "10"), L("2.5", "8", "5.5"), L("1", "100", "20")]
    )
    assert line_totals(quantity=3, unit_price=Decimal("19.99"), discount_rate=10).net == Decimal(
        "53.97"
    )
    assert [(b.rate, b.base, b.vat) for b in totals.breakdown] == [
        (Decimal("20"), Decimal("153.97"), Decimal("30.79")),
        (Decimal("5.5"), Decimal("20.00"), Decimal("1.10")),
    ]
    assert totals.total_incl_vat == Decimal("205.86")


def test_french_amount_format():
    assert format_eur(Decimal("1234567.5")) == "1\u202f234\u202f567,50\u00a0€"
