"""The master-data watcher: a changed file reloads, an unchanged one does not, a bad one is kept out."""

from __future__ import annotations

import os
from pathlib import Path

from careweave.app.reload import MasterDataWatcher, masterdata_files
from careweave.exceptions import ConfigError
from careweave.masterdata.config import MasterDataConfig


def test_only_a_change_reloads_and_a_failing_reload_keeps_the_last_good(tmp_path: Path) -> None:
    items = tmp_path / "items.csv"
    items.write_text("item_number\nA\n")
    calls: list[str] = []
    failing = False

    def reload() -> None:
        if failing:
            raise ConfigError("items.csv: missing column item_number")
        calls.append(items.read_text())

    watcher = MasterDataWatcher([items], reload, interval=0.01)
    assert watcher.check() is False and calls == []
    items.write_text("item_number\nA\nB\n")
    assert watcher.check() is True and calls == ["item_number\nA\nB\n"]
    assert watcher.check() is False, "the same files again: nothing to do"
    failing = True
    items.write_text("broken\n")
    assert watcher.check() is False and watcher.reloads == 1
    failing = False
    stat = items.stat()
    os.utime(items, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert watcher.check() is True and watcher.reloads == 2


def test_a_removed_file_counts_as_a_change(tmp_path: Path) -> None:
    items = tmp_path / "items.csv"
    items.write_text("x\n")
    reloaded: list[int] = []
    watcher = MasterDataWatcher([items], lambda: reloaded.append(1))
    items.unlink()
    assert watcher.check() is True and reloaded == [1]


def test_the_watched_files_are_those_the_section_names(tmp_path: Path) -> None:
    config = MasterDataConfig(items="md/items.csv", crosswalk="md/crosswalk.csv")
    assert masterdata_files(config, tmp_path) == [
        tmp_path / "md/items.csv",
        tmp_path / "md/crosswalk.csv",
    ]
