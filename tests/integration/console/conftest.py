"""The console site, shared by the tests of this folder (building and seeding it takes seconds)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.console.site import ConsoleSite, start_site, stop_site


@pytest.fixture(scope="package")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleSite]:
    """The running application with its console, seeded with one item-miss case."""
    running = start_site(tmp_path_factory.mktemp("console"))
    try:
        yield running
    finally:
        stop_site(running)
