from decimal import Decimal
from types import SimpleNamespace

from pgi.money import cents, format_eur
from pgi.totals import LineTotals, compute_totals, line_totals


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


def test_the_line_discount_is_computed_on_the_rounded_gross():
    """EN 16931 (BT-136 = BT-137 × BT-138): the allowance is a percentage of the line's gross
    amount, itself an amount rounded to the cent. 1 × 0.125 at 50 %: gross 0.13, allowance
    0.065 → 0.07, net 0.06; on the unrounded gross the allowance would be 0.0625 → 0.06 and
    the net 0.07."""
    assert line_totals(quantity="1", unit_price=Decimal("0.125"), discount_rate="50") == (
        LineTotals(gross=Decimal("0.13"), allowance=Decimal("0.07"), net=Decimal("0.06"))
    )
    totals = compute_totals([L("1", "0.125", "20", "50")])
    assert (totals.total_excl_vat, totals.total_vat, totals.total_incl_vat) == (
        Decimal("0.06"), Decimal("0.01"), Decimal("0.07"),
    )  # fmt: skip


def test_the_vat_breakdown_lists_the_rates_from_highest_to_lowest():
    """EN 16931 BG-23: one breakdown per rate. Its order is the documents' (PDF, Factur-X,
    API): highest rate first, whatever the order of the lines."""
    totals = compute_totals(
        [L("1", "10", "5.5"), L("1", "10", "0"), L("1", "10", "20"), L("1", "10", "10"),
         L("1", "10", "2.1"), L("1", "10", "20.00")]
    )  # fmt: skip
    assert [(b.rate, b.base) for b in totals.breakdown] == [
        (Decimal("20"), Decimal("20.00")),
        (Decimal("10"), Decimal("10.00")),
        (Decimal("5.5"), Decimal("10.00")),
        (Decimal("2.1"), Decimal("10.00")),
        (Decimal("0"), Decimal("10.00")),
    ]
