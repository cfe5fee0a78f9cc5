"""HL7 v2 parse plus ten field reads over the corpus messages: careweave beside python-hl7.

Prints one JSON line per target. Run: ``.venv/bin/python bench/hl7_codec.py [--seconds 2]``.
(Not named ``hl7.py``: bench is not a package, so that name would shadow python-hl7 for mypy
and for the script itself.)
python-hl7 only splits on CR, so it is given each message with its separators turned into CR.
"""

from __future__ import annotations

import os
import sys

# Run as a script, this folder would come first on sys.path and bench/queue.py would shadow the
# standard library's queue module: keep the folder off sys.path and the repository root on it.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))  # own folder off sys.path, repository root on it

import argparse
import contextlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import hl7

from careweave.codecs.hl7v2 import parse_message
from careweave.exceptions import Hl7ParseError

CORPUS = Path(
    os.environ.get("CAREWEAVE_CORPUS_DIR")
    or Path(__file__).resolve().parents[2] / "shared" / "corpus"
)
PATHS = (
    "MSH-9.1",
    "MSH-10",
    "PID-3.1",
    "PID-5.1",
    "PID-5.2",
    "PID-7",
    "PID-8",
    "PV1-2",
    "PV1-3.1",
    "OBX-5",
)
# python-hl7's accessor spelling of the same paths.
HL7_KEYS = (
    "MSH.F9.R1.C1",
    "MSH.F10",
    "PID.F3.R1.C1",
    "PID.F5.R1.C1",
    "PID.F5.R1.C2",
    "PID.F7",
    "PID.F8",
    "PV1.F2",
    "PV1.F3.R1.C1",
    "OBX.F5",
)


def _load() -> list[bytes]:
    out = []
    for path in sorted((CORPUS / "hl7v2").rglob("*.hl7")):
        data = path.read_bytes()
        try:
            parse_message(data)
        except Hl7ParseError:
            continue
        out.append(data)
    return out


def _careweave(messages: list[bytes]) -> Callable[[], None]:
    def run() -> None:
        for data in messages:
            msg = parse_message(data)
            for path in PATHS:
                msg.get(path)

    return run


def _python_hl7(messages: list[bytes]) -> Callable[[], None]:
    texts = [
        m.decode("utf-8", "replace").lstrip("\ufeff").replace("\r\n", "\r").replace("\n", "\r")
        for m in messages
    ]

    def run() -> None:
        for text in texts:
            msg = hl7.parse(text)
            for key in HL7_KEYS:
                with contextlib.suppress(KeyError, IndexError):
                    msg[key]

    return run


def _rate(run: Callable[[], None], count: int, seconds: float) -> float:
    done = 0
    start = time.perf_counter()
    while True:
        run()
        done += count
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    messages = _load()
    ours = _rate(_careweave(messages), len(messages), args.seconds)
    theirs = _rate(_python_hl7(messages), len(messages), args.seconds)
    print(
        json.dumps(
            {
                "bench": "hl7",
                "target": "parse+10 reads",
                "messages": len(messages),
                "bytes": sum(len(m) for m in messages),
                "msgs_per_s": round(ours),
                "baseline": "python-hl7 0.4.5",
                "baseline_msgs_per_s": round(theirs),
                "ratio": round(ours / theirs, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
