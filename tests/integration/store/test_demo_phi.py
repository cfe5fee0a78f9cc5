"""Acceptance 4 of issue 14: after the demo's day, its SQLite files (WAL included) and its output
hold none of the sandbox's patient values in clear; without the key the same search finds them.

The demo seals PHI at rest by default with a key it writes beside its database; the control run
removes that key before the day starts (the day's settings then store in clear).
"""

from __future__ import annotations

import asyncio
import inspect
import io
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from careweave.cli import app
from careweave.sandbox.demo import prepare_data_dir, run_demo
from careweave.sandbox.ehr import EhrScenarioConfig, generate_scenario

SEED, ENCOUNTERS = 7, 20


def _known_values() -> set[str]:
    """The patients' names, MRNs, birth dates and streets as the EHR writes them in messages."""
    scenario = generate_scenario(EhrScenarioConfig(seed=SEED, encounters_per_day=ENCOUNTERS))
    sent = b"".join(m.raw for m in scenario.messages)
    values: set[str] = set()
    for p in scenario.patients:
        candidates = {
            p.epic_mrn,
            p.cerner_mrn,
            p.practice_chart,
            p.enterprise_id,
            p.birth_date.strftime("%Y%m%d"),
            p.street,
            f"{p.family}^{p.given}",
            # Names alone, when long enough not to occur by chance in random bytes.
            *(n for n in (p.family, p.given) if len(n) >= 6),
        }
        values |= {v for v in candidates if v.encode() in sent}
    return values


async def _run_day(data_dir: Path, *, sealed: bool) -> str:
    prepare_data_dir(data_dir)
    if not sealed:
        (data_dir / "phi.key").unlink()
        (data_dir / "demo.toml").write_text(f'[engine]\ndata_dir = "{data_dir}"\n')
    out = io.StringIO()
    kwargs: dict[str, object] = {"seed": SEED, "encounters": ENCOUNTERS}
    if "serve" in inspect.signature(run_demo).parameters:
        kwargs["serve"] = False  # the day, then its summary: nothing keeps serving
    await run_demo(data_dir, console=Console(file=out, width=200), **kwargs)  # type: ignore[arg-type]
    return out.getvalue()


def _found(data_dir: Path, output: str, values: set[str]) -> set[str]:
    stored = b"".join(p.read_bytes() for p in sorted(data_dir.glob("careweave.db*")))
    return {v for v in values if v.encode() in stored or v in output}


def test_the_demo_leaves_no_patient_value_in_clear(tmp_path: Path) -> None:
    values = _known_values()
    assert len(values) > 50  # the search looks for something
    output = asyncio.run(_run_day(tmp_path / "demo", sealed=True))
    assert "phi.key" in output  # the demo says where its key is
    assert _found(tmp_path / "demo", output, values) == set()

    # The CLI reads everything back with the key the demo's settings file names.
    settings = str(tmp_path / "demo" / "demo.toml")
    shown = CliRunner().invoke(app, ["messages", "show", "1", "--config", settings])
    assert shown.exit_code == 0, shown.output
    assert "MSH|" in shown.stdout and "PID|" in shown.stdout
    assert any(v in shown.stdout for v in values)  # the patient's values, opened with the key
    listed = CliRunner().invoke(app, ["messages", "list", "--config", settings, "--limit", "5"])
    assert listed.exit_code == 0, listed.output
    assert "cwk:" not in listed.stdout  # dedup keys are shown opened


def test_without_the_key_the_same_search_finds_them(tmp_path: Path) -> None:
    values = _known_values()
    output = asyncio.run(_run_day(tmp_path / "demo", sealed=False))
    found = _found(tmp_path / "demo", output, values)
    assert len(found) >= len(values) // 2, sorted(values - found)[:10]


pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
