"""``careweave check`` and ``careweave run`` with ``[api]``: a client's missing secret is one
``error:`` line naming its variable; ``run`` serves the API on the configured port."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from tests.integration.cli.test_operator_mistakes import CAREWEAVE, _env, careweave, refused
from tests.integration.engine.helpers import free_port

SETTINGS = """
[engine]
data_dir = "{data}"
[[channels]]
name = "ehr"
source = {{ type = "mllp", port = 0 }}
[[channels.destinations]]
name = "null"
connector = {{ type = "null" }}
[api]
port = {port}
[[api.clients]]
id = "ops"
role = "read-only"
secret_env = "CW_TEST_OPS_SECRET"
"""


def settings(folder: Path, port: int = 0) -> Path:
    path = folder / "careweave.toml"
    path.write_text(SETTINGS.format(data=(folder / "data").as_posix(), port=port))
    return path


def test_check_and_run_name_the_missing_client_secret(tmp_path: Path) -> None:
    config = settings(tmp_path)
    checked = careweave("check", "--config", str(config))
    refused(checked.returncode, checked.stderr, 2, "CW_TEST_OPS_SECRET", "ops")
    ran = careweave("run", "--config", str(config))
    refused(ran.returncode, ran.stderr, 2, "CW_TEST_OPS_SECRET")


def test_run_serves_the_api_on_its_port(tmp_path: Path) -> None:
    port = free_port()
    config = settings(tmp_path, port)
    env = {**_env(), "CW_TEST_OPS_SECRET": "s3cret"}
    process = subprocess.Popen(
        [str(CAREWEAVE), "run", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "careweave ready"
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/v1/cases", timeout=30).status_code == 401
        form = {"grant_type": "client_credentials", "client_id": "ops", "client_secret": "s3cret"}
        token = httpx.post(f"{base}/v1/oauth/token", data=form, timeout=30).json()["access_token"]
        cases = httpx.get(
            f"{base}/v1/cases", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        assert (cases.status_code, cases.json()) == (200, [])
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0
