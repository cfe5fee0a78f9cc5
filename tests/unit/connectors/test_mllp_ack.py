"""ack_code() and the public surface of careweave.connectors.mllp."""

from __future__ import annotations

import pytest

import careweave.connectors.mllp as mllp
from careweave.codecs.hl7v2.ack import AckCode, build_ack
from careweave.codecs.hl7v2.header import parse_header
from careweave.connectors.mllp import ack_code
from careweave.exceptions import Hl7ParseError

MSG = b"MSH|^~\\&|EHR|GEN|CW|CW|20250101120000||ADT^A01|MSG0001|P|2.5.1\rPID|1||12345\r"
ENHANCED = b"MSH|^~\\&|EHR|GEN|CW|CW|20250101120000||ADT^A01|MSG0002|P|2.5.1|||AL|NE\r"


@pytest.mark.parametrize("code", [AckCode.ACCEPT, AckCode.ERROR, AckCode.REJECT])
def test_reads_msa1_of_original_mode_acks(code):
    assert ack_code(build_ack(parse_header(MSG), code, text="x")) == code.value


@pytest.mark.parametrize(
    ("code", "expected"), [(AckCode.ACCEPT, "CA"), (AckCode.ERROR, "CE"), (AckCode.REJECT, "CR")]
)
def test_reads_msa1_of_enhanced_mode_acks(code, expected):
    assert ack_code(build_ack(parse_header(ENHANCED), code)) == expected


def test_reads_ack_with_newline_separators_and_other_field_separator():
    ack = b"MSH#^~\\&#CW#CW#EHR#GEN#20250101##ACK#1#P#2.5.1\nMSA#AE#MSG0001#bad\nERR#\n"
    assert ack_code(ack) == "AE"


def test_reads_bare_msa_segment():
    assert ack_code(b"MSA|AA|X1") == "AA"


def test_does_not_mistake_a_field_value_for_msa():
    ack = b"MSH|^~\\&|MSA|CW|EHR|GEN|20250101||ACK|1|P|2.5.1\rMSA|AR|X1\r"
    assert ack_code(ack) == "AR"


@pytest.mark.parametrize("bad", [b"", b"MSH|^~\\&|CW\r", b"MSH|^~\\&|CW\rMSA||X1\r", b"MSA"])
def test_missing_or_empty_msa1_is_a_parse_error(bad):
    with pytest.raises(Hl7ParseError) as info:
        ack_code(bad)
    assert info.value.location in {"MSA", "MSA-1"}


def test_public_surface():
    assert sorted(mllp.__all__) == [
        "FrameReader",
        "FramingProblem",
        "MllpClient",
        "MllpFragmentHandler",
        "MllpHandler",
        "MllpListener",
        "MllpListenerConfig",
        "MllpListenerStats",
        "PeerInfo",
        "ProblemKind",
        "ack_code",
        "frame",
    ]
    for name in mllp.__all__:
        assert getattr(mllp, name) is not None


def test_listener_config_defaults_match_the_issue():
    config = mllp.MllpListenerConfig()
    assert (config.host, config.port, config.max_frame_bytes) == ("127.0.0.1", 2575, 1_048_576)
    assert (config.read_timeout, config.idle_timeout, config.max_connections) == (30.0, 300.0, 256)
