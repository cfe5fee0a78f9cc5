"""Shared fixtures: the real-world corpus and the real services.

One rule for whatever a test needs from outside the repository (the corpus, PostgreSQL, NATS): when
it is missing, the test skips with the reason, inside the test, never at import or collection; when
``CI`` is set, the test fails instead. :func:`unavailable` is that rule.

The corpus is read in place, never copied, from ``CAREWEAVE_CORPUS_DIR`` (default ``../shared/corpus``
beside the repository). The services are found at ``CAREWEAVE_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``, trust authentication) and ``CAREWEAVE_TEST_NATS_URL``
(default ``nats://127.0.0.1:4222``). Every one is read when a test asks, not at import.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent

CORPUS_MISSING = "corpus-missing"
"""The one name :func:`corpus_names` gives a parametrized test when the corpus has no files for it."""

SERVICES: dict[str, tuple[str, str]] = {
    "PostgreSQL": ("CAREWEAVE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    "NATS": ("CAREWEAVE_TEST_NATS_URL", "nats://127.0.0.1:4222"),
}
"""Each service tests use: the variable naming its URL, and the local default."""

_DEFAULT_PORTS = {"postgresql": 5432, "postgres": 5432, "nats": 4222}


def in_ci() -> bool:
    """True when the ``CI`` environment variable is set (to anything but the empty string)."""
    return bool(os.environ.get("CI"))


def unavailable(reason: str) -> NoReturn:
    """Skip the calling test with ``reason``; fail it instead when ``CI`` is set."""
    if in_ci():
        pytest.fail(f"{reason}; it is required when CI is set", pytrace=False)
    pytest.skip(f"{reason} (required only when CI is set)")


def corpus_dir() -> Path:
    """Where the corpus is (it may be absent): ``CAREWEAVE_CORPUS_DIR`` or ``../shared/corpus``."""
    return Path(os.environ.get("CAREWEAVE_CORPUS_DIR") or ROOT.parent / "shared" / "corpus")


def corpus_path(*parts: str) -> Path:
    """A path inside the corpus, for a test or fixture to read: skips (fails in CI) when absent."""
    root = corpus_dir()
    if not root.is_dir():
        unavailable(
            f"the corpus is not at {root} (check out ../shared beside the repository, "
            "or set CAREWEAVE_CORPUS_DIR)"
        )
    path = root.joinpath(*parts)
    if not path.exists():
        unavailable(f"{path} is not in the corpus")
    return path


def corpus_names(
    *parts: str, pattern: str = "*", keep: Callable[[str], bool] = lambda _name: True
) -> list[str]:
    """Files under ``parts`` matching ``pattern``, as sorted posix paths relative to ``parts``.

    For ``pytest.mark.parametrize``, which runs at collection, so it neither skips nor fails: when
    the corpus is absent or no file is kept, it returns ``[CORPUS_MISSING]``, a name that the test's
    own :func:`corpus_path` call then reports missing (skip, or fail in CI) inside the test.
    """
    folder = corpus_dir().joinpath(*parts)
    names = (
        sorted(
            name
            for path in folder.glob(pattern)
            if path.is_file() and keep(name := path.relative_to(folder).as_posix())
        )
        if folder.is_dir()
        else []
    )
    return names or [CORPUS_MISSING]


def service_url(name: str) -> str:
    """The URL of service ``name`` (a key of :data:`SERVICES`): its variable, else the default."""
    variable, default = SERVICES[name]
    return os.environ.get(variable) or default


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require_service(name: str) -> str:
    """The URL of service ``name`` once it accepts connections; otherwise :func:`unavailable`."""
    url = service_url(name)
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
    if not _reachable(host, port):
        unavailable(
            f"{name} is not listening on {host}:{port} "
            f"(set {SERVICES[name][0]} to use another server)"
        )
    return url


@pytest.fixture
def corpus() -> Path:
    """The corpus folder."""
    return corpus_path()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """URL of the real PostgreSQL test database."""
    url = require_service("PostgreSQL")
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as exc:
        parts = urlsplit(url)
        unavailable(
            f"PostgreSQL on {parts.hostname}:{parts.port or 5432} refused database "
            f"{parts.path.lstrip('/') or '(default)'!r}: {str(exc).strip()} "
            f"(set {SERVICES['PostgreSQL'][0]})"
        )
    yield url


@pytest.fixture
def nats_url() -> Iterator[str]:
    """URL of the real NATS JetStream server."""
    yield require_service("NATS")


@pytest.fixture(autouse=True)
def _fresh_structlog() -> Iterator[None]:
    """Undo any logging configuration a test made (a CLI run configures structlog globally)."""
    yield
    from careweave.observability.logging import reset_logging

    reset_logging()  # structlog's defaults, and the root handler and hooks careweave installed
