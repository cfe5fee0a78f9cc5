"""The HL7 v2 files of the shared corpus, and the ones that are not parseable messages."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import corpus_names, corpus_path

COLLECTIONS = ("ms-fhir-converter", "cdc-trusted-intermediary", "python-package-tests")

# Files that are deliberately not HL7 messages: negative fixtures of the test suites they come
# from, or documents about a message. Each must fail with Hl7ParseError naming the place below.
NOT_MESSAGES: dict[str, str] = {
    # An annotated copy: prose notes follow the segments.
    "cdc-trusted-intermediary/examples/TN/001_TN_ORU_R01_LRI_annotated_for_transformation.hl7": (
        "segment 6 'Rem': invalid segment id"
    ),
    # OBR-4 is broken by a raw line feed, and LF is this file's segment separator.
    "cdc-trusted-intermediary/examples/TX/001_TX_OML_O21.hl7": "segment 6 'pan': invalid segment id",
    "cdc-trusted-intermediary/examples/Test/Message/empty.hl7": "message is empty",
    "cdc-trusted-intermediary/examples/Test/Message/msh_present_but_missing_all_fields.hl7": (
        "MSH-2 encoding characters are missing"
    ),
    "cdc-trusted-intermediary/examples/Test/Message/msh_present_but_missing_msh-2.hl7": (
        "MSH-2 encoding characters are missing"
    ),
    "python-package-tests/hl7apy-1.3.5/014_NA_9c53d8b714.hl7": (
        "MSH-2 encoding characters are missing"
    ),
    "python-package-tests/hl7apy-1.3.5/016_NA_04df23563d.hl7": "has more than 5 encoding characters",
    "python-package-tests/hl7apy-1.3.5/017_NA_19f34c306a.hl7": "has more than 5 encoding characters",
    "python-package-tests/hl7apy-1.3.5/020_ADT_A01_5de084b4ab.hl7": "repeats a delimiter",
    "python-package-tests/hl7apy-1.3.5/021_ADT_A01_53dc6ef912.hl7": (
        "has more than 5 encoding characters"
    ),
    "python-package-tests/hl7parser-0.7.4/006_NA_f83bb7c74b.hl7": (
        "has more than 5 encoding characters"
    ),
}


def hl7_root() -> Path:
    """The corpus hl7v2 folder (skips the caller when the corpus is absent)."""
    return corpus_path("hl7v2")


def parseable_names() -> list[str]:
    """For parametrize: the message files of the three collections, relative to the hl7v2 folder.

    Safe at collection: without the corpus it is one placeholder, reported inside the test.
    """
    return corpus_names(
        "hl7v2",
        pattern="**/*.hl7",
        keep=lambda name: name.split("/")[0] in COLLECTIONS and name not in NOT_MESSAGES,
    )


def hl7_files() -> list[Path]:
    """Every ``*.hl7`` file of the three collections, sorted."""
    root = hl7_root()
    return sorted(p for name in COLLECTIONS for p in (root / name).rglob("*.hl7"))


def relative(path: Path) -> str:
    """The path relative to the hl7v2 folder, as used in NOT_MESSAGES."""
    return path.relative_to(hl7_root()).as_posix()


def is_batch(data: bytes) -> bool:
    """True for a batch file (FHS/BHS envelope)."""
    return data.lstrip(b"\xef\xbb\xbf").lstrip()[:3] in (b"FHS", b"BHS")
