"""``careweave sandbox serve`` and ``send`` as an operator meets their mistakes: one ``error:`` line,
exit 2 for the settings, 1 for the environment, never a traceback."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.cli.test_operator_mistakes import (
    CAREWEAVE,
    _env,
    careweave,
    closed_port,
    refused,
)


@pytest.fixture
def occupied_port() -> Iterator[int]:
    """A port a plain socket is listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def settings(folder: Path, body: str) -> Path:
    path = folder / "careweave.toml"
    path.write_text(f'[engine]\ndata_dir = "{folder / "data"}"\n{body}')
    return path


def rcm_channel(port: int, rcm_port: int) -> str:
    return f"""
[[channels]]
name = "ehr"
source = {{ type = "mllp", port = {port} }}

[[channels.destinations]]
name = "revenue-cycle"
payload = "none"
connector = {{ type = "rcm", base_url = "http://127.0.0.1:{rcm_port}" }}
"""


def test_serve_refuses_a_port_already_taken(tmp_path: Path, occupied_port: int) -> None:
    config = settings(tmp_path, rcm_channel(closed_port(), occupied_port))
    result = careweave("sandbox", "serve", "--config", str(config))
    refused(result.returncode, result.stderr, 1, "cannot listen", f"127.0.0.1:{occupied_port}")
    assert "ready" not in result.stdout


def test_serve_without_a_simulator_to_run_is_a_settings_mistake(tmp_path: Path) -> None:
    body = rcm_channel(closed_port(), 80).replace("127.0.0.1:80", "rcm.example.org")
    result = careweave("sandbox", "serve", "--config", str(settings(tmp_path, body)))
    refused(result.returncode, result.stderr, 2, "nothing to serve")


def test_serve_answers_on_the_settings_address_until_sigterm(tmp_path: Path) -> None:
    rcm_port = closed_port()
    config = settings(tmp_path, rcm_channel(closed_port(), rcm_port))
    proc = subprocess.Popen(
        [str(CAREWEAVE), "sandbox", "serve", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline() == "ready\n"
        assert httpx.get(f"http://127.0.0.1:{rcm_port}/api/charges", timeout=5).json() == []
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert f"revenue-cycle platform simulator on http://127.0.0.1:{rcm_port}" in stderr


def test_send_names_the_channel_it_cannot_send_to(tmp_path: Path) -> None:
    config = settings(tmp_path, rcm_channel(closed_port(), closed_port()))
    result = careweave("sandbox", "send", "--config", str(config), "--channel", "adt")
    refused(result.returncode, result.stderr, 2, "no MLLP channel 'adt'", "ehr")
    config = settings(tmp_path, rcm_channel(0, closed_port()))
    result = careweave("sandbox", "send", "--config", str(config))
    refused(result.returncode, result.stderr, 2, "port 0")


def test_send_leaves_out_the_mllp_channels_that_do_not_take_hl7v2(tmp_path: Path) -> None:
    close = """
[[channels]]
name = "close"
format = "erp-close-request"
source = { type = "mllp", port = 0 }
"""
    config = settings(tmp_path, rcm_channel(closed_port(), closed_port()) + close)
    result = careweave(
        "sandbox", "send", "--config", str(config), "--encounters", "1", "--patience", "0.5"
    )
    # Not refused for the close channel's port 0: the day goes to the HL7 v2 channel alone.
    refused(result.returncode, result.stderr, 1, "gave up on channel ehr")
    assert result.stdout.startswith("ehr: sent ")
    assert "close" not in result.stdout


def test_send_gives_up_when_nobody_answers(tmp_path: Path) -> None:
    config = settings(tmp_path, rcm_channel(closed_port(), closed_port()))
    result = careweave(
        "sandbox", "send", "--config", str(config), "--encounters", "2", "--patience", "0.5"
    )
    refused(result.returncode, result.stderr, 1, "gave up on channel ehr", "after 0.5 s")
    assert re.fullmatch(
        r"ehr: sent (\d+), answered 0 \(.*\), resent 0, unanswered \1\n", result.stdout
    )
