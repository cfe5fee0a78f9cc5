"""Fixtures of the exception-workflow tests: each store backend, a webhook and a mail server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from careweave.engine.store.base import BaseStore
from careweave.testing import RecordingHttpServer
from tests.integration.casework.mailbox import SmtpServer
from tests.integration.store.conftest import StoreFactory


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """A factory of stores of each backend in turn (as in the store contract suite)."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    factory = StoreFactory(request.param, tmp_path, url)
    try:
        yield factory
    finally:
        await factory.cleanup()


@pytest.fixture
async def store(stores: StoreFactory) -> BaseStore:
    """An opened store of each backend in turn."""
    return await stores.open()


@pytest.fixture
def webhook() -> Iterator[RecordingHttpServer]:
    """A real HTTP server standing for a team's webhook receiver."""
    with RecordingHttpServer() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free local port."""
    with SmtpServer() as server:
        yield server
