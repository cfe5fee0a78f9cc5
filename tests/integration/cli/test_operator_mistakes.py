"""``careweave check`` and ``careweave run`` as an operator meets them, through the real command.

Every mistake is answered with one ``error:`` line and a non-zero exit code (2 for the settings, 1
for the environment), never a traceback; ``check`` refuses what ``run`` refuses, with the same
line. A passing run prints careweave's own lines only: no ``--- Logging error ---`` and no
library's line per HTTP request.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from careweave.cli import app
from careweave.connectors.mllp import MllpClient, ack_code
from careweave.testing import RecordingHttpServer
from tests.integration.engine.helpers import adt, wait_for
from tests.unit.engine.test_config import REFUSED

CAREWEAVE = Path(sys.executable).with_name("careweave")


def _env() -> dict[str, str]:
    """The environment without CAREWEAVE_* overrides or forced colours."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CAREWEAVE_") and k not in {"FORCE_COLOR", "CI"}
    }


def careweave(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed ``careweave`` command to its end."""
    return subprocess.run(
        [str(CAREWEAVE), *args], capture_output=True, text=True, timeout=60, env=_env(), check=False
    )


def refused(returncode: int, stderr: str, code: int, *words: str) -> str:
    """Assert one ``error:`` line containing ``words``, exit ``code``, no traceback; the line."""
    assert "Traceback" not in stderr, stderr
    assert "Logging error" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    assert returncode == code, (returncode, stderr)
    for word in words:
        assert word in errors[0], (word, errors[0])
    return errors[0]


def write_settings(
    folder: Path,
    *,
    port: int = 0,
    data_dir: str | None = None,
    database_url: str = "",
    url: str = "http://127.0.0.1:9",
) -> Path:
    """One MLLP channel forwarding raw messages to an HTTP destination."""
    path = folder / "careweave.toml"
    path.write_text(
        f"""
[engine]
data_dir = "{data_dir or folder / "data"}"
database_url = "{database_url}"

[[channels]]
name = "adt"
source = {{ type = "mllp", port = {port} }}

[[channels.destinations]]
name = "downstream"
connector = {{ type = "http", url = "{url}/in", timeout = 5.0 }}
"""
    )
    return path


@pytest.fixture
def occupied_port() -> Iterator[int]:
    """A port a plain socket is listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def closed_port() -> int:
    """A port nothing listens on (bound once to port 0, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Running:
    """A ``careweave run`` in the background, its stderr in a file."""

    def __init__(self, config: Path, log: Path) -> None:
        self.log = log
        self._stderr = log.open("w")
        self.proc = subprocess.Popen(
            [str(CAREWEAVE), "run", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=_env(),
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert "careweave ready" in line, f"the engine did not start: {log.read_text()}"

    def port(self) -> int:
        """The port the ``adt`` channel listens on (settings said 0), from the engine's log."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = re.search(r"listening.*channel=adt.*port=(\d+)", self.log.read_text())
            if found:
                return int(found.group(1))
            time.sleep(0.05)
        raise AssertionError(f"no listening line: {self.log.read_text()}")

    def stop(self) -> tuple[int, str]:
        """SIGTERM, then the exit code and everything written on stderr."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(30)
        self._stderr.close()
        return code, self.log.read_text()


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_check_refuses_with_one_line_naming_the_path(tmp_path: Path, case: str) -> None:
    text, path, words = REFUSED[case]
    config = tmp_path / "careweave.toml"
    config.write_text(text)
    result = CliRunner().invoke(app, ["check", "--config", str(config)])
    line = refused(result.exit_code, result.stderr, 2, f"{config}: ", words, f"at `{path}`")
    assert line == result.stderr.strip()


@pytest.mark.parametrize(
    "case", ["http url without scheme", "erp with events", "zero concurrency", "unknown flow"]
)
def test_run_refuses_what_check_refuses_with_the_same_line(tmp_path: Path, case: str) -> None:
    config = tmp_path / "careweave.toml"
    config.write_text(REFUSED[case][0])
    checked = careweave("check", "--config", str(config))
    ran = careweave("run", "--config", str(config))
    assert refused(ran.returncode, ran.stderr, 2) == refused(
        checked.returncode, checked.stderr, 2, REFUSED[case][1]
    )
    assert "careweave ready" not in ran.stdout


def test_a_port_in_use_is_named(tmp_path: Path, occupied_port: int) -> None:
    result = careweave("run", "--config", str(write_settings(tmp_path, port=occupied_port)))
    refused(
        result.returncode, result.stderr, 2, f"127.0.0.1:{occupied_port}: Address already in use"
    )


def test_a_sqlite_database_held_by_another_engine_is_named(tmp_path: Path) -> None:
    config = write_settings(tmp_path)
    first = Running(config, tmp_path / "first.log")
    try:
        second = careweave("run", "--config", str(config))
    finally:
        code, log = first.stop()
    refused(second.returncode, second.stderr, 1, "in use by another careweave process")
    assert code == 0, log
    assert "Traceback" not in log and "Logging error" not in log


@pytest.mark.parametrize("where", ["under a file", "under /proc"])
def test_a_data_dir_that_cannot_be_created_is_named(tmp_path: Path, where: str) -> None:
    if where == "under a file":
        (tmp_path / "plain-file").write_text("not a folder")
        data_dir = str(tmp_path / "plain-file" / "data")
    else:
        data_dir = f"/proc/careweave-{os.getpid()}/data"
    result = careweave("run", "--config", str(write_settings(tmp_path, data_dir=data_dir)))
    refused(result.returncode, result.stderr, 1, "cannot create the data folder", data_dir)


def test_a_postgresql_url_that_does_not_connect_is_named(tmp_path: Path) -> None:
    url = f"postgresql://careweave@127.0.0.1:{closed_port()}/careweave"
    result = careweave("run", "--config", str(write_settings(tmp_path, database_url=url)))
    refused(result.returncode, result.stderr, 1, "cannot connect to PostgreSQL")


def test_a_passing_run_prints_no_logging_errors_and_no_request_lines(tmp_path: Path) -> None:
    with RecordingHttpServer() as downstream:
        engine = Running(write_settings(tmp_path, url=downstream.url), tmp_path / "run.log")
        try:

            async def send() -> list[str]:
                async with MllpClient("127.0.0.1", engine.port()) as client:
                    return [ack_code(await client.send(adt(n))) for n in range(3)]

            assert asyncio.run(send()) == ["AA", "AA", "AA"]
            asyncio.run(wait_for(lambda: len(downstream.requests) >= 3, 20, "3 deliveries"))
        finally:
            code, log = engine.stop()
    assert code == 0, log
    assert "listening" in log  # careweave's own INFO lines are printed...
    assert "HTTP Request" not in log  # ...httpx's line per request is not
    assert "Logging error" not in log and "Traceback" not in log, log


def test_a_sandbox_day_prints_its_report_not_each_request() -> None:
    # The RCM and clearinghouse simulators are Litestar apps the engine talks to over HTTP.
    result = careweave("revenue", "reconcile", "--encounters", "20")
    assert result.returncode == 0, result.stderr
    assert "RECONCILED" in result.stdout
    for noise in ("HTTP Request", "INFO", "Logging error", "Traceback"):
        assert noise not in result.stderr, result.stderr
