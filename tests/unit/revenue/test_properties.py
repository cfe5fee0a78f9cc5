"""Properties that hold for any input: NPI check digits, NDC layouts, ledger netting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from careweave.model.revenue import ChargeLine, ChargeTransactionType
from careweave.revenue.charge_ledger import LedgerOutcomeKind, net_charges
from careweave.revenue.identifiers import (
    NPI_ISSUER_PREFIX,
    NpiProblem,
    luhn_check_digit,
    normalize_ndc,
    npi_problem,
)

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


@given(st.sampled_from("12"), st.text(alphabet="0123456789", min_size=8, max_size=8), digits)
def test_exactly_one_check_digit_makes_an_npi_valid(first, middle, last):
    base = first + middle
    npi = base + last
    correct = luhn_check_digit(NPI_ISSUER_PREFIX + base) == int(last)
    assert (npi_problem(npi) is None) is correct
    if not correct:
        assert npi_problem(npi) is NpiProblem.CHECK_DIGIT


@given(
    st.sampled_from([(4, 4, 2), (5, 3, 2), (5, 4, 1), (5, 4, 2)]),
    st.text(alphabet="0123456789", min_size=11, max_size=11),
)
def test_every_ndc_layout_pads_to_eleven_digits_keeping_the_digits(layout, pool):
    parts = [pool[:5][: layout[0]], pool[5:9][: layout[1]], pool[9:][: layout[2]]]
    eleven = normalize_ndc("-".join(parts))
    assert len(eleven) == 11
    assert eleven[:5].endswith(parts[0])
    assert eleven[5:9].endswith(parts[1])
    assert eleven[9:].endswith(parts[2])
    assert sorted(eleven) == sorted("".join(parts) + "0" * (11 - sum(layout)))


line_specs = st.lists(
    st.tuples(
        st.booleans(),  # credit?
        st.sampled_from(["93458", "92928", "C1874"]),
        st.integers(min_value=1, max_value=4),
        st.sampled_from([Decimal("10.00"), Decimal("33.33"), None]),
    ),
    max_size=25,
)


@settings(max_examples=150)
@given(line_specs)
def test_netting_never_goes_negative_and_accounts_for_every_credit(specs):
    lines = [
        ChargeLine(
            line_id=f"L{i}",
            encounter_id="E1",
            service_date=dt.date(2026, 3, 9),
            transaction_type=ChargeTransactionType.CREDIT
            if credit
            else ChargeTransactionType.CHARGE,
            procedure_code=code,
            units=Decimal(units),
            amount=None if price is None else price * units,
        )
        for i, (credit, code, units, price) in enumerate(specs)
    ]
    ledger = net_charges(lines)
    positions = ledger.positions()
    credited = sum((p.credited_units for p in positions), Decimal(0))
    held_credits = {o.line_id for o in ledger.held() if o.kind is LedgerOutcomeKind.REFUSED}
    applied = sum(
        (line.units for line in lines if line.is_credit and line.line_id not in held_credits),
        Decimal(0),
    )
    assert credited == applied
    for position in positions:
        assert 0 <= position.net_units <= position.charged_units
        if position.net_amount is not None:
            assert position.net_amount >= 0
        if position.net_units == 0 and position.charged_amount is not None:
            assert position.net_amount == 0
