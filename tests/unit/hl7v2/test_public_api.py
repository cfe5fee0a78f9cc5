"""The public surface of careweave.codecs.hl7v2, pinned: others code against it."""

from __future__ import annotations

import inspect

import careweave.codecs.hl7v2 as hl7v2


def test_public_names() -> None:
    assert set(hl7v2.__all__) == {
        "DEFAULT_DELIMITERS",
        "AckCode",
        "Delimiters",
        "Hl7Path",
        "Message",
        "MessageBuilder",
        "MessageHeader",
        "Segment",
        "build_ack",
        "escape",
        "field_name",
        "is_enhanced_mode",
        "parse_batch",
        "parse_header",
        "parse_message",
        "parse_path",
        "unescape",
    }
    for name in hl7v2.__all__:
        assert getattr(hl7v2, name) is not None


def test_contract_signatures() -> None:
    assert str(inspect.signature(hl7v2.parse_message)) == (
        "(raw: 'bytes | str', *, charset: 'str | None' = None) -> 'Message'"
    )
    assert list(inspect.signature(hl7v2.build_ack).parameters) == [
        "header",
        "code",
        "text",
        "error_code",
        "error_location",
        "now",
        "control_id",
    ]
    for name in ("get", "get_raw", "get_all", "segments", "segment", "encode", "__iter__"):
        assert callable(getattr(hl7v2.Message, name))
    for name in ("get", "get_raw", "fields"):
        assert callable(getattr(hl7v2.Segment, name))
    assert hl7v2.field_name("PID", 5) == "Patient Name"
    assert hl7v2.field_name("FT1", 7) == "Transaction Code"
    assert hl7v2.field_name("ZXX", 3) == "Z-segment field 3"
    assert hl7v2.field_name("QRD", 2) == "QRD-2"
