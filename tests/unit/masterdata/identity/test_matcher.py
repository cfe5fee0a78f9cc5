"""The matcher end to end on small hand-made files: rules, guards, review queue, explanations."""

from __future__ import annotations

from careweave.masterdata.identity import Decision, MatchPolicy, PatientMatcher, PatientRecord
from careweave.model.identity import AdministrativeSex, Identifier, PatientIdentity, PersonName

BASE = {"city": "Appleton", "postcode": "54911"}


def rec(
    record_id: str, given: str, family: str, birth: str, sex: str, **more: str
) -> PatientRecord:
    fields = {"id": record_id, "given": given, "family": family, "birth_date": birth, "sex": sex}
    return PatientRecord.from_row({**fields, **BASE, **more})


def crowd() -> list[PatientRecord]:
    """Unrelated people, so the estimates have non-matches to learn from."""
    names = [("Anna", "Berg"), ("Carl", "Dunn"), ("Erin", "Frost"), ("Gary", "Hale"),
             ("Ivy", "Jones"), ("Karl", "Lowe"), ("Mona", "Nash"), ("Omar", "Price"),
             ("Rita", "Stone"), ("Theo", "Vance")]  # fmt: skip
    return [
        rec(
            f"X{n}",
            given,
            family,
            f"19{50 + n}-0{1 + n % 9}-1{n}",
            "MF"[n % 2],
            address=f"{100 + n} Pine St",
            phone=f"920555{1000 + n}",
        )
        for n, (given, family) in enumerate(names)
    ]


def decisions(records: list[PatientRecord], **policy: object) -> dict[tuple[str, str], str]:
    result = PatientMatcher(MatchPolicy(**policy)).match(records)  # type: ignore[arg-type]
    return {(p.a, p.b): f"{p.decision.value}:{p.reason}" for p in result.pairs}


def test_the_same_full_ssn_birth_date_and_sex_link_without_scoring() -> None:
    records = [*crowd(), rec("A", "Robert", "Johnson", "1960-11-02", "M", ssn="222-33-4444"),
               rec("B", "Bob", "Jonson", "19601102", "M", ssn="222334444",
                   address="88 Mill Rd", postcode="54935")]  # fmt: skip
    assert decisions(records)[("A", "B")] == "link:same SSN, birth date and sex"


def test_the_same_identifier_from_one_authority_links_and_from_two_does_not() -> None:
    one = [*crowd(), PatientRecord(id="A", given="Ann", identifiers=(("EHR", "M1"),)),
           PatientRecord(id="B", given="Zed", identifiers=(("EHR", "M1"),)),
           PatientRecord(id="C", given="Kim", identifiers=(("ERP", "M1"),))]  # fmt: skip
    found = decisions(one)
    assert found[("A", "B")] == "link:same identifier"
    assert ("A", "C") not in found and ("B", "C") not in found


def test_twins_are_reviewed_never_linked_and_their_duplicates_stay_apart() -> None:
    home = {"address": "77 Lake Dr", "phone": "(920) 555-0177"}
    records = [*crowd(), rec("EMMA", "Emma", "Wilson", "2012-06-30", "F", **home),
               rec("OLIVIA", "Olivia", "Wilson", "2012-06-30", "F", **home),
               rec("NONAME", "", "Wilson", "2012-06-30", "F", **home)]  # fmt: skip
    result = PatientMatcher().match(records)
    by_pair = {(p.a, p.b): p for p in result.pairs}
    assert by_pair["EMMA", "OLIVIA"].decision is Decision.REVIEW
    assert by_pair["EMMA", "OLIVIA"].reason == "guarded: given_name"
    ids = result.cluster_ids()
    assert ids["EMMA"] != ids["OLIVIA"]  # the record without a given name joins one of them
    assert {p.reason for p in result.pairs if p.b == "NONAME"} >= {"conflict"}


def test_a_wrong_sex_box_links_one_name_but_guards_twins_with_close_names() -> None:
    home = {"address": "8327 Dennis Ct", "phone": "2624880836"}
    records = [*crowd(), rec("C1", "Christopher", "Henson", "2015-01-21", "M", **home),
               rec("C2", "Christopher", "Henson", "2015-01-21", "F", **home),
               rec("MARK", "Mark", "Ford", "2012-04-23", "M", address="9 Elm Ave"),
               rec("MARIA", "Maria", "Ford", "2012-04-23", "F", address="9 Elm Ave")]  # fmt: skip
    found = decisions(records)
    assert found[("C1", "C2")] == "link:score"
    assert found[("MARK", "MARIA")] == "review:guarded: sex"


