"""Numbered SQL migrations, one folder per backend (``sql/sqlite/0001_initial.sql`` ...)."""

from __future__ import annotations

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


def split_statements(sql: str) -> list[str]:
    """Split a migration into statements (no semicolons inside our DDL strings)."""
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
