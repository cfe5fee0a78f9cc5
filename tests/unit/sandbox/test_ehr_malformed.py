from collections import Counter

import hl7
import pytest

from careweave.codecs.hl7v2 import parse_header, parse_message
from careweave.exceptions import Hl7ParseError
from careweave.sandbox.ehr import EhrScenarioConfig, MalformedKind, generate_scenario


@pytest.fixture(scope="module")
def scenario():
    return generate_scenario(
        EhrScenarioConfig(seed=21, days=1, encounters_per_day=60, malformed_rate=0.1)
    )


def _python_hl7_rejects(raw: bytes) -> bool:
    try:
        hl7.parse(raw.decode("utf-8").replace("\n", "\r"))
    except (hl7.ParseException, UnicodeDecodeError, IndexError, ValueError):
        return True
    return False


def _project_rejects(raw: bytes) -> bool:
    try:
        parse_message(raw)
        parse_header(raw)
    except Hl7ParseError:
        return True
    return False


def test_malformed_rate_and_every_kind_present(scenario):
    bad = [m for m in scenario.messages if m.malformed]
    assert len(bad) / len(scenario.messages) == pytest.approx(0.1, abs=0.01)
    assert set(Counter(m.malformed for m in bad)) == set(MalformedKind)
    assert [m.sequence for m in scenario.messages] == list(range(len(scenario.messages)))


def test_every_malformed_message_is_really_rejected(scenario):
    for message in (m for m in scenario.messages if m.malformed):
        assert not message.should_ack
        assert _python_hl7_rejects(message.raw) or _project_rejects(message.raw), message


@pytest.mark.parametrize(
    ("kind", "location"),
    [
        (MalformedKind.BAD_MSH, "MSH"),
        (MalformedKind.MISSING_CONTROL_ID, "MSH-10"),
        (MalformedKind.TRUNCATED, "MSH-9"),
        (MalformedKind.WRONG_DELIMITERS, "MSH-2"),
        (MalformedKind.NON_HL7, "MSH"),
    ],
)
def test_header_defects_are_named_by_the_project_header_reader(scenario, kind, location):
    damaged = [m for m in scenario.messages if m.malformed is kind]
    assert damaged
    for message in damaged:
        with pytest.raises(Hl7ParseError) as caught:
            parse_header(message.raw)
        assert caught.value.location == location


def test_invalid_encoding_declares_utf8_but_is_not(scenario):
    damaged = [m for m in scenario.messages if m.malformed is MalformedKind.INVALID_ENCODING]
    assert damaged
    for message in damaged:
        assert parse_header(message.raw).character_set == "UNICODE UTF-8"
        with pytest.raises(UnicodeDecodeError):
            message.raw.decode("utf-8")
        assert _python_hl7_rejects(message.raw)
        assert message.control_id  # a fresh MSH-10: never a duplicate of the good original


def test_well_formed_messages_pass_both_oracles(scenario):
    for message in scenario.well_formed()[:200]:
        assert not _project_rejects(message.raw)
