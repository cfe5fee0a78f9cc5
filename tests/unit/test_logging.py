"""careweave's logging setup keeps libraries' per-request INFO lines off the terminal."""

from __future__ import annotations

import subprocess
import sys

# A fresh interpreter: the test runner's own logging handlers would hide what a command prints.
PROBE = """
import logging

import httpx

from careweave.observability.logging import configure_logging
from careweave.testing import RecordingHttpServer

configure_logging("{level}")
with RecordingHttpServer() as server:
    assert httpx.post(server.url + "/in", content=b"x").status_code == 200
logging.getLogger("careweave.probe").info("careweave info line")
logging.getLogger("httpx").warning("httpx warning line")
"""


def _stderr(level: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(level=level)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_httpx_request_lines_are_not_printed_at_info() -> None:
    stderr = _stderr("info")
    assert "careweave info line" in stderr  # INFO is printed...
    assert "HTTP Request" not in stderr  # ...but not httpx's line per request
    assert "httpx warning line" in stderr  # and the library's warnings still are
    assert "Logging error" not in stderr


def test_a_higher_level_quietens_libraries_too() -> None:
    stderr = _stderr("error")
    assert "careweave info line" not in stderr
    assert "httpx warning line" not in stderr
