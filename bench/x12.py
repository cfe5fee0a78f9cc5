"""X12 throughput: careweave beside pyx12 4.0.0, on the same files.

Targets: the two ~11k-segment 837P files of the corpus (imsweb) and a generated 1,000-claim
835. Two rows per target: ``parse`` (careweave's guided parse, loop tree and key-element checks)
and ``validate`` (careweave's full implementation-guide validation, every element, code set and
usage rule: the same work pyx12's validator does). pyx12's side is its ``x12n_document`` both
times. Both sides take the best of several rounds, and pyx12's maps are loaded once before timing
(as careweave's rules are), so map parsing is outside the timed part on both sides. Prints one
JSON line per target and mode.
"""

from __future__ import annotations

import os
import sys

# Run as a script, this folder would come first on sys.path and bench/queue.py would shadow the
# standard library's queue module: keep the folder off sys.path and the repository root on it.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))  # own folder off sys.path, repository root on it

import io
import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from careweave.codecs.x12.control import InMemoryControlNumbers
from careweave.codecs.x12.document import read_document
from careweave.codecs.x12.emitter import EnvelopeConfig
from careweave.codecs.x12.guide_validation import validate_against_guides
from careweave.codecs.x12.remit_writer import write_remittances
from careweave.codecs.x12.remittance import (
    Adjustment,
    ClaimPayment,
    Party,
    RemittanceAdvice,
    ServicePayment,
)

ROOT = Path(__file__).resolve().parent.parent
CORPUS = (
    Path(os.environ.get("CAREWEAVE_CORPUS_DIR") or ROOT.parent / "shared" / "corpus")
    / "x12"
    / "imsweb-x12-parser"
    / "837_5010"
)


def synthetic_835(claims: int) -> str:
    """One balanced 835 with *claims* claims of two lines each."""
    payments: list[ClaimPayment] = []
    for index in range(claims):
        lines = [
            ServicePayment("HC", "G0008", [], Decimal("120.00"), Decimal("80.00"), "", Decimal(1),
                           0, {"472": "20250106"}, [Adjustment("CO", "45", Decimal("40.00"))]),
            ServicePayment("HC", "J1745", ["59"], Decimal("300.00"), Decimal("250.00"), "",
                           Decimal(2), 0, {"472": "20250106"},
                           [Adjustment("CO", "45", Decimal("30.00")),
                            Adjustment("PR", "2", Decimal("20.00"))]),
        ]  # fmt: skip
        payments.append(
            ClaimPayment(f"CLM{index:06d}", "1", Decimal("420.00"), Decimal("330.00"),
                         Decimal("20.00"), "12", f"PCN{index}", "11", "1", 0,
                         Party("QC", "DOE", "MI", f"M{index}", "JANE"), lines=lines)
        )  # fmt: skip
    advice = RemittanceAdvice(
        "0001", "I", Decimal("330.00") * claims, "C", "ACH", "20250301", "TRACE1", "1512345678",
        Party("PR", "ACME HEALTH PLAN"), Party("PE", "REGIONAL HEART HOSPITAL", "XX", "1234567893"),
        payments,
    )  # fmt: skip
    return write_remittances([advice], EnvelopeConfig("PAYER", "PROVIDER"),
                             InMemoryControlNumbers(), datetime(2025, 3, 1, tzinfo=UTC))  # fmt: skip


def careweave_parse(path: Path) -> None:
    read_document(path.read_bytes(), check=True)


def careweave_validate(path: Path) -> None:
    validate_against_guides(path.read_bytes())


def pyx12_parse(path: Path) -> None:
    import pyx12.params
    import pyx12.x12n_document

    pyx12.x12n_document.x12n_document(pyx12.params.ParamsBase(), str(path), None, None, None,
                                      io.StringIO())  # fmt: skip


def keep_pyx12_maps_loaded() -> None:
    """Load each pyx12 map once: x12n_document re-reads its XML maps on every call otherwise.

    A loaded map holds no per-document state (pyx12 keeps counts in its walker), so reusing it
    gives the same findings, which ``main`` checks before timing.
    """
    import pyx12.map_if

    load = pyx12.map_if.load_map_file
    loaded: dict[tuple[str, str | None], Any] = {}

    def cached(map_file: str, param: Any, map_path: str | None = None) -> Any:
        key = (map_file, map_path)
        if key not in loaded:
            loaded[key] = load(map_file, param, map_path)
        return loaded[key]

    pyx12.map_if.load_map_file = cached


def pyx12_output(path: Path) -> str:
    import pyx12.params
    import pyx12.x12n_document

    out = io.StringIO()
    pyx12.x12n_document.x12n_document(pyx12.params.ParamsBase(), str(path), None, None, None, out)
    return out.getvalue()


def rate(parse: Callable[[Path], None], path: Path, segments: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        parse(path)
        best = min(best, time.perf_counter() - start)
    return segments / best


def main() -> None:
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as folder:
        remit = Path(folder) / "generated-1000-claims.835"
        remit.write_text(synthetic_835(1000))
        targets = [CORPUS / "x12_many_claims.txt", CORPUS / "x12_multiple_transactions.txt", remit]
        present = [path for path in targets if path.exists()]
        for path in targets:
            if not path.exists():
                print(json.dumps({"bench": "x12", "target": path.name, "skipped": "not found"}))
        fresh = {path: pyx12_output(path) for path in present}
        keep_pyx12_maps_loaded()
        for path in present:
            # Warm-up, and the check that loaded maps change nothing in pyx12's findings.
            if pyx12_output(path) != fresh[path]:
                raise SystemExit(f"pyx12 with loaded maps judged {path.name} differently")
            careweave_validate(path)
            segments = sum(1 for _ in read_document(path.read_bytes(), check=False).transactions
                           for _ in _.transaction.segments)  # fmt: skip
            theirs = rate(pyx12_parse, path, segments, rounds=3)
            for mode, ours_fn in (("parse", careweave_parse), ("validate", careweave_validate)):
                ours = rate(ours_fn, path, segments, rounds=5)
                print(json.dumps({
                    "bench": "x12", "mode": mode, "target": path.name, "segments": segments,
                    "segments_per_s": round(ours), "baseline": "pyx12 4.0.0",
                    "baseline_segments_per_s": round(theirs), "ratio": round(ours / theirs, 1),
                }))  # fmt: skip
                sys.stdout.flush()


if __name__ == "__main__":
    main()
