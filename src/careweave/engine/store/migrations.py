"""Numbered SQL migrations, one folder per backend (``sql/sqlite/0001_initial.sql`` ...)."""

from __future__ import annotations

import re
from importlib import resources

import msgspec


class Migration(msgspec.Struct, frozen=True):
    """One numbered migration file."""

    number: int
    name: str
    sql: str


def load_migrations(backend: str) -> list[Migration]:
    """The migrations of ``backend`` (``sqlite`` or ``postgres``) in order."""
    folder = resources.files("careweave.engine.store").joinpath("sql", backend)
    found: list[Migration] = []
    for entry in folder.iterdir():
        name = entry.name
        if not name.endswith(".sql"):
            continue
        number = int(name.split("_", 1)[0])
        found.append(
            Migration(number=number, name=name.removesuffix(".sql"), sql=entry.read_text())
        )
    return sorted(found, key=lambda m: m.number)


_TRIGGER_BODY = re.compile(r"^\s*CREATE\s+TRIGGER\b.*\bBEGIN\b", re.IGNORECASE | re.DOTALL)
_BODY_END = re.compile(r"\bEND\s*$", re.IGNORECASE)


def split_statements(sql: str) -> list[str]:
    """Split a migration into statements on semicolons (none inside our DDL strings).

    Two bodies hold semicolons of their own and stay whole: a PostgreSQL ``$$ ... $$`` function
    body and a SQLite ``CREATE TRIGGER ... BEGIN ...; END`` body.
    """
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    statements: list[str] = []
    current = ""
    # Even pieces lie outside $$ quotes, odd ones inside (kept verbatim with their quotes).
    for index, piece in enumerate("\n".join(lines).split("$$")):
        if index % 2:
            current += f"$${piece}$$"
            continue
        parts = piece.split(";")
        for part in parts[:-1]:
            current += part
            if _TRIGGER_BODY.match(current) and not _BODY_END.search(current):
                current += ";"
                continue
            statements.append(current)
            current = ""
        current += parts[-1]
    statements.append(current)
    return [s.strip() for s in statements if s.strip()]
