"""Issue 15, acceptance 2: ``/metrics``, scraped as Prometheus does, agrees with what the console
shows for the same store: the totals cards, each destination's queue and deliveries, open cases.

The console renders from its own reads of the store and the workers; the metrics come from the
engine's registry and its scrape-time store gauges: two paths over one state.
"""

from __future__ import annotations

import re
import time

import httpx

from tests.integration.console.site import ConsoleSite
from tests.integration.console.test_console_http import log_in

_SAMPLE = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")


def _samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    found = []
    for line in text.splitlines():
        if line.startswith("#") or not (match := _SAMPLE.match(line)):
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match["labels"] or ""))
        found.append((match["name"], labels, float(match["value"])))
    return found


def _sum(samples: list[tuple[str, dict[str, str], float]], name: str, **labels: str) -> float:
    return sum(
        v for n, ls, v in samples if n == name and all(ls.get(k) == x for k, x in labels.items())
    )


def _settled(client: httpx.Client) -> list[tuple[str, dict[str, str], float]]:
    deadline = time.monotonic() + 30
    while True:
        samples = _samples(client.get("/metrics").text)
        if _sum(samples, "careweave_queue_depth") == 0 or time.monotonic() > deadline:
            return samples
        time.sleep(0.1)


def test_metrics_agree_with_the_console_overview(site: ConsoleSite) -> None:
    with httpx.Client(base_url=site.base_url, timeout=30) as client:
        assert log_in(client, "ops").status_code in (302, 303)
        samples = _settled(client)
        page = client.get("/console").text

    cards = {
        label.strip(): int(number)
        for number, label in re.findall(r'<div class="card"><b>(\d+)</b>([^<]+)</div>', page)
    }
    assert {"messages", "in error", "parked", "delivered", "dead letters", "open cases"} <= set(
        cards
    )
    store_messages = _sum(samples, "careweave_store_messages")
    assert cards["messages"] == store_messages > 0
    assert cards["in error"] == _sum(samples, "careweave_store_messages", state="error")
    assert cards["parked"] == _sum(samples, "careweave_store_messages", state="parked")
    assert cards["delivered"] == _sum(samples, "careweave_store_effects", state="delivered") > 0
    assert cards["dead letters"] == _sum(samples, "careweave_store_effects", state="dead")
    assert cards["open cases"] == _sum(samples, "careweave_cases_open")

    # Each destination row: name, channel, connector, queue, delivered, dead, retries, ...
    rows = re.findall(
        r"<tr><td>(revenue-cycle|erp)</td><td>[^<]*</td><td>[^<]*</td><td>(\d+)</td><td>(\d+)</td>",
        page,
    )
    assert {name for name, _q, _d in rows} == {"revenue-cycle", "erp"}
    for name, queue, delivered in rows:
        assert int(queue) == _sum(samples, "careweave_queue_depth", destination=name)
        assert int(delivered) == _sum(
            samples, "careweave_effects_delivered_total", destination=name
        )
