"""FrameReader and frame(): the pure MLLP decoder, fed the way sockets really deliver bytes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careweave.connectors.mllp import FrameReader, FramingProblem, ProblemKind, frame
from careweave.exceptions import FramingError

MSG = b"MSH|^~\\&|EHR|GEN|CW|CW|20250101120000||ADT^A01|MSG0001|P|2.5.1\rPID|1||12345^^^MRN\r"


def _frames(items: list[bytes | FramingProblem]) -> list[bytes]:
    return [item for item in items if isinstance(item, bytes)]


def _problems(items: list[bytes | FramingProblem]) -> list[FramingProblem]:
    return [item for item in items if isinstance(item, FramingProblem)]


def _feed_all(reader: FrameReader, chunks: list[bytes]) -> list[bytes | FramingProblem]:
    out: list[bytes | FramingProblem] = []
    for chunk in chunks:
        out.extend(reader.feed(chunk))
    return out


def test_frame_wraps_message_in_block_characters():
    assert frame(b"MSH|x") == b"\x0bMSH|x\x1c\r"


@pytest.mark.parametrize("bad", [b"MSH|\x0bx", b"MSH|\x1cx"])
def test_frame_refuses_block_characters_inside_the_message(bad):
    with pytest.raises(FramingError, match="block character"):
        frame(bad)


def test_whole_frame_in_one_chunk():
    reader = FrameReader()
    assert reader.feed(frame(MSG)) == [MSG]
    assert not reader.in_frame


def test_frame_split_at_every_byte_position():
    data = frame(MSG)
    for cut in range(len(data) + 1):
        reader = FrameReader()
        out = _feed_all(reader, [data[:cut], data[cut:]])
        assert out == [MSG], f"split at {cut}"
        assert not reader.in_frame


def test_frame_split_at_every_pair_of_positions():
    data = frame(b"MSH|^~\\&|A|B\rPID|1\r")
    for first in range(len(data) + 1):
        for second in range(first, len(data) + 1):
            reader = FrameReader()
            out = _feed_all(reader, [data[:first], data[first:second], data[second:]])
            assert out == [b"MSH|^~\\&|A|B\rPID|1\r"], (first, second)


def test_frame_fed_one_byte_at_a_time():
    data = frame(MSG) * 3
    reader = FrameReader()
    out = _feed_all(reader, [data[i : i + 1] for i in range(len(data))])
    assert out == [MSG, MSG, MSG]


def test_back_to_back_frames_in_one_chunk_keep_their_order():
    messages = [MSG.replace(b"MSG0001", f"MSG{i:04d}".encode()) for i in range(5)]
    reader = FrameReader()
    assert reader.feed(b"".join(frame(m) for m in messages)) == messages


def test_junk_before_and_between_frames_is_skipped_and_counted():
    reader = FrameReader()
    out = reader.feed(b"GET / HTTP/1.1\r\n" + frame(b"MSH|a") + b"xyz" + frame(b"MSH|b") + b"!!")
    assert _frames(out) == [b"MSH|a", b"MSH|b"]
    problems = _problems(out)
    assert [p.kind for p in problems] == [ProblemKind.JUNK] * 3
    assert [p.size for p in problems] == [16, 3, 2]
    assert problems[0].sample == b"GET / HTTP/1.1\r\n"
    # Order is the stream's: junk, frame, junk, frame, junk.
    assert [type(item) for item in out] == [
        FramingProblem,
        bytes,
        FramingProblem,
        bytes,
        FramingProblem,
    ]


def test_junk_sample_is_bounded():
    (problem,) = _problems(FrameReader().feed(b"z" * 10_000))
    assert problem.size == 10_000
    assert len(problem.sample) == 64


def test_missing_carriage_return_after_end_block_is_tolerated():
    reader = FrameReader()
    out = reader.feed(b"\x0bMSH|a\x1c\x0bMSH|b\x1c\r\x0bMSH|c\x1c")
    assert out == [b"MSH|a", b"MSH|b", b"MSH|c"]
    # The trailing CR of the last frame arrives later: swallowed, not junk.
    assert reader.feed(b"\r\x0bMSH|d\x1c\r") == [b"MSH|d"]


def test_byte_after_end_block_that_is_not_cr_is_read_as_what_follows():
    reader = FrameReader()
    assert reader.feed(b"\x0bMSH|a\x1c") == [b"MSH|a"]
    out = reader.feed(b"\n\x0bMSH|b\x1c\r")
    assert out[1] == b"MSH|b"
    assert isinstance(out[0], FramingProblem)
    assert (out[0].kind, out[0].size) == (ProblemKind.JUNK, 1)


def test_only_one_carriage_return_is_swallowed():
    out = FrameReader().feed(b"\x0bMSH|a\x1c\r\r")
    assert out[0] == b"MSH|a"
    assert _problems(out) == [FramingProblem(ProblemKind.JUNK, 1, b"\r")]


def test_empty_frame_is_a_problem_not_a_message():
    reader = FrameReader()
    out = reader.feed(b"\x0b\x1c\r" + frame(b"MSH|a"))
    assert out == [FramingProblem(ProblemKind.EMPTY, 0), b"MSH|a"]


def test_frame_of_exactly_the_limit_is_accepted():
    assert FrameReader(max_frame_bytes=5).feed(frame(b"MSH|a")) == [b"MSH|a"]


def test_oversized_frame_in_one_chunk_is_dropped_and_the_next_one_read():
    reader = FrameReader(max_frame_bytes=5)
    out = reader.feed(frame(b"MSH|ab") + frame(b"MSH|c"))
    assert out == [FramingProblem(ProblemKind.OVERSIZED, 6, b"MSH|a"), b"MSH|c"]


def test_oversized_frame_in_chunks_is_discarded_without_buffering_it():
    limit = 10_000
    reader = FrameReader(max_frame_bytes=limit)
    big = b"MSH|^~\\&|A|B|C|D||ADT^A01|BIG1|P|2.5.1\r" + b"OBX|" + b"x" * 50_000
    data = frame(big)
    out: list[bytes | FramingProblem] = []
    for i in range(0, len(data), 1000):
        out.extend(reader.feed(data[i : i + 1000]))
        # Never more than the limit, before it or past it.
        assert reader.buffered <= limit
    (problem,) = out
    # The first max_frame_bytes bytes are kept, to be stored with the reason.
    assert problem == FramingProblem(ProblemKind.OVERSIZED, len(big), big[:limit])
    assert not reader.in_frame
    assert reader.feed(frame(b"MSH|ok")) == [b"MSH|ok"]


def test_oversized_frame_crossing_the_limit_at_its_last_chunk():
    reader = FrameReader(max_frame_bytes=8)
    assert reader.feed(b"\x0bMSH|abc") == []
    out = reader.feed(b"defg\x1c\r")
    assert out == [FramingProblem(ProblemKind.OVERSIZED, 11, b"MSH|abcd")]


def test_start_block_inside_a_frame_reports_what_arrived_of_the_unfinished_frame():
    reader = FrameReader()
    assert reader.feed(b"\x0bMSH|half") == []
    out = reader.feed(b"-more\x0bMSH|whole\x1c\r")
    assert out == [FramingProblem(ProblemKind.INTERRUPTED, 13, b"MSH|half-more"), b"MSH|whole"]


def test_interrupted_oversized_frame_keeps_only_the_limit():
    reader = FrameReader(max_frame_bytes=6)
    out = reader.feed(b"\x0bMSH|abcdefgh" + b"\x0bMSH|ok\x1c\r")
    assert out == [FramingProblem(ProblemKind.INTERRUPTED, 12, b"MSH|ab"), b"MSH|ok"]


def test_close_reports_an_unfinished_frame_once():
    reader = FrameReader()
    reader.feed(b"\x0bMSH|half")
    assert reader.in_frame
    assert reader.close() == FramingProblem(ProblemKind.UNTERMINATED, 8, b"MSH|half")
    assert reader.close() is None
    assert not reader.in_frame


def test_limit_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        FrameReader(max_frame_bytes=0)


def test_describe_never_includes_content():
    problem = FramingProblem(ProblemKind.OVERSIZED, 99, b"MSH|secret-patient")
    assert "secret" not in problem.describe()
    assert "99" in problem.describe()


_content = st.binary(min_size=1, max_size=200).filter(
    lambda b: b"\x0b" not in b and b"\x1c" not in b
)
# Junk never starts with CR (that CR would belong to the frame before it) and holds no start block.
_junk = st.binary(min_size=1, max_size=20).filter(lambda b: b"\x0b" not in b and b[:1] != b"\r")


@given(
    parts=st.lists(st.tuples(st.one_of(st.none(), _junk), _content), min_size=1, max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=2_000), max_size=12),
    drop_cr=st.booleans(),
)
def test_any_chunking_of_a_stream_yields_the_same_frames_and_junk(parts, cuts, drop_cr):
    trailer = b"\x1c" if drop_cr else b"\x1c\r"
    stream = b"".join((junk or b"") + b"\x0b" + content + trailer for junk, content in parts)
    bounds = sorted({min(c, len(stream)) for c in cuts})
    chunks = [stream[a:b] for a, b in zip([0, *bounds], [*bounds, len(stream)], strict=True)]
    reader = FrameReader()
    out = _feed_all(reader, chunks)
    assert _frames(out) == [content for _, content in parts]
    # Junk may be split across chunks into several problems, never lost nor invented.
    junk_total = sum(len(junk or b"") for junk, _ in parts)
    assert sum(p.size for p in _problems(out) if p.kind is ProblemKind.JUNK) == junk_total
    assert all(p.kind is ProblemKind.JUNK for p in _problems(out))
