"""``careweave check`` warns when a ``nats`` destination's worker can publish an event again after
the stream's duplicate window; the settings the warning suggests pass without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.cli.test_check_masterdata import careweave

SETTINGS = """
[engine]
data_dir = "{data}"

[[channels]]
name = "ehr"
mapping = "hl7v2-clinical"
source = {{ type = "mllp", port = 0 }}
owner = "integration-team"
sla = "ACK within 2 s"
[[channels.destinations]]
name = "analytics"
payload = "events"
connector = {{ type = "nats", url = "nats://127.0.0.1:4222", duplicate_window = 120 }}
owner = "analytics"
sla = "each event published within 1 min"
{worker}
"""


@pytest.mark.parametrize(
    ("worker", "warned"),
    [
        ("", True),  # the default retries go on for about 1,100 s
        ("worker = { lease = 30.0, retry = { max_attempts = 5, max_backoff = 10.0 } }", False),
    ],
)
def test_check_warns_when_retries_outlast_the_duplicate_window(
    tmp_path: Path, worker: str, warned: bool
) -> None:
    config = tmp_path / "careweave.toml"
    config.write_text(SETTINGS.format(data=tmp_path / "var", worker=worker))
    done = careweave("check", config)
    assert done.returncode == 0, done.stderr
    assert "ok: 1 channel(s), 1 destination(s)" in done.stdout
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    if warned:
        assert len(warnings) == 1, done.stderr
        assert warnings[0].startswith("warning: destination analytics: the worker may publish")
        assert "longer than duplicate_window = 120 s" in warnings[0]
    else:
        assert warnings == [], done.stderr
    assert not (tmp_path / "var").exists()
