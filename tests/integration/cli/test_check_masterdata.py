"""``careweave check`` builds what ``run`` builds: a flow without its master data is refused.

Through the installed command, as an operator runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.unit.masterdata.sample_files import write_masterdata

CAREWEAVE = Path(sys.executable).with_name("careweave")

CHANNELS = """
[[channels]]
name = "ehr"
mapping = "hl7v2-clinical"
flows = ["supply-to-replenish"]
source = { type = "mllp", port = 0 }
owner = "integration-team"
sla = "ACK within 2 s"
[[channels.destinations]]
name = "erp"
payload = "none"
connector = { type = "erp", base_url = "https://erp.example.org", client_id = "careweave" }
owner = "supply-chain"
sla = "movements in the ERP within 15 min"
"""


def careweave(command: str, config: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREWEAVE_")}
    env["COLUMNS"] = "80"  # a narrow terminal must not split the error line
    return subprocess.run(
        [str(CAREWEAVE), command, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def write_settings(folder: Path, masterdata: str) -> Path:
    config = folder / "careweave.toml"
    config.write_text(f'[engine]\ndata_dir = "{folder / "var"}"\n{masterdata}{CHANNELS}')
    return config


def test_check_refuses_a_flow_whose_master_data_is_not_named(tmp_path: Path) -> None:
    config = write_settings(tmp_path, write_masterdata(tmp_path, skip=("items", "crosswalk")))
    expected = [
        f"error: {config}: channel ehr: flow 'supply-to-replenish' needs master data 'items': "
        "name its file in the settings' [masterdata] section (see docs/configuration.md)"
    ]
    for command in ("check", "run"):  # run refuses it with the same line, before opening anything
        done = careweave(command, config)
        assert done.returncode == 2, done
        assert "Traceback" not in done.stderr
        errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        assert errors == expected, (command, done.stderr)
        assert not (tmp_path / "var").exists()


def test_check_passes_once_the_master_data_is_named(tmp_path: Path) -> None:
    done = careweave("check", write_settings(tmp_path, write_masterdata(tmp_path)))
    assert done.returncode == 0, done.stderr
    assert "ok: 1 channel(s), 1 destination(s)" in done.stdout
    # The ERP secret is not set here: a warning for check, an error for run.
    assert "warning: destination erp: CAREWEAVE_ERP_SECRET is not set" in done.stderr
    assert "error:" not in done.stderr
    assert not (tmp_path / "var").exists()


def test_check_names_a_missing_master_data_file(tmp_path: Path) -> None:
    section = write_masterdata(tmp_path).replace('"md/items.csv"', '"md/item_master.csv"')
    done = careweave("check", write_settings(tmp_path, section))
    assert done.returncode == 2, done
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert "[masterdata] items = 'md/item_master.csv': no such file" in errors[0]
