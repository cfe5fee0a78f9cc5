"""Issue 3, acceptance 5: 10,000 mutated messages into the live listener.

Each is answered (no hang), the listener never crashes, every message careweave cannot parse is
answered AE or AR with text naming the problem, and each of those is stored with its error.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careweave.app import build_engine
from careweave.codecs.hl7v2 import parse_header, parse_message
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.exceptions import Hl7Error
from careweave.model.records import MessageQuery, MessageState
from tests.integration.engine.helpers import engine_settings
from tests.integration.listener.test_corpus_over_mllp import corpus_messages

EXAMPLES = 10_000


class LiveEngine:
    """An engine with its own event loop in a thread, for blocking test code to talk to."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.errors_stored = 0

    def _run(self) -> None:
        self.loop.run_until_complete(self._main())

    async def _main(self) -> None:
        store = SqliteStore(SqliteConfig(path=self.path, synchronous="NORMAL"))
        await store.open()
        engine = build_engine(engine_settings(url="http://127.0.0.1:9"), store, middleware=[])
        await engine.start(deliver=False)
        self.port = engine.listeners["adt"].port
        self._stop = asyncio.Event()
        self._ready.set()
        await self._stop.wait()
        await engine.stop()
        errors = await store.list_messages(MessageQuery(state=MessageState.ERROR, limit=100_000))
        self.errors_stored = len([m for m in errors if m.error])
        await store.close()

    def __enter__(self) -> LiveEngine:
        self.thread.start()
        self._ready.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._stop is not None
        self.loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(60)


class Sender:
    """A blocking MLLP sender that reconnects when the listener closes the connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None

    def exchange(self, message: bytes) -> bytes:
        for _ in range(2):
            if self.sock is None:
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            try:
                self.sock.sendall(b"\x0b" + message + b"\x1c\r")
                data = b""
                while not data.endswith(b"\x1c\r"):
                    chunk = self.sock.recv(65536)
                    if not chunk:
                        raise ConnectionError("closed")
                    data += chunk
                return data[data.index(b"\x0b") + 1 : -2]
            except (ConnectionError, OSError):
                self.sock.close()
                self.sock = None
        raise AssertionError("the listener stopped answering")


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveEngine, Sender, dict[str, int]]]:
    with LiveEngine(tmp_path_factory.mktemp("fuzz") / "cw.db") as engine:
        tally = {"sent": 0, "naks": 0}
        yield engine, Sender(engine.port), tally
        if engine.errors_stored == 0 and tally["naks"] == 0:
            return
    # every NAK'd message is stored with its error (read after the engine stopped)
    assert engine.errors_stored == tally["naks"]


BASES = 120
"""Corpus messages the mutations start from."""


@pytest.fixture(scope="module")
def bases() -> list[bytes]:
    """The first BASES corpus messages free of framing bytes (read in the test, not at import)."""
    return [m for m in corpus_messages() if b"\x0b" not in m and b"\x1c" not in m][:BASES]


def _with_control_id(message: bytes, n: int) -> bytes:
    msg = parse_message(message)
    msg.set_raw("MSH-10", f"FZ{n:07d}")
    return msg.encode()


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10_000), st.integers(0, 255)),
    st.tuples(st.just("cut"), st.integers(0, 10_000), st.integers(0, 10_000)),
    st.tuples(
        st.just("insert"),
        st.integers(0, 10_000),
        st.sampled_from(
            [b"|", b"^", b"~", b"\\", b"&", b"\r", b"\n", b"\xff\xfe", b"MSH|", b"\x00"]
        ),
    ),
    st.tuples(st.just("junk"), st.integers(0, 10_000), st.binary(min_size=1, max_size=40)),
)


def _mutate(data: bytes, op: tuple[str, int, object]) -> bytes:
    kind, pos, arg = op
    pos = pos % (len(data) + 1)
    if kind == "flip":
        assert isinstance(arg, int)
        return data[:pos] + bytes([arg]) + data[pos + 1 :]
    if kind == "cut":
        assert isinstance(arg, int)
        return data[:pos] + data[pos + arg % 200 :]
    assert isinstance(arg, bytes)
    return data[:pos] + arg + data[pos:]


counter = iter(range(10**9))
seen: set[str] = set()


@settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
)
@given(pick=st.integers(0, BASES - 1), ops=st.lists(mutation, min_size=1, max_size=3))
def test_mutated_messages_are_answered_and_stored(
    bases: list[bytes],
    live: tuple[LiveEngine, Sender, dict[str, int]],
    pick: int,
    ops: list[tuple[str, int, object]],
) -> None:
    _engine, sender, tally = live
    data = _with_control_id(bases[pick % len(bases)], next(counter))
    for op in ops:
        data = _mutate(data, op)
    data = data.replace(b"\x0b", b"").replace(b"\x1c", b"")  # framing bytes are the transport's
    if not data:
        data = b" "
    ack = sender.exchange(data)
    tally["sent"] += 1
    answer = parse_message(ack)
    code = answer.get("MSA-1")
    assert code in {"AA", "AE", "AR", "CA", "CE", "CR"}
    # A mutation can make two messages share sending app, facility and MSH-10: the second is then
    # a re-send, answered from the first one's state and not stored again. Judge first sightings.
    try:
        key: str | None = parse_header(data).dedup_key()
    except Hl7Error:
        key = None
    if key is not None and key in seen:
        return
    if key is not None:
        seen.add(key)
    try:
        parse_message(data)
    except Hl7Error:
        assert code in {"AE", "AR", "CE", "CR"}
        assert answer.get("MSA-3") or answer.get("ERR-8"), "a NAK must name the problem"
    if code in {"AE", "AR", "CE", "CR"}:
        tally["naks"] += 1
