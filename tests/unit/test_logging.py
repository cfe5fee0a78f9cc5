"""careweave's logging: libraries' per-request INFO lines off the terminal; JSON lines for every record."""

from __future__ import annotations

import json
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


JSON_PROBE = """
import asyncio
import logging
import logging.config

import httpx
import structlog
import uvicorn.config

# uvicorn's own logging config, as a server started before careweave's would leave it.
logging.config.dictConfig(uvicorn.config.LOGGING_CONFIG)

from careweave.observability.logging import TraceIdScope, configure_logging
from careweave.testing import RecordingHttpServer

configure_logging("{level}", "json")
log = structlog.get_logger("careweave.probe")
with RecordingHttpServer() as server:
    url = server.url.replace("http://", "http://alice:pw-123@") + "/in?token=tok-456"
    httpx.post(url, content=b"x")
    logging.getLogger("httpx").warning("retrying %s", url)
with TraceIdScope("4bf92f3577b34da6a3ce929d0e0e4736"):  # as the engine handles a message
    log.warning("message stored with error", error="MappingError: PID-7: invalid date/time '19701399'")
    logging.getLogger("psycopg.pool").warning("connection failed for 'DOE^JANE'")
logging.getLogger("uvicorn.error").error("uvicorn says hello")


async def fail() -> None:
    raise ValueError("Invalid enum value 'DOE-JANE-999'")


async def main() -> None:
    task = asyncio.get_running_loop().create_task(fail())
    await asyncio.sleep(0)
    del task  # never retrieved: asyncio logs it with its traceback when it is collected


asyncio.run(main())
raise RuntimeError("uncaught at 'MRN-0042'")
"""


def _json_run(level: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", JSON_PROBE.format(level=level)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_with_json_every_line_is_json_the_libraries_and_tracebacks_included() -> None:
    done = _json_run("info")
    assert done.returncode == 1  # the uncaught exception still ends the process
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not JSON: {line!r}\n{done.stderr}") from None
    by_event = {str(r["event"]): r for r in records}
    assert not any(e.startswith("HTTP Request") for e in by_event)  # per-request INFO lines
    assert by_event["uvicorn says hello"]["logger"] == "uvicorn.error"
    stored = by_event["message stored with error"]
    assert stored["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert stored["error"] == "MappingError: PID-7: invalid date/time '***'"
    pool = by_event["connection failed for '***'"]
    assert pool["logger"] == "psycopg.pool"
    assert pool["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"  # library records carry it too
    never_retrieved = [
        r for r in records if r.get("logger") == "asyncio" and "ValueError" in r["exception"]
    ]
    assert len(never_retrieved) == 1
    assert "ValueError: Invalid enum value '***'" in never_retrieved[0]["exception"]
    uncaught = by_event["uncaught exception"]
    assert uncaught["level"] == "critical"
    assert "RuntimeError: uncaught at '***'" in uncaught["exception"]
    printed = "\n".join(lines)
    for secret in ("pw-123", "tok-456", "19701399", "DOE-JANE-999", "DOE^JANE", "MRN-0042"):
        assert secret not in printed


def test_at_debug_the_http_client_lines_are_shown_without_credentials() -> None:
    done = _json_run("debug")
    requests = [
        json.loads(line)
        for line in done.stderr.splitlines()
        if line.strip() and "HTTP Request" in line
    ]
    assert requests, done.stderr
    assert all("pw-123" not in r["event"] and "tok-456" not in r["event"] for r in requests)
