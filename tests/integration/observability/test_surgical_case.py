"""One surgical case through the example health system, traced and measured (issue 15, acceptance 2, 3).

The example's settings on free ports, its simulators (revenue-cycle platform, cloud ERP, archive)
in this process, the engine built by the composition root as ``careweave run`` builds it, and
surgical cases (admission, pacemaker implant with its charges, discharge) sent over MLLP:

- the in-memory span exporter sees, for the implant's message, one trace whose id is the one stored
  with the message: receipt, the store commit, decode, mapping, the flows, and every delivery of its
  effects, the GL journals to the ERP included, each with its timings;
- ``/metrics`` scraped from the engine's own port agrees with the store's counts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from bench._cases import surgical_cases
from careweave.app import Application, build_application
from careweave.app.analytics import business_analytics
from careweave.config import Settings, load_settings
from careweave.connectors.mllp import MllpClient
from careweave.masterdata.files import load_master_data
from careweave.model.erp import JOURNAL
from careweave.model.records import EffectState, MessageQuery
from careweave.observability.config import TracingConfig
from careweave.observability.tracing import configure_tracing, disable_tracing, root_span_id
from careweave.sandbox.erp.config import DEMO_CLIENT_SECRET
from careweave.sandbox.stack import SandboxStack, plan_simulators
from tests.integration.api.example import EXAMPLE_API_PORT, EXAMPLE_API_SECRETS
from tests.integration.engine.helpers import free_port

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "health-system"
PORTS = {"mllp": 27575, "rcm": 27580, "erp": 27590, "api": EXAMPLE_API_PORT}
CASES = 3


def example_copy(folder: Path) -> Path:
    """The example's settings and master data under ``folder``, on free ports, metrics served."""
    shutil.copytree(EXAMPLE / "masterdata", folder / "masterdata")
    text = (EXAMPLE / "careweave.toml").read_text()
    for port in PORTS.values():
        text = text.replace(str(port), str(free_port()))
    text = text.replace('"var/health-system', f'"{folder}/data')
    text += "\n[metrics]\nport = 0\n"
    config = folder / "careweave.toml"
    config.write_text(text)
    return config


@dataclass
class Day:
    settings: Settings
    application: Application
    spans: InMemorySpanExporter

    @property
    def mllp_port(self) -> int:
        return self.application.engine.listeners["ehr"].port

    @property
    def metrics_port(self) -> int:
        server = self.application.engine.metrics_server
        assert server is not None
        return server.port


@pytest.fixture(scope="module")
def stack_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Settings]]:
    folder = tmp_path_factory.mktemp("surgical")
    config = example_copy(folder)
    settings = load_settings(config)
    masterdata = load_master_data(
        settings.masterdata,
        base_dir=folder,
        on=settings.masterdata.as_of or dt.datetime.now(dt.UTC).date(),
        source=str(config),
    )
    stack = SandboxStack(plan_simulators(settings), masterdata=masterdata)
    stack.start()
    try:
        yield config, settings
    finally:
        stack.stop()


@pytest.fixture
async def day(stack_folder: tuple[Path, Settings]) -> AsyncIterator[Day]:
    config, settings = stack_folder
    spans = InMemorySpanExporter()
    provider = configure_tracing(TracingConfig(enabled=True), exporter=spans)
    assert provider is not None
    application = build_application(
        settings,
        settings_dir=config.parent,
        env={"CAREWEAVE_ERP_SECRET": DEMO_CLIENT_SECRET, **EXAMPLE_API_SECRETS},
    )
    try:
        async with application:
            await application.start()
            yield Day(settings, application, spans)
    finally:
        disable_tracing()
        provider.shutdown()


async def send_cases(day: Day, first: int) -> list[str]:
    """Send cases numbered from ``first`` over MLLP; returns the DFT^P03 control ids."""
    cases = surgical_cases(CASES, seed=5, first=first)
    async with MllpClient("127.0.0.1", day.mllp_port) as client:
        for case in cases:
            for message in case.messages:
                await client.send(message)
    return [case.procedure_control_id for case in cases]


