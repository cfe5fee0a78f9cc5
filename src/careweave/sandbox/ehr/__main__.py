"""``python -m careweave.sandbox.ehr --seed 1 --count 500 --out DIR``: write a feed to files.

Each message becomes ``<sequence>_<type>_<facility>.hl7`` (malformed ones end in
``.malformed-<kind>.hl7``) and ``manifest.jsonl`` lists every message's facts; ``items.json`` holds the
supply catalog with the codes missing from the ERP item master.
"""

from __future__ import annotations

import math
from pathlib import Path

import msgspec
import typer

from careweave.sandbox.ehr.config import EhrScenarioConfig
from careweave.sandbox.ehr.generator import EhrScenario, generate_scenario

_MESSAGES_PER_ENCOUNTER = 5.0
"""Rough feed size per encounter, to size the simulation for a requested count."""


def scenario_with_count(config: EhrScenarioConfig, count: int) -> EhrScenario:
    """A scenario with at least ``count`` messages, cut to exactly its first ``count``.

    Cutting a time-ordered feed keeps every lifecycle coherent: a prefix never holds an A03
    without its A01.
    """
    days = max(1, math.ceil(count / (config.encounters_per_day * _MESSAGES_PER_ENCOUNTER)))
    while True:
        scenario = generate_scenario(msgspec.structs.replace(config, days=days))
        if len(scenario.messages) >= count:
            return msgspec.structs.replace(scenario, messages=scenario.messages[:count])
        days += max(1, days // 2)


def write_feed(scenario: EhrScenario, out: Path) -> None:
    """Write the messages, a manifest and the item catalog under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "manifest.jsonl").open("wb") as manifest:
        for message in scenario.messages:
            kind = message.message_type.replace("^", "-")
            suffix = f".malformed-{message.malformed}" if message.malformed else ""
            name = f"{message.sequence:06d}_{kind}_{message.sending_facility}{suffix}.hl7"
            (out / name).write_bytes(message.raw)
            facts = msgspec.structs.asdict(message)
            del facts["raw"]
            facts["file"] = name
            manifest.write(msgspec.json.encode(facts) + b"\n")
    (out / "items.json").write_bytes(msgspec.json.format(msgspec.json.encode(scenario.catalog)))


def main(
    seed: int = typer.Option(1, help="Scenario seed: the same seed writes the same bytes."),
    count: int = typer.Option(500, min=1, help="Number of messages to write."),
    out: Path = typer.Option(..., help="Directory to write into (created if missing)."),
    encounters_per_day: int = typer.Option(40, min=1, help="Encounters started per day."),
    malformed_rate: float = typer.Option(
        0.0, min=0.0, max=0.99, help="Fraction of damaged messages."
    ),
    item_mismatch_rate: float = typer.Option(0.1, min=0.0, max=0.99, help="Items not in the ERP."),
) -> None:
    """Write a simulated EHR feed to files."""
    config = EhrScenarioConfig(
        seed=seed,
        encounters_per_day=encounters_per_day,
        malformed_rate=malformed_rate,
        item_mismatch_rate=item_mismatch_rate,
    )
    scenario = scenario_with_count(config, count)
    write_feed(scenario, out)
    bad = sum(1 for m in scenario.messages if m.malformed)
    typer.echo(f"wrote {len(scenario.messages)} messages ({bad} malformed) to {out}")


if __name__ == "__main__":
    typer.run(main)
