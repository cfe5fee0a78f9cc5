"""The three-way books: ERP ledger and trial balance vs 837/835 totals vs the platform's A/R."""

from __future__ import annotations

import collections
import datetime as dt
from decimal import Decimal

import pytest

from careweave.revenue.books import (
    GlLine,
    ReceivableFact,
    ReceivablePosting,
    TrialBalanceFact,
    reconcile_books,
)
from careweave.revenue.reconciliation import (
    ChargeFact,
    ClaimLineFact,
    UnbilledAccount,
    reconcile,
    render_report,
)
from careweave.revenue.remittance_ledger import Kind, adjustment_kind, reference
from careweave.revenue.x12_totals import CasAmount, X12Totals, read_totals
from tests.unit.revenue.x12_samples import ISA

NPI = "1234567893"
PAID_ON = dt.date(2026, 3, 20)
ENTITIES = {NPI: "RBH01"}


def x12_837(*claims: tuple[str, str]) -> str:
    body = [
        "ST*837*0001*005010X222A1",
        "BHT*0019*00*B1*20260305*1200*CH",
        "HL*1**20*1",
        f"NM1*85*2*REGIONAL HEART HOSPITAL*****XX*{NPI}",
    ]
    for n, (claim_id, amount) in enumerate(claims, start=2):
        body += [f"HL*{n}*1*22*0", f"CLM*{claim_id}*{amount}***11:B:1", "LX*1",
                 f"SV1*HC:99213*{amount}*UN*1"]  # fmt: skip
    body.append(f"SE*{len(body) + 1}*0001")
    return "~\n".join([ISA, "GS*HC*A*B*20260305*1200*1*X*005010X222A1", *body, "GE*1*1",
                       "IEA*1*000000101"]) + "~\n"  # fmt: skip


X12_835 = "~\n".join([
    ISA, "GS*HP*A*B*20260320*0600*2*X*005010X221A1", "ST*835*0001",
    "BPR*I*605.00*C*ACH*CCP*01*9*DA*1*1512345678**01*9*DA*9*20260320",
    "TRN*1*TR1*1512345678", "N1*PR*ACME HEALTH PLAN", f"N1*PE*REGIONAL HEART HOSPITAL*XX*{NPI}",
    "LX*1",
    "CLP*C1*1*1000.00*600.00*100.00*12*PCN1", "SVC*HC:99213*1000.00*600.00**1",
    "CAS*CO*45*300.00", "CAS*PR*1*100.00",
    "CLP*C2*4*500.00*0.00**12*PCN2", "SVC*HC:93458*500.00*0.00**1", "CAS*CO*197*500.00",
    f"PLB*{NPI}*20261231*L6:C1*-5.00",
    "SE*15*0001", "GE*1*2", "IEA*1*000000101",
]) + "~\n"  # fmt: skip

# (journal, description, debit account, credit account, amount) as finance-posting books them
JOURNALS = [
    ("JE-1", "ClaimPaid payer ACME trace TR1 claim C1", "10100", "12000", "600.00"),
    ("JE-2", "ContractualAdjustmentPosted payer ACME trace TR1 claim C1", "48000", "12000", "300.00"),
    ("JE-3", "PatientResponsibilityAssigned payer ACME trace TR1 claim C1", "12200", "12000",
     "100.00"),
    ("JE-4", "ClaimDenied payer ACME trace TR1 claim C2", "12300", "12000", "500.00"),
    ("JE-5", "ProviderLevelAdjustment payer ACME trace TR1", "48900", "10100", "-5.00"),
]  # fmt: skip


def gl(journals: list[tuple[str, str, str, str, str]], entity: str = "RBH01") -> list[GlLine]:
    lines = []
    for journal_id, description, debit, credit, text in journals:
        amount = Decimal(text)
        for account, signed in ((debit, amount), (credit, -amount)):
            lines.append(
                GlLine(
                    journal_id=journal_id, external_id=f"journal:{journal_id}",
                    description=description, entity=entity, account=account, day=PAID_ON,
                    debit=max(signed, Decimal(0)), credit=max(-signed, Decimal(0)),
                )
            )  # fmt: skip
    return lines


def trial_balance(lines: list[GlLine]) -> list[TrialBalanceFact]:
    sums: dict[tuple[str, str], list[Decimal]] = collections.defaultdict(
        lambda: [Decimal(0), Decimal(0)]
    )
    for line in lines:
        sums[(line.entity, line.account)][0] += line.debit
        sums[(line.entity, line.account)][1] += line.credit
    return [
        TrialBalanceFact(entity=e, account=a, period="2026-03", debits=d, credits=c,
                         balance=d - c)
        for (e, a), (d, c) in sums.items()
    ]  # fmt: skip


