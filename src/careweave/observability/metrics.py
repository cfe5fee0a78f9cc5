"""Prometheus metrics of one engine: counters it increments, gauges read from the store when scraped.

The engine owns one :class:`Metrics` (``engine.metrics``) with its own registry, so that two
engines in one process (tests, the demo) never mix their numbers. What it counts:

- per channel: messages received (every frame or request, duplicates included), stored by state
  (``processed``, ``parked``, ``filtered``, ``error``), duplicates, errors, and the seconds from
  receipt to commit;
- per destination: effects delivered, retried and dead (counted once the outcome is recorded in
  the store, so they agree with it), the seconds one delivery takes, and the seconds from the
  effect's creation to its delivery;
- at scrape time, from the store through the callbacks the engine registers
  (:meth:`Metrics.on_scrape`): queue depth per destination, messages and effects by state, open
  exception cases, and the business figures the application adds.

Counting is cheap: each label set's child is looked up once and kept, so a message costs a dict
lookup and an uncontended increment; nothing is read from the store until someone scrapes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds: receipt to commit, one delivery."""
LAG_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 14400.0, 86400.0)
"""Seconds from an effect's creation to its delivery: retries make it minutes or hours."""

ScrapeHook = Callable[["Metrics"], Awaitable[None]]
"""Reads what it reports (the store) and sets gauges; run on each scrape."""


class Metrics:
    """The engine's metrics, in one registry of their own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.received = Counter(
            "careweave_messages_received",
            "Messages received per channel (duplicates included).",
            ["channel"],
            registry=r,
        )
        self.stored = Counter(
            "careweave_messages_stored",
            "Messages committed per channel and the state they were stored in.",
            ["channel", "state"],
            registry=r,
        )
        self.duplicates = Counter(
            "careweave_messages_duplicate",
            "Messages recognised as already received (acknowledged again, not processed).",
            ["channel"],
            registry=r,
        )
        self.errors = Counter(
            "careweave_messages_errors",
            "Messages stored in error per channel.",
            ["channel"],
            registry=r,
        )
        self.ingest_seconds = Histogram(
            "careweave_message_ingest_seconds",
            "Seconds from receipt to commit (the acknowledgement follows).",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.delivered = Counter(
            "careweave_effects_delivered",
            "Effects delivered per destination.",
            ["destination"],
            registry=r,
        )
        self.retries = Counter(
            "careweave_effects_retried",
            "Delivery attempts that failed and will be retried, per destination.",
            ["destination"],
            registry=r,
        )
        self.dead = Counter(
            "careweave_effects_dead",
            "Effects that became dead letters per destination.",
            ["destination"],
            registry=r,
        )
        self.delivery_seconds = Histogram(
            "careweave_effect_delivery_seconds",
            "Seconds one delivery attempt took, per destination and outcome.",
            ["destination", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.effect_lag_seconds = Histogram(
            "careweave_effect_lag_seconds",
            "Seconds from an effect's creation (its message's commit) to its delivery.",
            ["destination"],
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge(
            "careweave_queue_depth",
            "Effects waiting for delivery (pending or in flight) per destination, read at scrape.",
            ["destination"],
            registry=r,
        )
        self.messages = Gauge(
            "careweave_store_messages",
            "Messages in the store by state, read at scrape.",
            ["state"],
            registry=r,
        )
        self.effects = Gauge(
            "careweave_store_effects",
            "Effects in the store by state, read at scrape.",
            ["state"],
            registry=r,
        )
        self.cases_open = Gauge(
            "careweave_cases_open",
            "Open exception cases per owning team and reason, read at scrape.",
            ["team", "reason"],
            registry=r,
        )
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        self._hooks: list[ScrapeHook] = []

    def _child(self, metric: Any, *labels: str) -> Any:
        # prometheus_client's labels() takes the metric's lock and builds a key on every call;
        # the child it returns is kept here, so a message costs one dict lookup.
        key = (id(metric), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    # -- what the engine counts -----------------------------------------------------------------

    def message_received(self, channel: str) -> None:
        """A frame or request arrived on ``channel``."""
        self._child(self.received, channel).inc()

    def message_committed(
        self, channel: str, state: str, *, duplicate: bool, seconds: float
    ) -> None:
        """A received message was committed in ``state`` (or recognised as a duplicate)."""
        if duplicate:
            self._child(self.duplicates, channel).inc()
            return
        self._child(self.stored, channel, state).inc()
        if state == "error":
            self._child(self.errors, channel).inc()
        self._child(self.ingest_seconds, channel).observe(seconds)

    def delivery_attempted(self, destination: str, outcome: str, seconds: float) -> None:
        """One delivery attempt ended (``delivered``, ``retry`` or ``dead``)."""
        self._child(self.delivery_seconds, destination, outcome).observe(seconds)

    def effect_delivered(self, destination: str, lag: float) -> None:
        """An effect was delivered ``lag`` seconds after it was created."""
        if lag >= 0:  # a clock set back must not fail a delivery
            self._child(self.effect_lag_seconds, destination).observe(lag)

    def outcome_recorded(self, destination: str, outcome: str) -> None:
        """An attempt's outcome (``delivered``, ``retry``, ``dead``) is in the store."""
        if outcome == "delivered":
            self._child(self.delivered, destination).inc()
        elif outcome == "retry":
            self._child(self.retries, destination).inc()
        elif outcome == "dead":
            self._child(self.dead, destination).inc()

    # -- scraping -------------------------------------------------------------------------------

    def on_scrape(self, hook: ScrapeHook) -> None:
        """Run ``hook`` before each scrape (it reads the store and sets gauges)."""
        self._hooks.append(hook)

    async def refresh(self) -> None:
        """Run the scrape hooks: gauges then hold what the store says now."""
        for hook in self._hooks:
            await hook(self)

    def render(self) -> tuple[bytes, str]:
        """The exposition text of every metric as they stand, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    async def scrape(self) -> tuple[bytes, str]:
        """:meth:`refresh`, then :meth:`render`: what ``GET /metrics`` answers."""
        await self.refresh()
        return self.render()


def set_gauge(gauge: Gauge, values: dict[tuple[str, ...], float]) -> None:
    """Replace every label set of ``gauge`` by ``values`` (a label set no longer present goes)."""
    gauge.clear()
    for labels, value in values.items():
        gauge.labels(*labels).set(value)