def test_swapped_names_and_a_swapped_day_and_month_still_link() -> None:
    records = [*crowd(), rec("A", "Linh", "Nguyen", "1991-02-05", "F", address="9 Elm Ave",
                             phone="4145550100"),
               rec("B", "NGUYEN", "LINH", "19910502", "F", address="9 ELM AVENUE")]  # fmt: skip
    assert decisions(records)[("A", "B")] == "link:score"


def test_namesakes_with_other_birth_dates_are_no_match() -> None:
    records = [*crowd(), rec("A", "John", "Smith", "1975-04-12", "M", address="12 Oak St"),
               rec("B", "John", "Smith", "1988-10-30", "M", address="4 Birch Ln",
                   postcode="54901")]  # fmt: skip
    assert ("A", "B") not in decisions(records)


def test_without_birth_date_or_ssn_a_strong_pair_is_only_reviewed() -> None:
    home = {"address": "15 Hill St", "phone": "9205550123"}
    records = [*crowd(), rec("A", "James", "Miller", "1990-05-05", "M", **home),
               rec("B", "James", "Miller", "", "M", **home)]  # fmt: skip
    assert decisions(records)[("A", "B")] == "review:no agreement on birth_date or ssn"
    assert decisions(records, link_needs_one_of=())[("A", "B")] == "link:score"


def test_thresholds_move_pairs_between_link_review_and_nothing() -> None:
    records = [*crowd(), rec("A", "Margaret", "OBrien", "1948-03-07", "F", address="400 River Rd"),
               rec("B", "Peggy", "O'Brien", "1948-07-03", "F", address="400 River Road")]  # fmt: skip
    result = PatientMatcher().match(records)
    (pair,) = result.pairs
    assert pair.decision is Decision.LINK
    stricter = decisions(records, link_threshold=min(1.0, pair.score + (1 - pair.score) / 2),
                         review_threshold=0.5)  # fmt: skip
    assert stricter[("A", "B")] == "review:score"
    assert not decisions(records, link_threshold=1.0, review_threshold=1.0)


def test_the_review_queue_puts_the_likeliest_first_and_explains_each_pair() -> None:
    home = {"address": "77 Lake Dr", "phone": "(920) 555-0177"}
    records = [*crowd(), rec("T1", "Emma", "Wilson", "2012-06-30", "F", **home),
               rec("T2", "Olivia", "Wilson", "2012-06-30", "F", **home),
               rec("A", "James", "Miller", "1990-05-05", "M", address="15 Hill St"),
               rec("B", "James", "Miller", "", "M", address="15 Hill St")]  # fmt: skip
    result = PatientMatcher().match(records)
    queue = result.review_queue()
    assert [(p.a, p.b) for p in queue] == sorted(
        [(p.a, p.b) for p in queue],
        key=lambda ab: -next(p.score for p in queue if (p.a, p.b) == ab),
    )
    explained = {w.comparison: (w.level, w.weight) for w in result.explain(queue[0])}
    assert set(explained) == {"given_name", "family_name", "birth_date", "sex", "contact", "ssn"}
    assert explained["ssn"] == ("missing", 0.0)
    twins = next(p for p in queue if p.a == "T1")
    twin_weights = {w.comparison: w for w in result.explain(twins)}
    assert twin_weights["given_name"].level == "different" and twin_weights["given_name"].weight < 0
    assert twin_weights["birth_date"].level == "exact" and twin_weights["birth_date"].weight > 5


def test_a_canonical_patient_identity_becomes_a_record() -> None:
    identity = PatientIdentity(
        identifiers=(Identifier(value="E100", system="EHR", type="MR"),
                     Identifier(value="123-45-6780", type="SS")),
        names=(PersonName(family="Smith", given=("John", "A")),),
        sex=AdministrativeSex.MALE,
    )  # fmt: skip
    record = PatientRecord.from_identity("r1", identity)
    assert (record.given, record.family, record.sex, record.ssn) == ("John", "Smith", "M",
                                                                     "123-45-6780")  # fmt: skip
    assert record.identifiers == (("EHR", "E100"),)