def receivable(
    claim: str, billed: str, paid: str, *adjustments: tuple[str, str, str], balance: str = "0"
) -> ReceivableFact:
    posting = ReceivablePosting(
        trace="TR1", day=PAID_ON, paid=Decimal(paid),
        adjustments=tuple(CasAmount(g, r, Decimal(a)) for g, r, a in adjustments),
    )  # fmt: skip
    patient = sum((Decimal(a) for g, _r, a in adjustments if g == "PR"), Decimal(0))
    return ReceivableFact(
        claim_id=claim, encounter_id=f"E-{claim}", entity="RBH01", billed=Decimal(billed),
        insurance_balance=Decimal(balance), patient_balance=patient, postings=(posting,),
    )  # fmt: skip


RECEIVABLES = [
    receivable("C1", "1000.00", "600.00", ("CO", "45", "300.00"), ("PR", "1", "100.00")),
    receivable("C2", "500.00", "0.00", ("CO", "197", "500.00")),
]


def files(*claims: tuple[str, str]) -> X12Totals:
    return read_totals([("a.837", x12_837(*claims))], [("TR1.835", X12_835)], ENTITIES)


CLEAN_837 = (("C1", "1000.00"), ("C2", "500.00"))


def test_books_that_agree_reconcile_with_totals_per_entity_and_day() -> None:
    lines = gl(JOURNALS)
    books = reconcile_books(files(*CLEAN_837), lines, trial_balance(lines), RECEIVABLES)
    assert books.breaks == ()
    assert (books.claims_billed, books.claims_remitted, books.checks, books.journals) == (
        2, 2, 1, 5,
    )  # fmt: skip
    rows = {(r.measure, r.x12, r.gl, r.rcm) for r in books.totals}
    assert ("payments (CLP04)", Decimal("600.00"), Decimal("600.00"), Decimal("600.00")) in rows
    assert ("insurance A/R relieved", Decimal("1500.00"), Decimal("1500.00"),
            Decimal("1500.00")) in rows  # fmt: skip
    assert ("check payments (BPR02)", Decimal("605.00"), Decimal("605.00"), None) in rows
    assert all(row.balance == row.expected for row in books.trial_balance)
    report = reconcile([], [], [], books)
    assert report.reconciled and "RECONCILED" in render_report(report)


def test_a_contractual_adjustment_booked_as_patient_ar_names_the_claim_and_journal() -> None:
    planted = [*JOURNALS]
    planted[1] = ("JE-2", planted[1][1], "12200", "12000", "300.00")
    lines = gl(planted)
    books = reconcile_books(files(*CLEAN_837), lines, trial_balance(lines), RECEIVABLES)
    ledger = {(b.account, b.amount): b for b in books.breaks if b.check == "gl"}
    assert set(ledger) == {("12200", Decimal("300.00")), ("48000", Decimal("-300.00"))}
    assert ledger[("12200", Decimal("300.00"))].subject == "claim C1 (encounter E-C1)"
    assert "journals no 835 amount explains: JE-2 300.00" in ledger[("12200", Decimal("300.00"))]\
        .detail  # fmt: skip
    assert "835 amounts no journal posted: 300.00" in ledger[("48000", Decimal("-300.00"))].detail
    balances = {(b.account, b.amount) for b in books.breaks if b.check == "trial-balance"}
    assert balances == {("12200", Decimal("300.00")), ("48000", Decimal("-300.00"))}
    totals = {(b.subject, b.amount) for b in books.breaks if b.check == "totals"}
    assert ("entity RBH01 2026-03-20 contractual adjustments", Decimal("-300.00")) in totals
    assert ("entity RBH01 2026-03-20 patient responsibility (PR)", Decimal("300.00")) in totals


def test_a_lost_journal_and_an_unreferenced_one_are_named() -> None:
    lines = gl([j for j in JOURNALS if j[0] != "JE-4"]) + gl(
        [("JE-9", "manual entry", "12300", "12000", "500.00")]
    )
    books = reconcile_books(files(*CLEAN_837), lines, trial_balance(lines), RECEIVABLES)
    subjects = {(b.subject, b.account, b.amount) for b in books.breaks if b.check == "gl"}
    assert ("claim C2 (encounter E-C2)", "12300", Decimal("-500.00")) in subjects
    assert ("journal JE-9", "12300", Decimal("500.00")) in subjects
    # Per entity and period the money is there: the trial balance agrees, the claims do not.
    assert not [b for b in books.breaks if b.check == "trial-balance"]


def test_the_wrong_entity_shows_in_both_entities_books() -> None:
    lines = gl(JOURNALS[:1], entity="RBH02") + gl(JOURNALS[1:])
    books = reconcile_books(files(*CLEAN_837), lines, trial_balance(lines), RECEIVABLES)
    found = {(b.entity, b.account, b.amount) for b in books.breaks if b.check == "trial-balance"}
    assert found == {
        ("RBH01", "10100", Decimal("-600.00")), ("RBH01", "12000", Decimal("600.00")),
        ("RBH02", "10100", Decimal("600.00")), ("RBH02", "12000", Decimal("-600.00")),
    }  # fmt: skip


