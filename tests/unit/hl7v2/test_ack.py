"""Acceptance 3: acknowledgements, read back with careweave's own parser."""

from __future__ import annotations

import datetime as dt

import pytest

from careweave.codecs.hl7v2 import AckCode, build_ack, is_enhanced_mode, parse_header, parse_message

NOW = dt.datetime(2024, 3, 1, 12, 30, 45, tzinfo=dt.UTC)
ORIGINAL = (
    b"MSH|^~\\&|LABAPP|LABFAC|EHR|HOSP|20240301122959||ORU^R01^ORU_R01|CTRL-77|P|2.5.1\r"
    b"PID|1||123^^^MRN\r"
)
ENHANCED = ORIGINAL.replace(b"|P|2.5.1\r", b"|P|2.5.1|||AL|NE\r")


def _ack(raw: bytes, code: AckCode, **kwargs: str):
    header = parse_header(raw)
    return parse_message(build_ack(header, code, now=NOW, control_id="ACK1", **kwargs))


@pytest.mark.parametrize("code", [AckCode.ACCEPT, AckCode.ERROR, AckCode.REJECT])
def test_original_mode_codes_and_header(code: AckCode) -> None:
    ack = _ack(ORIGINAL, code, text="see ERR", error_code="101", error_location="PID-3")
    assert ack.get("MSA-1") == code.value
    assert ack.get("MSA-2") == "CTRL-77"
    # Sender and receiver swapped.
    assert ack.get("MSH-3") == "EHR"
    assert ack.get("MSH-4") == "HOSP"
    assert ack.get("MSH-5") == "LABAPP"
    assert ack.get("MSH-6") == "LABFAC"
    assert ack.get("MSH-7") == "20240301123045"
    assert ack.get("MSH-9") == "ACK^R01^ACK"
    assert ack.get("MSH-10") == "ACK1"
    assert ack.get("MSH-12") == "2.5.1"
    if code is AckCode.ACCEPT:
        assert ack.segment("ERR") is None
    else:
        assert ack.get("ERR-3.1") == "101"
        assert ack.get("ERR-3.2") == "Required field missing"
        assert ack.get("ERR-3.3") == "HL70357"
        assert ack.get("ERR-2") == "PID^1^3"
        assert ack.get("ERR-4") == "E"
        assert ack.get("ERR-8") == "see ERR"


@pytest.mark.parametrize(
    ("asked", "sent"),
    [
        (AckCode.ACCEPT, AckCode.COMMIT_ACCEPT),
        (AckCode.ERROR, AckCode.COMMIT_ERROR),
        (AckCode.REJECT, AckCode.COMMIT_REJECT),
    ],
)
def test_enhanced_mode_turns_codes_into_commit_codes(asked: AckCode, sent: AckCode) -> None:
    assert is_enhanced_mode(parse_header(ENHANCED))
    assert not is_enhanced_mode(parse_header(ORIGINAL))
    ack = _ack(ENHANCED, asked, error_code="207")
    assert ack.get("MSA-1") == sent.value
    assert ack.get("MSA-2") == "CTRL-77"
    assert (ack.segment("ERR") is None) == (sent is AckCode.COMMIT_ACCEPT)


def test_default_error_code_is_207() -> None:
    ack = _ack(ORIGINAL, AckCode.ERROR, text="boom")
    assert ack.get("ERR-3.1") == "207"
    assert ack.get("ERR-3.2") == "Application internal error"


def test_text_is_escaped_with_the_message_delimiters() -> None:
    text = "bad | value ^ with ~ all & kinds \\ of\rdelimiters"
    ack = _ack(ORIGINAL, AckCode.ERROR, text=text, error_code="102")
    assert ack.get("MSA-3") == text.replace("\r", " ")
    assert ack.get("ERR-8") == text.replace("\r", " ")
    assert "\\F\\" in ack.get_raw("MSA-3")
    assert len(list(ack)) == 3


def test_non_standard_delimiters_are_honoured() -> None:
    raw = b"MSH*%@#!*APP*FAC*EHR*HOSP*2024**ADT%A08*X1*P*2.5.1\rPID*1\r"
    ack_bytes = build_ack(
        parse_header(raw),
        AckCode.ERROR,
        text="a*b%c",
        error_code="103",
        error_location="PID[2]-5.1",
        now=NOW,
        control_id="K9",
    )
    assert ack_bytes.startswith(b"MSH*%@#!*EHR*HOSP*APP*FAC*20240301123045**ACK%A08%ACK*K9*P*")
    ack = parse_message(ack_bytes)
    assert ack.get("MSA-2") == "X1"
    assert ack.get("MSA-3") == "a*b%c"
    assert ack.get_raw("MSA-3") == "a#F#b#S#c"
    assert ack.get("ERR-2") == "PID%2%5"
    assert ack.get("ERR-3.1") == "103"


def test_versions_before_2_5_use_err_1() -> None:
    raw = ORIGINAL.replace(b"|P|2.5.1", b"|P|2.3")
    ack = _ack(raw, AckCode.REJECT, error_code="101", error_location="PID-3")
    assert ack.get("ERR-1.1") == "PID"
    assert ack.get("ERR-1.2") == "1"
    assert ack.get("ERR-1.3") == "3"
    assert ack.get("ERR-1.4.1") == "101"
    assert ack.get("ERR-1.4.3") == "HL70357"
    assert ack.get("ERR-3") == ""


def test_ack_without_a_readable_header() -> None:
    ack = parse_message(build_ack(None, AckCode.REJECT, text="no MSH", now=NOW, control_id="Z"))
    assert ack.get("MSA-1") == "AR"
    assert ack.get("MSA-2") == ""
    assert ack.get("ERR-3.1") == "207"
    assert ack.get("MSH-9") == "ACK"
