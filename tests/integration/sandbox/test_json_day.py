"""Issue 15, acceptance 5: with ``log_format = "json"``, every line a sandbox day prints is JSON.

The example health system on free ports, in three processes (``sandbox serve``, ``run``, ``sandbox
send``) with ``CAREWEAVE_LOG_FORMAT=json``: every line any of them writes, on stdout or stderr, is
one JSON object, their announcements (``ready``, the summary) included.
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

from careweave.sandbox.erp.config import DEMO_CLIENT_SECRET
from tests.integration.api.example import EXAMPLE_API_SECRETS
from tests.integration.cli.test_operator_mistakes import CAREWEAVE, _env
from tests.integration.sandbox.test_product_run import example_copy


def _objects(text: str, where: str) -> list[dict[str, object]]:
    found = []
    for line in text.splitlines():
        try:
            found.append(json.loads(line))
        except json.JSONDecodeError:
            raise AssertionError(f"{where}: not a JSON line: {line!r}") from None
    return found


def _started(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [str(CAREWEAVE), *args], stdout=subprocess.PIPE, stderr=log.open("w"), text=True, env=env
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert json.loads(first)["event"] in ("ready", "careweave ready"), first
    return proc


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    return out


def test_every_line_of_a_json_logging_sandbox_day_is_json(tmp_path: Path) -> None:
    config, _ports = example_copy(tmp_path)
    env = {
        **_env(),
        "CAREWEAVE_ERP_SECRET": DEMO_CLIENT_SECRET,
        **EXAMPLE_API_SECRETS,
        "CAREWEAVE_LOG_FORMAT": "json",
    }
    serve = _started(["sandbox", "serve", "--config", str(config)], tmp_path / "serve.err", env)
    run = None
    try:
        run = _started(["run", "--config", str(config)], tmp_path / "run.err", env)
        sent = subprocess.run(
            [str(CAREWEAVE), "sandbox", "send", "--config", str(config),
             "--encounters", "10", "--seed", "7"],
            capture_output=True, text=True, timeout=60, env=env, check=False,
        )  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        [summary] = _objects(sent.stdout, "send stdout")
        assert str(summary["event"]).startswith("ehr: sent ")
        _objects(sent.stderr, "send stderr")
    finally:
        outputs = {"run": _stop(run) if run is not None else "", "serve": _stop(serve)}
    for name, out in outputs.items():
        _objects(out, f"{name} stdout")
        _objects((tmp_path / f"{name}.err").read_text(), f"{name} stderr")
    # Something was said on stderr: the test would pass vacuously on silent processes otherwise.
    assert _objects((tmp_path / "serve.err").read_text(), "serve stderr")