def test_billed_amounts_are_compared_across_the_platform_the_837_and_the_835() -> None:
    lines = gl(JOURNALS)
    doubled = files(("C1", "1000.00"), ("C2", "1000.00"))
    books = reconcile_books(doubled, lines, trial_balance(lines), RECEIVABLES)
    billed = {b.detail: b for b in books.breaks if b.check == "billed"}
    assert billed["837 CLM02 1000.00 != platform billed 500.00"].amount == Decimal("500.00")
    assert billed["835 CLP03 500.00 != 837 CLM02 1000.00"].subject == "claim C2 (encounter E-C2)"
    twice = reconcile_books(files(*CLEAN_837, ("C1", "1000.00")), lines, trial_balance(lines),
                            RECEIVABLES)  # fmt: skip
    assert any("on 2 837 claims" in b.detail for b in twice.breaks if b.check == "billed")


def test_the_platform_receivable_must_settle_and_apply_what_the_835_says() -> None:
    lines = gl(JOURNALS)
    short = [
        receivable("C1", "900.00", "600.00", ("CO", "45", "300.00"), ("PR", "1", "100.00"),
                   balance="-100.00"),
        receivable("C2", "500.00", "0.00", ("CO", "197", "400.00"), balance="100.00"),
        ReceivableFact(claim_id="C9", encounter_id="", entity="", billed=Decimal(0),
                       insurance_balance=Decimal(0), patient_balance=Decimal(0),
                       postings=(ReceivablePosting(trace="TR2", day=PAID_ON, paid=Decimal("7"),
                                                   adjustments=()),)),
    ]  # fmt: skip
    books = reconcile_books(files(*CLEAN_837), lines, trial_balance(lines), short)
    found = {(b.subject, b.detail) for b in books.breaks if b.check == "receivable"}
    assert (
        "claim C1 (encounter E-C1)",
        "settled by the 835s, the platform still shows -100.00 owed by the payer",
    ) in found
    assert ("claim C2 (encounter E-C2)", "platform CO adjustments 400.00 != 835 500.00") in found
    assert ("claim C9", "posted by the platform to no billed claim (unapplied)") in found  # fmt: skip
    assert any(b.detail == "837 CLM02 1000.00 != platform billed 900.00" for b in books.breaks)


def test_the_files_own_problems_are_breaks() -> None:
    lines = gl(JOURNALS)
    broken = read_totals([("a.837", x12_837(*CLEAN_837))],
                         [("TR1.835", X12_835.replace("BPR*I*605.00", "BPR*I*604.00"))],
                         ENTITIES)  # fmt: skip
    books = reconcile_books(broken, lines, trial_balance(lines), RECEIVABLES)
    [problem] = [b for b in books.breaks if b.check == "x12"]
    assert problem.subject == "TR1.835" and "BPR02 604.00" in problem.detail


def test_billing_breaks_carry_the_encounter_and_amount() -> None:
    charges = [ChargeFact(line_key="L1", encounter_id="E1", entity="RBH01",
                          amount=Decimal("70.00"))]  # fmt: skip
    lines = [ClaimLineFact(claim_id="C1", line_key="L1", amount=Decimal("70.00"), entity="RBH01",
                           encounter_id="E1")] * 2  # fmt: skip
    empty = reconcile_books(read_totals([], [], {}), [], [], [])
    report = reconcile(charges, lines, [UnbilledAccount(encounter_id="E2", reason="x")], empty)
    subjects = {(b.subject, b.amount) for b in report.breaks}
    assert ("charge L1 (encounter E1)", Decimal("70.00")) in subjects
    assert "NOT RECONCILED" in render_report(report)


@pytest.mark.parametrize(
    ("group", "reason", "kind"),
    [
        ("PR", "1", Kind.PATIENT), ("PR", "204", Kind.PATIENT), ("CO", "45", Kind.CONTRACTUAL),
        ("CO", "253", Kind.CONTRACTUAL), ("OA", "23", Kind.WRITTEN_OFF),
        ("CO", "197", Kind.DENIED), ("CO", "999", Kind.DENIED),
    ],
)  # fmt: skip
def test_the_reconciliation_reads_adjustment_codes_its_own_way(
    group: str, reason: str, kind: Kind
) -> None:
    assert adjustment_kind(group, reason) is kind


def test_a_journal_names_its_trace_and_claim_in_its_description() -> None:
    assert reference("ClaimPaid payer P trace T1 claim C1") == ("T1", "C1")
    assert reference("ProviderLevelAdjustment payer P trace T1 (late: 2026-01-31 closed)") == (
        "T1", "",
    )  # fmt: skip
    assert reference("manual entry") == ("", "")
