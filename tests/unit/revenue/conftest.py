"""Fixtures of the revenue-cycle tests: a fake clock and the real ICD-10-CM list (loaded once)."""

from __future__ import annotations

import datetime as dt

import pytest

from careweave.engine.clock import ManualClock
from careweave.revenue.diagnoses import Icd10CmCodeSet

NOW = dt.datetime(2026, 3, 10, 15, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def icd10() -> Icd10CmCodeSet:
    """The official ICD-10-CM list from simple-icd-10-cm; loading takes about two seconds."""
    return Icd10CmCodeSet()


@pytest.fixture
def clock() -> ManualClock:
    """The engine's manual clock, stopped at NOW."""
    return ManualClock(NOW)
