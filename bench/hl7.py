"""Benchmark: HL7 v2 parse plus ten field reads over the corpus, careweave beside python-hl7.

The work is in bench/hl7_codec.py; this entry point exists under the name the issue gives and keeps
its own folder off ``sys.path`` so that ``import hl7`` finds python-hl7, not this file.
Usage: python bench/hl7.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from bench.hl7_codec import main

if __name__ == "__main__":
    main()
