"""A folder as a channel's source: each file dropped in it becomes one stored message.

Clearinghouses, payers and older systems deliver by dropping files (835 remittances, 999 and 277CA
answers, nightly CSV extracts) into a folder, often the end of an SFTP transfer. The source polls
the folder; a file is taken once it has not changed for ``min_age`` seconds (a writer still copying
it is left alone), handed to the engine, and moved to ``processed/`` only after the engine has
committed it. A crash between the commit and the move re-reads the file at the next poll: its dedup
key (the file's name and SHA-256) makes it a duplicate, which is moved on without a second message.
A file the engine cannot store (the database is down) stays where it is and is tried again. A file
larger than ``max_bytes`` is stored in error with its first ``max_bytes`` bytes and the reason, and
moved to ``error/``: nothing is dropped silently, and no file blocks those behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import msgspec
import structlog

log = structlog.get_logger("careweave.file_source")


class FileSourceConfig(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag="file",
    tag_field="type",
):
    """A folder polled for files, each one message."""

    directory: Annotated[str, msgspec.Meta(min_length=1)]
    """The folder to read (relative to the settings file's folder)."""
    pattern: Annotated[str, msgspec.Meta(min_length=1)] = "*"
    """Glob of the file names to take (``*.835``); others are left alone."""
    poll_interval: Annotated[float, msgspec.Meta(gt=0)] = 2.0
    """Seconds between two looks at the folder."""
    min_age: Annotated[float, msgspec.Meta(ge=0)] = 1.0
    """Seconds a file must be unchanged before it is taken (a copy in progress is not)."""
    processed_dir: Annotated[str, msgspec.Meta(min_length=1)] = "processed"
    """Where a stored file goes (relative to ``directory``)."""
    error_dir: Annotated[str, msgspec.Meta(min_length=1)] = "error"
    """Where a file too large to store whole goes (relative to ``directory``)."""
    max_bytes: Annotated[int, msgspec.Meta(ge=1)] = 52_428_800
    """Largest file stored whole."""
    content_type: str = ""
    """Content type stored with each message (empty: from the channel's format)."""

    @property
    def port(self) -> int:
        """A folder listens on no port (0, like an MLLP source that picks its own)."""
        return 0


FileHandler = Callable[[bytes, str, str], Awaitable[bool]]
"""``(raw, file name, dedup key)``: store the file as a message; True once committed (new or a
duplicate), False when it could not be stored (leave the file, try again)."""

FragmentHandler = Callable[[bytes, str, str], Awaitable[None]]
"""``(first bytes, file name, reason)``: store what could not be stored whole, in error."""


@dataclass
class FileSourceStats:
    """What the source did since it started."""

    polls: int = 0
    stored: int = 0
    """Files committed (new messages or duplicates) and moved to ``processed``."""
    oversized: int = 0
    retries: int = 0
    """Times a file could not be stored and was left for the next poll."""


def _unique(target: Path) -> Path:
    """``target``, or ``name.1``, ``name.2`` ... when a file of that name was moved there before."""
    if not target.exists():
        return target
    n = 1
    while (candidate := target.with_name(f"{target.name}.{n}")).exists():
        n += 1
    return candidate


class FileSource:
    """Polls one folder for one channel."""

    def __init__(
        self,
        config: FileSourceConfig,
        directory: Path,
        handler: FileHandler,
        fragments: FragmentHandler,
    ) -> None:
        self.config = config
        self.directory = directory
        self._handler = handler
        self._fragments = fragments
        self.stats = FileSourceStats()
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._polling = (
            asyncio.Lock()
        )  # the loop and a caller's poll_once never take one file twice

    async def start(self) -> None:
        """Create the folders and start polling."""
        for folder in (self.directory, self._processed, self._errors):
            folder.mkdir(parents=True, exist_ok=True)
        self._task = asyncio.create_task(self._loop(), name=f"file-source:{self.directory}")

    async def stop(self) -> None:
        """Stop polling (a file being stored finishes first)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def poke(self) -> None:
        """Look at the folder now instead of at the next poll."""
        self._wake.set()

    @property
    def _processed(self) -> Path:
        return self.directory / self.config.processed_dir

    @property
    def _errors(self) -> Path:
        return self.directory / self.config.error_dir

    async def _loop(self) -> None:
        while True:
            try:
                await self.poll_once()
            except OSError as exc:  # the folder vanished or is unreadable: say so, keep polling
                log.error("cannot read folder", directory=str(self.directory), error=str(exc))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.config.poll_interval):
                    await self._wake.wait()

    def _ready(self) -> list[Path]:
        now = time.time()
        found: list[tuple[float, str, Path]] = []
        for path in self.directory.glob(self.config.pattern):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue  # taken by someone else meanwhile
            if path.is_file() and now - stat.st_mtime >= self.config.min_age:
                found.append((stat.st_mtime, path.name, path))
        return [path for _mtime, _name, path in sorted(found)]

    async def poll_once(self) -> int:
        """Take every ready file once, oldest first; returns how many were stored."""
        async with self._polling:
            self.stats.polls += 1
            stored = 0
            # File system calls run in a thread: a slow disk or a 50 MB file must not stall the loop.
            for path in await asyncio.to_thread(self._ready):
                if await self._take(path):
                    stored += 1
            return stored

    def _read(self, path: Path) -> tuple[bytes, int]:
        """The file's bytes (at most ``max_bytes``) and its size."""
        size = path.stat().st_size
        with path.open("rb") as handle:
            return handle.read(self.config.max_bytes), size

    async def _take(self, path: Path) -> bool:
        try:
            raw, size = await asyncio.to_thread(self._read, path)
        except FileNotFoundError:
            return False  # taken by someone else meanwhile
        limit = self.config.max_bytes
        if size > limit:
            reason = f"file {path.name} is {size} bytes, more than max_bytes ({limit}): stored cut"
            await self._fragments(raw, path.name, reason)
            await asyncio.to_thread(os.replace, path, _unique(self._errors / path.name))
            self.stats.oversized += 1
            log.warning("file too large", file=path.name, bytes=size, max_bytes=limit)
            return False
        key = f"file:{path.name}:{hashlib.sha256(raw).hexdigest()}"
        if not await self._handler(raw, path.name, key):
            self.stats.retries += 1
            return False
        await asyncio.to_thread(os.replace, path, _unique(self._processed / path.name))
        self.stats.stored += 1
        return True
