"""Master data follows its files while the engine runs (a crosswalk fix takes effect at once).

Master data is configuration under version control: ``careweave crosswalk add`` (or a commit and a
deploy) changes the files the settings' ``[masterdata]`` section names. A running engine watches
them: when one changes, it loads the master data again and rebuilds its channels' flows with it,
so the next message with a just-mapped code goes through instead of parking again. Flows keep no
state of their own (business state is in the store), which is what makes swapping them safe
between two messages. A file caught half-written, or one that no longer loads, is reported and
the engine keeps the master data it has.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

import structlog

from careweave.exceptions import CareweaveError
from careweave.masterdata.config import MasterDataConfig

log = structlog.get_logger("careweave.masterdata")

Signature = tuple[tuple[str, int, int], ...]
"""Each watched file's path, size and modification time in nanoseconds."""


def masterdata_files(config: MasterDataConfig, base_dir: Path) -> list[Path]:
    """The files a ``[masterdata]`` section names, resolved against ``base_dir``."""
    return [base_dir / name for name in config.files().values()]


def signature(paths: list[Path]) -> Signature:
    """What changes when any of ``paths`` is written, replaced or removed."""
    found: list[tuple[str, int, int]] = []
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            found.append((str(path), -1, -1))
            continue
        found.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


class MasterDataWatcher:
    """Polls the master-data files and calls ``reload`` when they change."""

    def __init__(
        self, paths: list[Path], reload: Callable[[], None], *, interval: float = 1.0
    ) -> None:
        self.paths = paths
        self.interval = interval
        self._reload = reload
        self._seen = signature(paths)
        self._task: asyncio.Task[None] | None = None
        self.reloads = 0
        """How many times the master data was reloaded (for tests and metrics)."""

    def check(self) -> bool:
        """Reload if a file changed since the last look; True when it reloaded."""
        now = signature(self.paths)
        if now == self._seen:
            return False
        try:
            self._reload()
        except CareweaveError as exc:
            # Keep the last good master data; look again at the next change.
            log.warning("master data not reloaded", error=str(exc))
            self._seen = now
            return False
        self._seen = now
        self.reloads += 1
        log.info("master data reloaded", files=len(self.paths))
        return True

    def start(self) -> None:
        """Start polling on the running loop."""
        if self._task is None and self.paths:
            self._task = asyncio.create_task(self._poll(), name="careweave-masterdata-watch")

    async def stop(self) -> None:
        """Stop polling."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.check()
