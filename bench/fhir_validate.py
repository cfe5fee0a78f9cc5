"""FHIR R4 validation throughput: careweave's generated validator beside fhir.resources' models.

Targets: every official R4 example of the corpus (``fhir-r4/hl7-r4-examples``) and the three
Synthea patient Bundles (``fhir-r4/synthea-fhiry``). Both sides get the same decoded JSON (files
read and parsed outside the timed part) and validate every resource, entries included: careweave
with :func:`careweave.codecs.fhir.validator.validate`, fhir.resources with its R4B models'
``model_validate``. Rules and model classes are loaded and warmed up before timing; each side's
time is its best of N rounds, the two taking turns round by round so that both
see the same load. Prints one JSON line per target set.
"""

from __future__ import annotations

import os
import sys

# Run as a script, this folder would come first on sys.path and bench/queue.py would shadow the
# standard library's queue module: keep the folder off sys.path and the repository root on it.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fhir.resources import __version__ as fhir_resources_version
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from careweave.codecs.fhir.rules import load_rules
from careweave.codecs.fhir.validator import validate

ROOT = Path(__file__).resolve().parent.parent
CORPUS = (
    Path(os.environ.get("CAREWEAVE_CORPUS_DIR") or ROOT.parent / "shared" / "corpus") / "fhir-r4"
)
ROUNDS = 15


def careweave_validate(resources: list[dict[str, Any]]) -> int:
    rules = load_rules()
    return sum(1 for resource in resources if not validate(resource, rules))


def fhir_resources_validate(resources: list[dict[str, Any]]) -> int:
    valid = 0
    for resource in resources:
        try:
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        except ValidationError:
            continue
        valid += 1
    return valid


def best_of(
    runs: list[Callable[[list[dict[str, Any]]], int]], resources: list[dict[str, Any]]
) -> list[float]:
    """Each run's best time over ROUNDS, the runs taking turns so both see the same machine."""
    for run in runs:
        run(resources)  # warm-up: rules loaded, model classes imported, caches filled
    best = [float("inf")] * len(runs)
    for _ in range(ROUNDS):
        for i, run in enumerate(runs):
            start = time.perf_counter()
            run(resources)
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def count_resources(resource: dict[str, Any]) -> int:
    entries = resource.get("entry", []) if resource.get("resourceType") == "Bundle" else []
    return 1 + sum(count_resources(e["resource"]) for e in entries if "resource" in e)


def main() -> None:
    targets = {
        "hl7-r4-examples": sorted((CORPUS / "hl7-r4-examples").glob("*.json")),
        "synthea-bundles": sorted((CORPUS / "synthea-fhiry").glob("*.json")),
    }
    for name, paths in targets.items():
        if not paths:
            print(json.dumps({"bench": "fhir_validate", "target": name, "skipped": "not found"}))
            continue
        resources = [json.loads(path.read_bytes()) for path in paths]
        count = sum(count_resources(r) for r in resources)
        ours, theirs = best_of([careweave_validate, fhir_resources_validate], resources)
        print(json.dumps({
            "bench": "fhir_validate", "target": name, "files": len(paths), "resources": count,
            "careweave_valid": careweave_validate(resources),
            "careweave_resources_per_s": round(count / ours),
            "baseline": f"fhir.resources {fhir_resources_version} (R4B)",
            "baseline_valid": fhir_resources_validate(resources),
            "baseline_resources_per_s": round(count / theirs),
            "ratio": round(theirs / ours, 2),
        }))  # fmt: skip
        sys.stdout.flush()


if __name__ == "__main__":
    main()
