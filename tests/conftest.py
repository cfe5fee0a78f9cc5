"""Shared fixtures: the real-world corpus and the real services.

Tests that need a service (PostgreSQL, NATS) are required when ``CI`` is set and skip with a
stated reason otherwise. The corpus under ``../shared/corpus`` is read in place, never copied.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("CAREWEAVE_CORPUS", ROOT.parent / "shared" / "corpus"))
POSTGRES_URL = os.environ.get(
    "CAREWEAVE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
NATS_URL = os.environ.get("CAREWEAVE_TEST_NATS_URL", "nats://127.0.0.1:4222")
IN_CI = bool(os.environ.get("CI"))


def corpus_path(*parts: str) -> Path:
    """A path inside the shared corpus; skips the calling test when the corpus is absent."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"corpus not found at {path} (set CAREWEAVE_CORPUS or check out ../shared)")
    return path


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Fail in CI, skip elsewhere, when a service the test needs is not listening."""
    if _reachable(host, port):
        return
    reason = f"{name} is not listening on {host}:{port}"
    if IN_CI:
        pytest.fail(f"{reason}; it is required when CI is set")
    pytest.skip(f"{reason} (required only when CI is set)")


@pytest.fixture
def corpus() -> Path:
    """The shared corpus folder."""
    return corpus_path()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """URL of the real PostgreSQL test database."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    yield POSTGRES_URL


@pytest.fixture
def nats_url() -> Iterator[str]:
    """URL of the real NATS JetStream server."""
    require_service("NATS", "127.0.0.1", 4222)
    yield NATS_URL


@pytest.fixture(autouse=True)
def _fresh_structlog() -> Iterator[None]:
    """Undo any logging configuration a test made (a CLI run configures structlog globally)."""
    yield
    import structlog

    structlog.reset_defaults()