async def settled(day: Day, timeout: float = 90.0) -> dict[str, int]:
    """The store's counts once no effect is open."""
    store = day.application.engine.store
    deadline = time.monotonic() + timeout
    while True:
        counts = await store.counts()
        if counts.get("effects.pending", 0) + counts.get("effects.in_flight", 0) == 0:
            return counts
        assert time.monotonic() < deadline, f"effects still open: {counts}"
        await asyncio.sleep(0.2)


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def total(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **want: str
) -> float:
    return sum(
        value
        for (metric, labels), value in samples.items()
        if metric == name and all(dict(labels).get(k) == v for k, v in want.items())
    )


async def test_one_trace_from_receipt_to_the_gl_journal(day: Day) -> None:
    control_ids = await send_cases(day, first=0)
    await settled(day)
    store = day.application.engine.store
    [implant] = await store.list_messages(MessageQuery(text=control_ids[0]))
    lineage = await store.lineage(implant.id)
    journals = [e for e in lineage.effects if e.content_type == JOURNAL]
    assert journals and all(e.state is EffectState.DELIVERED for e in journals)

    trace_id = int(implant.trace_id, 16)
    mine: list[ReadableSpan] = [
        s
        for s in day.spans.get_finished_spans()
        if s.context is not None and s.context.trace_id == trace_id
    ]
    names = [s.name for s in mine]
    for hop in ("receive", "store commit", "decode", "mapping", "flows"):
        assert hop in names, f"no {hop!r} span in {names}"
    assert any(n.startswith("flow ") for n in names), names
    # Every effect of the message has its delivery in the trace, the journals' too.
    delivered = {int(s.attributes["effect_id"]) for s in mine if s.name.startswith("deliver ")}  # type: ignore[index,arg-type]
    assert {e.id for e in lineage.effects} <= delivered
    assert {e.id for e in journals} <= delivered
    journal_spans = [
        s for s in mine if s.attributes and s.attributes.get("content_type") == JOURNAL
    ]
    assert {s.name for s in journal_spans} == {"deliver erp"}
    # One tree: the receipt is the root, everything else hangs from it.
    [root] = [s for s in mine if s.name == "receive"]
    assert root.parent is None
    assert root.context is not None and root.context.span_id == root_span_id(implant.trace_id)
    by_id = {s.context.span_id: s for s in mine if s.context is not None}
    for span in mine:
        if span is not root:
            assert span.parent is not None and span.parent.span_id in by_id, span.name
    # With timings: each span ends after it starts, the deliveries after the commit.
    for span in mine:
        assert span.start_time is not None and span.end_time is not None
        assert span.end_time >= span.start_time
    commit = next(s for s in mine if s.name == "store commit")
    assert all(
        s.start_time >= commit.end_time  # type: ignore[operator]
        for s in mine
        if s.name.startswith("deliver ")
    )


async def test_metrics_agree_with_the_store(day: Day) -> None:
    before = await day.application.engine.store.counts()
    await send_cases(day, first=100)
    counts = await settled(day)
    samples = await asyncio.to_thread(scrape, day.metrics_port)
    # The gauges say what the whole store holds; the counters what this engine did since it
    # started (the module's other test may have used the same store before).
    assert total(samples, "careweave_queue_depth") == 0
    assert (
        total(samples, "careweave_store_effects", state="delivered") == counts["effects.delivered"]
    )
    assert total(samples, "careweave_store_effects", state="dead") == counts.get("effects.dead", 0)
    for state in ("processed", "parked", "error", "filtered"):
        assert total(samples, "careweave_store_messages", state=state) == counts.get(
            f"messages.{state}", 0
        )
    received = total(samples, "careweave_messages_received_total")
    assert received == CASES * 3
    assert total(samples, "careweave_messages_stored_total", state="processed") == received
    assert total(samples, "careweave_messages_duplicate_total") == 0
    delivered = total(samples, "careweave_effects_delivered_total")
    assert delivered == counts["effects.delivered"] - before.get("effects.delivered", 0) > 0
    assert total(samples, "careweave_effects_delivered_total", destination="erp") > 0
    assert total(samples, "careweave_effects_dead_total") == 0
    # The delivery histogram saw every attempt that was delivered.
    assert (
        total(samples, "careweave_effect_delivery_seconds_count", outcome="delivered") == delivered
    )
    # The business gauges say what the console's analytics say.
    analytics = await business_analytics(day.application.engine.store)
    lines = sum(group.lines for group in analytics.charge_lag_by_category)
    assert total(samples, "careweave_charges_captured") == lines > 0
    late = sum(group.late for group in analytics.charge_lag_by_category)
    assert total(samples, "careweave_charges_late") == late
