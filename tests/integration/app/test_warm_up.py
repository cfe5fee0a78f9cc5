"""Flows load their code lists in the background once the engine listens, not in the first commit."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import ClassVar

from careweave.app import build_application
from careweave.app.registries import builtin_registries
from careweave.config import parse_settings
from careweave.flows.base import BaseFlow
from careweave.flows.services import FlowServices
from careweave.model.base import BusinessEvent
from careweave.model.clinical import PatientAdmitted
from careweave.model.flow import FlowOutput

SETTINGS = """
[engine]
data_dir = "{data_dir}"
log_level = "error"

[[channels]]
name = "ehr"
mapping = "hl7v2-clinical"
flows = ["{flow}"]
source = {{ type = "mllp", port = 0 }}
"""


class _Loading(BaseFlow):
    name: ClassVar[str] = "loading"
    handles: ClassVar[tuple[type[BusinessEvent], ...]] = (PatientAdmitted,)

    def __init__(self, fail: bool) -> None:
        self.fail = fail
        self.threads: list[str] = []

    def warm_up(self) -> None:
        self.threads.append(threading.current_thread().name)
        if self.fail:
            raise RuntimeError("code list unreachable")

    def run(self, event: BusinessEvent, out: FlowOutput) -> None:
        return None


async def _started(tmp_path: Path, fail: bool) -> _Loading:
    flow = _Loading(fail)
    registries = builtin_registries()

    def factory(_services: FlowServices) -> _Loading:
        return flow

    registries.flows.register("loading", factory)
    settings = parse_settings(SETTINGS.format(data_dir=tmp_path, flow="loading"))
    application = build_application(
        settings, settings_dir=tmp_path, env={}, registries=registries, middleware=[]
    )
    async with application:
        await application.start()
        listener = application.engine.listeners["ehr"]
        assert listener.port > 0  # listening while the flow loads
    return flow


async def test_each_flow_warms_up_once_in_a_worker_thread_after_start(tmp_path: Path) -> None:
    flow = await _started(tmp_path, fail=False)
    assert len(flow.threads) == 1 and flow.threads[0] != threading.main_thread().name


async def test_a_failing_warm_up_does_not_stop_the_engine(tmp_path: Path) -> None:
    flow = await _started(tmp_path, fail=True)
    assert len(flow.threads) == 1
