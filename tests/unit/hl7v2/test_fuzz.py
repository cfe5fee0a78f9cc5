"""Acceptance 2: property tests. Generated messages round-trip; mutated corpus messages either
parse (and then read and encode without error) or fail with Hl7ParseError, never anything else.

The four mutation tests together run 10,000 examples.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careweave.codecs.hl7v2 import Message, MessageBuilder, parse_batch, parse_message
from careweave.exceptions import Hl7ParseError
from tests.unit.hl7v2.corpus import NOT_MESSAGES, hl7_files, is_batch, relative

FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
DELIMITER_BYTES = [b"|", b"^", b"~", b"\\", b"&", b"\r", b"\n", b"\r\n", b"\xef\xbb\xbf", b"\x00"]
PATHS = ["MSH-9.1", "MSH-10", "PID-3[2].1", "PID-5.1.2", "OBX[2]-5", "PV1-3.4", "ZZZ-1"]


@pytest.fixture(scope="module")
def samples() -> list[bytes]:
    """Corpus messages (single messages, not the deliberate non-messages), largest excluded."""
    out = []
    for path in hl7_files():
        data = path.read_bytes()
        if relative(path) not in NOT_MESSAGES and not is_batch(data) and len(data) < 12_000:
            out.append(data)
    assert len(out) > 250
    return out


def _exercise(data: bytes) -> None:
    """Parse ``data``; when it parses, read it every way and check it encodes back exactly."""
    try:
        msg = parse_message(data)
    except Hl7ParseError as exc:
        assert exc.location
        assert str(exc)
        return
    _read_everything(msg)
    assert msg.encode() == data


def _read_everything(msg: Message) -> None:
    assert msg.header.field_separator == msg.delimiters.field
    for seg in msg:
        fields = seg.fields()
        assert fields[0] == seg.id
        for n in range(1, min(len(fields), 8)):
            seg.get(f"{n}.1.1")
            seg.get(f"{n}[2]")
    for path in PATHS:
        msg.get(path)
        msg.get_raw(path)
        msg.get_all(path)


_POSITIONS = st.integers(0, 2**31)


@settings(FUZZ, max_examples=3000)
@given(
    pick=_POSITIONS,
    flips=st.lists(st.tuples(_POSITIONS, st.integers(0, 255)), min_size=1, max_size=8),
)
def test_byte_flips(samples: list[bytes], pick: int, flips: list[tuple[int, int]]) -> None:
    raw = bytearray(samples[pick % len(samples)])
    for pos, value in flips:
        raw[pos % len(raw)] = value
    _exercise(bytes(raw))


@settings(FUZZ, max_examples=2000)
@given(pick=_POSITIONS, start=_POSITIONS, end=_POSITIONS)
def test_truncation(samples: list[bytes], pick: int, start: int, end: int) -> None:
    raw = samples[pick % len(samples)]
    start %= min(len(raw), 40) + 1
    end = start + end % (len(raw) - start + 1)
    # Cut the tail, and sometimes the head (which loses the MSH).
    _exercise(raw[:end] if start % 3 else raw[start:end])


@settings(FUZZ, max_examples=3000)
@given(
    pick=_POSITIONS,
    inserts=st.lists(
        st.tuples(_POSITIONS, st.sampled_from(DELIMITER_BYTES)), min_size=1, max_size=6
    ),
)
def test_delimiter_injection(
    samples: list[bytes], pick: int, inserts: list[tuple[int, bytes]]
) -> None:
    raw = samples[pick % len(samples)]
    for pos, chunk in inserts:
        at = pos % (len(raw) + 1)
        raw = raw[:at] + chunk + raw[at:]
    _exercise(raw)


@settings(FUZZ, max_examples=2000)
@given(junk=st.binary(max_size=200), mode=st.integers(0, 2), pick=_POSITIONS, pos=_POSITIONS)
def test_random_junk(samples: list[bytes], junk: bytes, mode: int, pick: int, pos: int) -> None:
    if mode == 0:
        _exercise(junk)
    elif mode == 1:
        _exercise(b"MSH" + junk)
    else:
        raw = samples[pick % len(samples)]
        at = pos % (len(raw) + 1)
        _exercise(raw[:at] + junk + raw[at:])
    try:
        for msg in parse_batch(junk):
            _read_everything(msg)
    except Hl7ParseError:
        pass


_TEXT = st.text(st.characters(codec="utf-8"), max_size=20)
_SEG_IDS = st.sampled_from(["PID", "PV1", "OBX", "NTE", "ZPD", "FT1"])


@settings(max_examples=300, deadline=None)
@given(
    writes=st.lists(
        st.tuples(
            _SEG_IDS,
            st.integers(1, 3),
            st.integers(1, 12),
            st.integers(1, 3),
            st.integers(1, 4),
            st.integers(1, 3),
            _TEXT,
        ),
        max_size=12,
    )
)
def test_built_messages_read_back_what_was_set(
    writes: list[tuple[str, int, int, int, int, int, str]],
) -> None:
    builder = MessageBuilder("ADT^A01", control_id="P1", sending_application="a|b^c")
    expected: dict[str, str] = {}
    for sid, index, field, rep, comp, sub, value in writes:
        path = f"{sid}[{index}]-{field}[{rep}].{comp}.{sub}"
        builder.set(path, value)
        # Every path names one leaf and values are escaped, so writes never disturb each other.
        expected[path] = value
    msg = parse_message(builder.encode())
    assert msg.get("MSH-3") == "a|b^c"
    for path, value in expected.items():
        # Line breaks are written as \.br\ (a raw one would end the segment) and stay so.
        assert msg.get(path) == value.replace("\r\n", "\n").replace("\r", "\n").replace(
            "\n", "\\.br\\"
        ), path
    assert msg.encode() == builder.encode()


@settings(max_examples=300, deadline=None)
@given(
    segments=st.lists(
        st.tuples(
            # MSH, BHS and FHS carry the field separator as their first field (BHS-1 is "|"), so
            # their fields do not split like other segments'; test_parser covers them.
            st.from_regex(r"[A-Z][A-Z0-9]{2}", fullmatch=True).filter(
                lambda s: s not in {"MSH", "BHS", "FHS"}
            ),
            st.lists(
                st.text(st.characters(codec="utf-8", exclude_characters="|\r\n"), max_size=12),
                max_size=6,
            ),
        ),
        max_size=8,
    ),
    separator=st.sampled_from(["\r", "\n", "\r\n"]),
    trailing=st.booleans(),
)
def test_generated_raw_messages_round_trip(
    segments: list[tuple[str, list[str]]], separator: str, trailing: bool
) -> None:
    lines = ["MSH|^~\\&|APP|FAC|||20240101||ADT^A01|1|P|2.5"]
    lines += ["|".join([sid, *fields]).rstrip() or sid for sid, fields in segments]
    text = separator.join(lines) + (separator if trailing else "")
    msg = parse_message(text.encode())
    assert msg.encode() == text.encode()
    ids = [seg.id for seg in msg]
    assert ids == ["MSH", *(sid for sid, _ in segments)]
    for seg, line in zip(list(msg)[1:], lines[1:], strict=True):
        assert seg.fields() == line.split("|")
