"""Acceptance 1: every corpus message parses, round-trips byte for byte, and reads like
python-hl7 (the oracle, used only here).

Systematic differences with python-hl7, normalised below rather than hidden:

* python-hl7 splits segments on CR only; the oracle is fed the text with LF and CRLF turned into
  CR (careweave keeps each message's own separators, see the round-trip test).
* python-hl7 cannot address a segment that has no field separator after its id (a bare ``PD1``
  finds nothing, as it compares the id's first character), and misreads MSH-2 when MSH ends
  right after it. The oracle is fed such segments with one field separator appended, which adds
  an empty field and changes no value.
* python-hl7 turns formatting escapes into characters (``\\.br\\`` to CR, ``\\H\\``/``\\N\\`` to
  ``_``...); careweave keeps them as written, as the HL7 standard leaves them to the display. The
  comparison applies python-hl7's mapping to careweave's output.
* An escape character with no closing one: python-hl7 drops the rest of the value, careweave keeps
  it as literal text. Values with an odd number of escape characters compare the prefix.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hl7
import pytest

from careweave.codecs.hl7v2 import Message, parse_batch, parse_message
from careweave.exceptions import Hl7ParseError
from tests.conftest import corpus_path
from tests.unit.hl7v2.corpus import NOT_MESSAGES, hl7_files, is_batch, parseable_names, relative

COMMON_PATHS = (
    "MSH-3",
    "MSH-4",
    "MSH-5",
    "MSH-6",
    "MSH-7",
    "MSH-9",
    "MSH-10",
    "MSH-11",
    "MSH-12",
    "MSH-18",
    "EVN-1",
    "EVN-2",
    "PID-2",
    "PID-3",
    "PID-5",
    "PID-7",
    "PID-8",
    "PID-11",
    "PID-13",
    "PID-18",
    "PV1-2",
    "PV1-3",
    "PV1-7",
    "PV1-10",
    "PV1-19",
    "PV1-44",
    "IN1-2",
    "DG1-3",
    "FT1-4",
    "FT1-7",
    "ORC-1",
    "ORC-2",
    "OBR-2",
    "OBR-4",
    "OBR-7",
    "OBX-2",
    "OBX-3",
    "OBX-5",
    "OBX-11",
)

_FORMATTING = {
    "H": "_",
    "N": "_",
    ".br": "\r",
    ".sp": "\r",
    ".fi": "",
    ".nf": "",
    ".in": "    ",
    ".ti": "    ",
    ".sk": " ",
    ".ce": "\r",
}


def _messages(path: Path) -> list[Message]:
    data = path.read_bytes()
    return parse_batch(data) if is_batch(data) else [parse_message(data)]


def _oracle_text(message: Message) -> str:
    # python-hl7 only knows CR as the segment separator, and needs a separator after a bare id.
    fs = message.delimiters.field
    bare = {"MSH"}
    return "\r".join(
        seg.raw + fs if len(seg) <= (3 if seg.id in bare else 1) else seg.raw for seg in message
    )


def _as_python_hl7(ours: str, raw: str, esc: str) -> str:
    """careweave's decoded value, with python-hl7's treatment of what it handles differently."""
    if not esc or esc not in raw:
        return ours
    if raw.count(esc) % 2:
        # Unterminated escape: python-hl7 keeps only what comes before it.
        return ours[: ours.rfind(esc)] if esc in ours else ours
    pattern = re.escape(esc) + r"(H|N|\.br|\.sp|\.fi|\.nf|\.in|\.ti|\.sk|\.ce)" + re.escape(esc)
    return re.sub(pattern, lambda m: _FORMATTING[m.group(1)], ours)


def _leaf_paths(field: object) -> list[tuple[int, int, int]]:
    """(repetition, component, subcomponent) of every leaf python-hl7 sees in ``field``."""
    out: list[tuple[int, int, int]] = []
    if isinstance(field, str):
        return [(1, 1, 1)]
    assert isinstance(field, list)
    for r, rep in enumerate(field, start=1):
        if isinstance(rep, str):
            out.append((r, 1, 1))
            continue
        for c, comp in enumerate(rep, start=1):
            if isinstance(comp, str):
                out.append((r, c, 1))
                continue
            out.extend((r, c, s) for s in range(1, len(comp) + 1))
    return out


def _compare_field(message: Message, theirs: Any, sid: str, index: int, n: int) -> None:
    """Compare field ``n`` of the ``index``-th ``sid`` segment with python-hl7's segment."""
    ours = message.segments(sid)[index - 1]
    path = f"{sid}[{index}]-{n}"
    their_raw = str(theirs[n]) if n < len(theirs) else ""
    assert ours.field(n) == their_raw, path
    if n >= len(theirs):
        assert message.get(path) == "", path
        return
    esc = message.delimiters.escape
    for r, c, s in _leaf_paths(theirs[n]):
        leaf = f"{path}[{r}].{c}.{s}"
        expected = theirs.extract_field(index, n, r, c, s)
        if sid == "MSH" and n <= 2:
            assert message.get(f"{sid}-{n}") == expected, leaf
        else:
            raw = message.get_raw(leaf)
            assert _as_python_hl7(message.get(leaf), raw, esc) == expected, leaf


