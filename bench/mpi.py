"""Patient matching: careweave's matcher beside recordlinkage 0.16 on the sandbox's duplicates.

Both get the same records, normalised the same way (careweave's normalisation: folded names,
eight-digit dates, ten-digit phones, five-digit postcodes, last four of the SSN), so the
comparison is of the linkage, not of the cleaning. recordlinkage runs the textbook set-up: the
union of four blocks, Jaro-Winkler on names and street, exact agreement on the rest, and its
ECM classifier (unsupervised Fellegi-Sunter, EM). Precision and recall are pairwise over the
clusters the links form (transitive closure), against the set's truth. Prints one JSON line.

    .venv/bin/python bench/mpi.py [--people 7800] [--seed 10]
"""

from __future__ import annotations

import os
import sys

# Keep this folder off sys.path (bench/queue.py would shadow the standard library's queue).
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

import argparse
import json
import time
from collections.abc import Iterable, Sequence
from typing import Any

from careweave.masterdata.identity import PatientMatcher, PatientRecord, PreparedRecord
from careweave.masterdata.identity.clusters import PatientClusters
from careweave.masterdata.identity.names import soundex
from careweave.sandbox.identity import generate_duplicate_set, linkage_quality


def clusters_of(
    records: Sequence[PreparedRecord], pairs: Iterable[tuple[int, int]]
) -> dict[str, str]:
    """Record id -> cluster label, for links given as index pairs."""
    clusters = PatientClusters(len(records))
    for i, j in pairs:
        clusters.join(i, j)
    return {r.id: records[clusters.find(r.index)].id for r in records}


def direct(pairs: Sequence[tuple[str, str]], truth: dict[str, str]) -> dict[str, float]:
    """Precision of the links themselves and the share of true pairs linked directly."""
    true_pairs = sum(n * (n - 1) // 2 for n in _sizes(truth).values())
    correct = sum(truth[a] == truth[b] for a, b in pairs)
    return {
        "direct_precision": round(correct / len(pairs), 4) if pairs else 1.0,
        "direct_recall": round(correct / true_pairs, 4) if true_pairs else 1.0,
    }


def _sizes(truth: dict[str, str]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for cluster in truth.values():
        sizes[cluster] = sizes.get(cluster, 0) + 1
    return sizes


def with_recordlinkage(records: Sequence[PreparedRecord]) -> dict[str, Any]:
    """recordlinkage's blocking, comparison and ECM classifier on the same normalised records."""
    try:
        import pandas as pd
        import recordlinkage
    except ImportError as exc:
        return {"skipped": f"recordlinkage not installed ({exc.name}): .uv/bin/uv sync --dev"}
    frame = pd.DataFrame(
        {
            "given": [r.given for r in records],
            "family": [r.family for r in records],
            "given_sound": [soundex(r.given) for r in records],
            "family_sound": [
                soundex(r.family_tokens[0]) if r.family_tokens else "" for r in records
            ],
            "birth_date": [r.birth_date for r in records],
            "birth_year": [r.birth_date[:4] for r in records],
            "sex": [r.sex for r in records],
            "street": [r.street for r in records],
            "postcode": [r.postcode for r in records],
            "phone": [r.phone for r in records],
            "ssn4": [r.ssn4 for r in records],
        }
    ).replace("", None)
    started = time.perf_counter()
    indexer = recordlinkage.Index()
    indexer.block("birth_date")
    indexer.block(["given_sound", "family_sound"])
    indexer.block("phone")
    indexer.block(["ssn4", "birth_year"])
    candidates = indexer.index(frame)
    compare = recordlinkage.Compare()
    compare.string("given", "given", method="jarowinkler", threshold=0.85, label="given")
    compare.string("family", "family", method="jarowinkler", threshold=0.85, label="family")
    compare.exact("birth_date", "birth_date", label="birth_date")
    compare.exact("sex", "sex", label="sex")
    compare.string("street", "street", method="jarowinkler", threshold=0.9, label="street")
    compare.exact("postcode", "postcode", label="postcode")
    compare.exact("phone", "phone", label="phone")
    compare.exact("ssn4", "ssn4", label="ssn4")
    features = compare.compute(candidates, frame)
    links = recordlinkage.ECMClassifier(binarize=0.5).fit_predict(features)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        "records_per_s": round(len(records) / seconds),
        "pairs_compared": len(candidates),
        "links": len(links),
        "pairs": [(int(i), int(j)) for i, j in links],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=7800)
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args()
    duplicates = generate_duplicate_set(args.people, args.seed)
    raw = [PatientRecord.from_row(row) for row in duplicates.rows]

    matcher = PatientMatcher()
    started = time.perf_counter()
    result = matcher.match(raw)
    seconds = time.perf_counter() - started
    ours = linkage_quality(result.cluster_ids(), duplicates.truth)
    reviews = len(result.review_queue())

    theirs = with_recordlinkage(result.records)
    figures: dict[str, Any] = {
        "bench": "mpi",
        "records": len(raw),
        "people": args.people,
        "seed": args.seed,
        "true_pairs": ours.true_pairs,
        "careweave": {
            "seconds": round(seconds, 2),
            "records_per_s": round(len(raw) / seconds),
            "pairs_compared": result.candidates,
            "stages_s": {k: round(v, 2) for k, v in result.seconds.items()},
            "precision": round(ours.precision, 4),
            "recall": round(ours.recall, 4),
            "to_review": reviews,
            **direct(
                [(p.a, p.b) for p in result.pairs if p.decision.value == "link"], duplicates.truth
            ),
        },
    }
    if "pairs" in theirs:
        pairs = theirs.pop("pairs")
        quality = linkage_quality(clusters_of(result.records, pairs), duplicates.truth)
        theirs |= {"precision": round(quality.precision, 4), "recall": round(quality.recall, 4)}
        ids = [(result.records[i].id, result.records[j].id) for i, j in pairs]
        theirs |= direct(ids, duplicates.truth)
        figures["speed_ratio"] = round(
            figures["careweave"]["records_per_s"] / theirs["records_per_s"], 2
        )
    figures["recordlinkage"] = theirs
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
