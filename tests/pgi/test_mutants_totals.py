"""Totals (pgi/totals.py) rules that no test defended until the mutation run of tests/README.md
showed it: each test names its rule."""

from decimal import Decimal

from pgi.totals import LineTotals, compute_totals, line_totals


def test_a_line_keeps_its_gross_its_allowance_and_its_net():
    """EN 16931 (BT-131, BT-136): the line net is the gross (quantity × price, to the cent)
    less the line allowance (to the cent); all three are kept, as the invoice shows them."""
    assert line_totals(quantity="3", unit_price="19.99", discount_rate="10") == LineTotals(
        gross=Decimal("59.97"), allowance=Decimal("6.00"), net=Decimal("53.97")
    )


def test_an_empty_draft_totals_zero_euros_to_the_cent():
    """Totals are money: a Decimal to the cent even with no line yet (a new draft's totals
    read "0.00", never the integer 0)."""
    totals = compute_totals([])
    assert [str(totals.total_excl_vat), str(totals.total_vat), str(totals.total_incl_vat)] == [
        "0.00",
        "0.00",
        "0.00",
    ]
