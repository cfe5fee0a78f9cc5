"""The crosswalk as a CSV file under version control: read it, append to it, write it back.

Columns: ``kind,code,item_number,effective_from,effective_to,version,source,added_by``. A bad row
is refused with its line number and column, never half-loaded: a crosswalk that silently lost a row
would park work that should flow.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from careweave.exceptions import CsvError
from careweave.masterdata.items import CodeKind, CrosswalkEntry

COLUMNS = (
    "kind",
    "code",
    "item_number",
    "effective_from",
    "effective_to",
    "version",
    "source",
    "added_by",
)
REQUIRED = ("kind", "code", "item_number", "effective_from")


def _date(text: str, line: int, column: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise CsvError(
            f"crosswalk line {line}, {column}: {text!r} is not a YYYY-MM-DD date"
        ) from None


def parse_crosswalk(text: str) -> list[CrosswalkEntry]:
    """Entries of a crosswalk CSV text; raises CsvError naming the line and column of a bad row."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if missing := [c for c in REQUIRED if c not in header]:
        raise CsvError(f"crosswalk header lacks column(s) {', '.join(missing)}")
    entries: list[CrosswalkEntry] = []
    for line, row in enumerate(reader, start=2):
        kind_text = (row.get("kind") or "").strip().lower()
        try:
            kind = CodeKind(kind_text)
        except ValueError:
            known = ", ".join(k.value for k in CodeKind)
            raise CsvError(
                f"crosswalk line {line}, kind: {kind_text!r} is not one of {known}"
            ) from None
        code, item = (row.get("code") or "").strip(), (row.get("item_number") or "").strip()
        if not code or not item:
            raise CsvError(f"crosswalk line {line}: code and item_number are required")
        end_text = (row.get("effective_to") or "").strip()
        version_text = (row.get("version") or "").strip() or "1"
        if not version_text.isdigit():
            raise CsvError(f"crosswalk line {line}, version: {version_text!r} is not a number")
        start = _date(row.get("effective_from") or "", line, "effective_from")
        end = _date(end_text, line, "effective_to") if end_text else None
        if end is not None and end < start:
            raise CsvError(f"crosswalk line {line}: effective_to {end} is before {start}")
        entries.append(
            CrosswalkEntry(
                kind=kind,
                code=code,
                item_number=item,
                effective_from=start,
                effective_to=end,
                version=int(version_text),
                source=(row.get("source") or "").strip() or "csv",
                added_by=(row.get("added_by") or "").strip(),
            )
        )
    return entries


def format_crosswalk(entries: Iterable[CrosswalkEntry]) -> str:
    """The CSV text of ``entries`` (stable order, so the file diffs well under version control)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for e in entries:
        writer.writerow(
            (
                e.kind.value,
                e.code,
                e.item_number,
                e.effective_from.isoformat(),
                e.effective_to.isoformat() if e.effective_to else "",
                e.version,
                e.source,
                e.added_by,
            )
        )
    return out.getvalue()


class CrosswalkFile:
    """A crosswalk CSV on disk; :meth:`save` replaces it atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> list[CrosswalkEntry]:
        """The entries in the file (none when it does not exist yet)."""
        if not self.path.exists():
            return []
        return parse_crosswalk(self.path.read_text(encoding="utf-8"))

    def save(self, entries: Iterable[CrosswalkEntry]) -> None:
        """Write every entry; a crash mid-write leaves the old file intact."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".crosswalk-", suffix=".csv")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(format_crosswalk(entries))
        os.replace(tmp, self.path)