@pytest.mark.parametrize("name", parseable_names())
def test_corpus_message_parses_and_round_trips(name: str) -> None:
    path = corpus_path("hl7v2", name)
    data = path.read_bytes()
    messages = _messages(path)
    assert messages
    if not is_batch(data):
        (message,) = messages
        assert message.encode() == data
        # Reading every field splits every segment; the bytes must still come back unchanged.
        for seg in message:
            seg.fields()
        assert message.encode() == data
    for message in messages:
        assert message.header.field_separator == message.delimiters.field
        assert next(iter(message)).id == "MSH"


@pytest.mark.parametrize("name", parseable_names())
def test_corpus_reads_like_python_hl7(name: str) -> None:
    for message in _messages(corpus_path("hl7v2", name)):
        oracle = hl7.parse(_oracle_text(message))
        theirs: dict[str, list[Any]] = {}
        for their_seg in oracle:
            theirs.setdefault(str(their_seg[0][0]), []).append(their_seg)
        checked = 0
        for common in COMMON_PATHS:
            sid, _, number = common.partition("-")
            if sid not in theirs:
                assert message.segment(sid) is None, common
                assert message.get(common) == ""
            else:
                _compare_field(message, theirs[sid][0], sid, 1, int(number))
            checked += 1
        assert checked >= 20
        # Then every field of every segment.
        assert [seg.id for seg in message] == [str(s[0][0]) for s in oracle]
        for sid, segments in theirs.items():
            for index, their_seg in enumerate(segments, start=1):
                ours = message.segments(sid)[index - 1]
                for n in range(1, max(len(ours), len(their_seg))):
                    _compare_field(message, their_seg, sid, index, n)


@pytest.mark.parametrize("name", sorted(NOT_MESSAGES))
def test_corpus_non_messages_fail_clearly(name: str) -> None:
    data = corpus_path("hl7v2", name).read_bytes()
    with pytest.raises(Hl7ParseError, match=re.escape(NOT_MESSAGES[name])) as caught:
        parse_message(data)
    assert caught.value.location
    assert caught.value.hl7_code in {"100", "101", "102"}


def test_corpus_batch_splits_into_messages() -> None:
    batches = [p for p in hl7_files() if is_batch(p.read_bytes())]
    assert batches, "the corpus has a FHS/BHS batch"
    for path in batches:
        text = path.read_bytes()
        messages = parse_batch(text)
        assert len(messages) == text.count(b"MSH|")
        for message in messages:
            assert message.header.control_id
            assert b"FHS" not in message.encode()
            assert b"BTS" not in message.encode()


def test_corpus_covers_the_three_collections() -> None:
    files = hl7_files()
    assert len(files) > 300
    assert {relative(p).split("/")[0] for p in files} == {
        "ms-fhir-converter",
        "cdc-trusted-intermediary",
        "python-package-tests",
    }
