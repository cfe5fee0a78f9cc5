"""The catalog as Markdown (``careweave catalog --markdown OUT.md``): one table per kind of
interface, then each API group's routes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from careweave.gateway.catalog.document import Catalog, Governance


def _cell(value: object) -> str:
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    text = "" if value is None else str(value)
    # A pipe ends a cell and a newline a row: neither may reach the table as it is.
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ") or "-"


def _table(head: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines.extend("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows)
    return [*lines, ""]


_GOVERNANCE = ("owner", "SLA", "systems", "PHI", "version", "lifecycle")


def _governance(entry: Governance) -> list[object]:
    return [entry.owner, entry.sla, entry.systems, entry.phi, entry.version, entry.lifecycle]


def render_markdown(catalog: Catalog, *, title: str = "Integration catalog") -> str:
    """The whole catalog as one Markdown document."""
    out = [f"# {title}", ""]
    out += ["## Channels", ""]
    out += _table(
        ("channel", "source", "format", "message types", "feeds", "master data", *_GOVERNANCE),
        (
            [c.name, f"{c.source.type} {c.source.address}" + (" (TLS)" if c.source.tls else ""),
             c.format, c.message_types or "any", c.feeds, c.master_data, *_governance(c)]
            for c in catalog.channels
        ),
    )  # fmt: skip
    if catalog.flows:
        out += ["## Flows", ""]
        out += _table(
            ("flow", "channels", "sends to", "master data"),
            ([f.name, f.channels, f.sends_to, f.master_data] for f in catalog.flows),
        )
    out += ["## Destinations", ""]
    out += _table(
        ("destination", "channel", "connector", "target", "payload", "fed by", *_GOVERNANCE),
        (
            [d.name, d.channel, d.connector, d.target, d.payload, d.fed_by, *_governance(d)]
            for d in catalog.destinations
        ),
    )
    if catalog.event_streams:
        out += ["## Event streams", ""]
        out += _table(
            ("stream", "channel", "connector", "subjects", *_GOVERNANCE),
            (
                [s.name, s.channel, f"{s.connector} {s.stream}", s.subjects, *_governance(s)]
                for s in catalog.event_streams
            ),
        )
    if catalog.apis:
        out += ["## API groups", ""]
        out += _table(
            ("group", "layer", "routes", "sunset", "successor", *_GOVERNANCE),
            (
                [g.name, g.layer, len(g.routes), g.sunset, g.successor, *_governance(g)]
                for g in catalog.apis
            ),
        )
        for group in catalog.apis:
            out += [f"### {group.name} ({group.title})", "", group.description, ""]
            out += _table(
                ("method", "path", "scopes"),
                ([r.method, r.path, r.scopes or "public"] for r in group.routes),
            )
    return "\n".join(out).rstrip() + "\n"
