"""999 generation for the corpus 837s, and 999 / 277CA parsing with link-back keys."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from careweave.codecs.x12.ack_writer import write_999
from careweave.codecs.x12.control import InMemoryControlNumbers
from careweave.codecs.x12.document import read_document
from careweave.codecs.x12.emitter import EnvelopeConfig
from careweave.codecs.x12.responses import parse_277, parse_999
from careweave.codecs.x12.validation import ValidationReport, validate_interchange
from tests.conftest import corpus_path
from tests.unit.x12.pyx12_oracle import pyx12_errors

IMSWEB = ("x12", "imsweb-x12-parser", "837_5010")


def _report(name: str) -> ValidationReport:
    return validate_interchange(corpus_path(*IMSWEB, name).read_bytes())


def _ik3(report: ValidationReport) -> set[tuple[str, int, str]]:
    return {
        (i.segment_id, i.position, i.code)
        for g in report.groups for t in g.transactions for i in t.issues
    }  # fmt: skip


def _ik4(report: ValidationReport) -> set[tuple[str, int, str]]:
    return {
        (i.segment_id, e.index, e.code)
        for g in report.groups for t in g.transactions for i in t.issues for e in i.elements
    }  # fmt: skip


# Every imsweb sample carries SE01 = 25 whatever its real length: IK5 code 4 is always there.
BROKEN = {
    "x12_bad_segment_identifier.txt": {("", 4, "1"), ("Nd4", 9, "1"), ("NM31", 18, "1")},
    "x12_segments_out_of_order.txt": {("N4", 10, "2"), ("N3", 15, "2")},
    "x12_segment_errors.txt": {("REF", 10, "5"), ("N3", 12, "3"), ("HI", 23, "3")},
    "x12_loop_errors1_exceeds_max_1_parent.txt": {("NM1", 13, "4")},
    "x12_loop_errors2_exceeds_max_repeats_multiple_parents.txt": {("NM1", 32, "4")},
    "x12_loop_errors3_missing_loops.txt": {("NM1", 19, "3")},
    "x12_missing_required_loop_in_one_repeat.txt": {("NM1", 24, "3")},
    "x12_missing_required_loops_mult_repeats.txt": {("SV1", 31, "2"), ("LX", 33, "3")},
    "x12_bad_valid_code.txt": {("NM1", 7, "8")},
    "x12_missing_elements.txt": {("NM1", 5, "8"), ("CLM", 29, "8")},
}


@pytest.mark.parametrize(("name", "expected"), sorted(BROKEN.items()))
def test_broken_samples_are_rejected_with_the_matching_ik3(
    name: str, expected: set[tuple[str, int, str]]
) -> None:
    report = _report(name)
    assert not report.accepted
    assert expected <= _ik3(report)
    (group,) = report.groups
    assert group.status == "R"
    assert {"4", "5"} <= set(group.transactions[0].codes)


def test_bad_code_and_missing_elements_carry_ik4() -> None:
    assert ("NM1", 1, "7") in _ik4(_report("x12_bad_valid_code.txt"))
    assert {("NM1", 2, "1"), ("CLM", 5, "1")} <= _ik4(_report("x12_missing_elements.txt"))


def test_short_isa_element_is_an_interchange_rejection() -> None:
    report = _report("x12_bad_first_line.txt")
    assert report.ta1_note == "011"
    assert not report.accepted


def test_missing_isa_is_answered_not_raised() -> None:
    report = _report("x12_no_isa_line.txt")
    assert report.ta1_note == "022"
    assert "must start with an ISA" in report.problems[0]
    text = write_999(report, EnvelopeConfig("CW", "SENDER"), InMemoryControlNumbers(),
                     datetime(2025, 3, 1, tzinfo=UTC))  # fmt: skip
    assert "TA1*000000000*" in text


def test_wrong_counts_only_in_otherwise_valid_samples() -> None:
    for name in ("x12_valid.txt", "x12_no_errors.txt", "x12_valid_different_separators.txt",
                 "x12_many_claims.txt", "x12_writer_test.txt", "x12_ambiguous_loop.txt"):  # fmt: skip
        report = _report(name)
        assert _ik3(report) == set(), name
        assert [t.codes for g in report.groups for t in g.transactions] == [["4"]], name


VALID_837 = [
    *(("linuxforhealth-x12", "837_005010X222A2", n) for n in (
        "demo.ambulance.example5.837", "demo.cob.2ndary.example4.837", "demo.cob.example3.B.837",
        "demo.drug.example10.2.837", "demo.example1.837", "demo.example12.837",
        "demo.example6.837", "demo.example8.837")),
    ("linuxforhealth-x12", "837_005010X223A3", "institutional-claim.837i"),
    ("linuxforhealth-x12", "837_005010X223A3", "ppo-repriced-claim.837i"),
    ("hccinfhir", "sample_837_0.txt"),
]  # fmt: skip


@pytest.mark.parametrize("parts", VALID_837, ids=lambda p: p[-1])
def test_valid_corpus_837_gets_an_accepting_999(parts: tuple[str, ...]) -> None:
    report = validate_interchange(corpus_path("x12", *parts).read_bytes())
    assert report.problems == []
    text = write_999(report, EnvelopeConfig("CW", "SENDER"), InMemoryControlNumbers(),
                     datetime(2025, 3, 1, tzinfo=UTC))  # fmt: skip
    (ack,) = parse_999(text)
    assert ack.status == "A"
    assert all(t.status == "A" for t in ack.transactions)


def test_a_4010_qualifier_in_a_5010_claim_is_reported() -> None:
    # demo.cob.example4 sends AMT*F2 in loop 2320, a 4010 qualifier that 5010 dropped.
    path = corpus_path("x12", "linuxforhealth-x12", "837_005010X222A2", "demo.cob.example4.837")
    report = validate_interchange(path.read_bytes())
    assert ("AMT", 1, "7") in _ik4(report)


def test_every_corpus_x12_file_parses_or_fails_cleanly() -> None:
    root = corpus_path("x12")
    files = [p for p in root.rglob("*") if p.is_file() and p.name != "LICENSE"]
    assert len(files) > 80
    for path in files:
        report = validate_interchange(path.read_bytes())  # never raises
        if report.ta1_note == "022":
            assert path.name == "x12_no_isa_line.txt"
            continue
        document = read_document(path.read_bytes())
        assert document.transactions, path


def test_generated_999_validates_with_pyx12(tmp_path: Path) -> None:
    report = _report("x12_bad_segment_identifier.txt")
    text = write_999(report, EnvelopeConfig("CW", "SENDER"), InMemoryControlNumbers(),
                     datetime(2025, 3, 1, tzinfo=UTC))  # fmt: skip
    path = tmp_path / "ack.999"
    path.write_text(text)
    assert pyx12_errors(path) == []
    (ack,) = parse_999(text)
    assert ack.status == "R"
    (response,) = ack.transactions
    assert response.link_key == "1/987654"
    assert {(e.segment_id, e.code) for e in response.errors} >= {("Nd4", "1"), ("NM3", "1")}


def test_corpus_999_link_back_to_the_837() -> None:
    (rejected,) = parse_999(corpus_path(*IMSWEB, "x12_999_rejected.txt").read_bytes())
    assert (rejected.functional_id, rejected.status) == ("HC", "R")
    (response,) = rejected.transactions
    assert response.link_key == "28/0028"
    assert response.codes == ["5"]
    assert [(e.segment_id, e.position, e.code) for e in response.errors] == [("NM", 17, "1")]
    (accepted,) = parse_999(corpus_path(*IMSWEB, "x12_999_accepted.txt").read_bytes())
    assert accepted.status == "A" and accepted.accepted == 1


def test_277ca_claim_statuses() -> None:
    (rejected,) = parse_277(corpus_path("x12", "imsweb-x12-parser", "277_5010",
                                        "x12_277CA_rejected.txt").read_bytes())  # fmt: skip
    (claim,) = rejected.claims()
    assert claim.link_key == "3920394930203"
    assert claim.payer_claim_id == "1107000000001120"
    (status,) = claim.statuses
    assert (status.category, status.code, status.entity) == ("A7", "562", "85")
    (accepted,) = parse_277(corpus_path("x12", "imsweb-x12-parser", "277_5010",
                                        "x12_277CA_accepted.txt").read_bytes())  # fmt: skip
    assert [s.category for s in accepted.claims()[0].statuses] == ["A2"]
