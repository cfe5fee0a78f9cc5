"""MLLP TLS from the settings file, as an operator meets it.

``source = { type = "mllp", ..., tls = { cert, key, client_ca } }`` with paths relative to the
settings file; a path that does not lead to a usable file is one ``error:`` line from ``check``
and ``run``; ``careweave hl7 send --tls-*`` talks to the engine in mutual TLS.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from careweave.app import build_application
from careweave.cli import app
from careweave.config import load_settings
from careweave.exceptions import ConfigError
from careweave.model.records import MessageQuery
from careweave.testing import RecordingHttpServer
from tests.integration.engine.helpers import adt
from tests.integration.listener.pki import make_pki

pytestmark = pytest.mark.timeout(120)

CAREWEAVE = Path(sys.executable).with_name("careweave")


def write_settings(folder: Path, tls: str, url: str = "http://127.0.0.1:9") -> Path:
    config = folder / "careweave.toml"
    config.write_text(
        f"""
[engine]
data_dir = "{folder / "var"}"

[[channels]]
name = "adt"
source = {{ type = "mllp", port = 0, max_connections = 32, max_connections_per_peer = 4, tls = {tls} }}
owner = "integration-team"
sla = "ACK within 2 s"

[[channels.destinations]]
name = "downstream"
connector = {{ type = "http", url = "{url}/in", timeout = 5.0 }}
owner = "integration-team"
sla = "delivered within 1 min"
"""
    )
    return config


MUTUAL = '{ cert = "pki/server.pem", key = "pki/server.key", client_ca = "pki/ca.pem" }'


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    make_pki(tmp_path / "pki")
    return tmp_path


def careweave(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREWEAVE_")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [str(CAREWEAVE), *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


def test_check_accepts_tls_files_relative_to_the_settings_file(folder: Path) -> None:
    done = careweave("check", "--config", str(write_settings(folder, MUTUAL)))
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("tls", "words"),
    [
        ('{ cert = "pki/nope.pem", key = "pki/server.key" }', ["pki/nope.pem", "cannot read"]),
        ('{ cert = "pki/server.pem", key = "pki/ehr.key" }', ["not a usable certificate"]),
        (
            '{ cert = "pki/server.pem", key = "pki/server.key", client_ca = "careweave.toml" }',
            ["client_ca", "careweave.toml"],
        ),
    ],
    ids=["missing file", "key of another certificate", "client_ca not a certificate"],
)
def test_unusable_tls_files_are_one_error_line_from_check_and_run(
    folder: Path, tls: str, words: list[str]
) -> None:
    config = write_settings(folder, tls)
    for command in ("check", "run"):
        done = careweave(command, "--config", str(config))
        assert done.returncode == 2, (command, done.stderr)
        assert "Traceback" not in done.stderr
        lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        assert len(lines) == 1, done.stderr
        assert "channel adt: source.tls" in lines[0]
        for word in words:
            assert word in lines[0], (word, lines[0])


def test_per_peer_limit_above_the_total_is_refused(folder: Path) -> None:
    config = folder / "careweave.toml"
    config.write_text(
        """
[[channels]]
name = "adt"
source = { type = "mllp", port = 0, max_connections = 4, max_connections_per_peer = 8 }
"""
    )
    done = careweave("check", "--config", str(config))
    assert done.returncode == 2
    assert "cannot exceed max_connections" in done.stderr


async def test_hl7_send_talks_mutual_tls_to_an_engine_built_from_settings(folder: Path) -> None:
    ca = folder / "pki/ca.pem"
    sample = folder / "adt.hl7"
    sample.write_bytes(adt(1))
    with RecordingHttpServer() as downstream:
        config = write_settings(folder, MUTUAL, downstream.url)
        application = build_application(load_settings(config), settings_dir=folder, env={})
        async with application:
            await application.start()
            port = application.engine.listeners["adt"].port

            def send(*tls: str) -> tuple[int, str]:
                result = CliRunner().invoke(
                    app, ["hl7", "send", str(sample), "--to", f"127.0.0.1:{port}", *tls]
                )
                return result.exit_code, result.output

            with_cert = (
                "--tls-ca", str(ca),
                "--tls-cert", str(folder / "pki/ehr.pem"),
                "--tls-key", str(folder / "pki/ehr.key"),
            )  # fmt: skip
            code, output = await asyncio.to_thread(send, *with_cert)
            assert code == 0, output
            assert "AA" in output
            # Without a client certificate the engine refuses the connection: nothing accepted.
            code, output = await asyncio.to_thread(send, "--tls-ca", str(ca))
            assert code == 1, output
            assert "0 of 1 accepted" in output or "error:" in output
            stored = await application.store.list_messages(MessageQuery())
            assert len(stored) == 1
            assert application.engine.listeners["adt"].stats.tls_refused >= 1


def test_build_refuses_tls_files_that_are_missing(folder: Path) -> None:
    config = write_settings(folder, '{ cert = "x.pem", key = "x.key" }')
    with pytest.raises(ConfigError, match=r"x\.pem"):
        build_application(load_settings(config), settings_dir=folder, env={})
