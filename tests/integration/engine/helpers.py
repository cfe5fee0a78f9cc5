"""Shared pieces of the engine integration tests: messages, settings, waiting."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable

from careweave.config import Settings, parse_settings


def adt(n: int, patient: str | None = None, *, facility: str = "HOSP") -> bytes:
    """A small ADT^A01 with control id MSG<n> and PID-3 = patient."""
    pid = patient or f"P{n % 50:03d}"
    return (
        f"MSH|^~\\&|EPIC|{facility}|CW|CWF|20260101120000||ADT^A01^ADT_A01|MSG{n:06d}|P|2.5.1\r"
        f"EVN|A01|20260101120000\r"
        f"PID|1||{pid}^^^HOSP^MR||DOE^JOHN||19700101|M\r"
        f"PV1|1|I|4N^401^1^HOSP||||1234567893^SMITH^ANN|||||||||||V{n:06d}\r"
    ).encode()


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def engine_settings(
    *,
    url: str,
    port: int = 0,
    data_dir: str = "var",
    database_url: str = "",
    worker: str = "",
    accept: str = "",
) -> Settings:
    """One MLLP channel forwarding raw messages to an HTTP destination."""
    text = f"""
[engine]
data_dir = "{data_dir}"
database_url = "{database_url}"

[[channels]]
name = "adt"
{accept}
source = {{ type = "mllp", port = {port} }}

[[channels.destinations]]
name = "downstream"
connector = {{ type = "http", url = "{url}/in", timeout = 5.0 }}
{worker}
"""
    return parse_settings(text)


async def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``predicate`` until true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)
