"""Charts as inline SVG, drawn on the server: horizontal bars for categories, columns for time.

Each function takes labelled values and returns one ``<svg>`` element (escaped text, no script),
so a dashboard is HTML alone. Negative values (a loss, a variance under standard) draw left of a
zero line in another colour.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from careweave.gateway.console.html import Html, tag

BAR = "#1f6f8b"
NEGATIVE = "#b3261e"
SECOND = "#e0a030"
AXIS = "#8a97a3"


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.2f}"


def bars(
    rows: Sequence[tuple[str, float]],
    *,
    label: str,
    fmt: Callable[[float], str] = _number,
    width: int = 440,
) -> Html:
    """Horizontal bars, one a row, with their values written beside them."""
    if not rows:
        return tag("p", "no data yet", class_="muted")
    row_h, left, right = 22, 150, 80
    height = row_h * len(rows) + 10
    low = min(0.0, *(v for _, v in rows))
    high = max(0.0, *(v for _, v in rows))
    span = (high - low) or 1.0
    plot = width - left - right
    zero = left + plot * (-low / span)
    parts = []
    for i, (name, value) in enumerate(rows):
        y = 5 + i * row_h
        x0 = left + plot * ((min(value, 0.0) - low) / span)
        w = max(plot * abs(value) / span, 1.0 if value else 0.0)
        parts.append(tag("text", name[:22], x=left - 6, y=y + 15, text_anchor="end"))
        parts.append(
            tag(
                "rect",
                tag("title", f"{name}: {fmt(value)}"),
                x=f"{x0:.1f}",
                y=y + 3,
                width=f"{w:.1f}",
                height=row_h - 6,
                fill=NEGATIVE if value < 0 else BAR,
            )
        )
        parts.append(tag("text", fmt(value), x=f"{max(x0 + w, zero) + 4:.1f}", y=y + 15))
    parts.append(tag("line", x1=f"{zero:.1f}", x2=f"{zero:.1f}", y1=0, y2=height, stroke=AXIS))
    return tag(
        "svg",
        *parts,
        viewBox=f"0 0 {width} {height}",
        width="100%",
        role="img",
        aria_label=label,
        font_size="12",
        xmlns="http://www.w3.org/2000/svg",
    )


def paired_bars(
    rows: Sequence[tuple[str, float, float]],
    *,
    label: str,
    names: tuple[str, str],
    width: int = 440,
) -> Html:
    """Two values per row side by side (within SLA and overdue, for instance), with a legend."""
    if not rows:
        return tag("p", "no data yet", class_="muted")
    row_h, left, right = 30, 150, 60
    height = row_h * len(rows) + 26
    high = max(1.0, *(max(a, b) for _, a, b in rows))
    plot = width - left - right
    parts = [
        tag("rect", x=left, y=2, width=10, height=10, fill=BAR),
        tag("text", names[0], x=left + 14, y=11),
        tag("rect", x=left + 120, y=2, width=10, height=10, fill=SECOND),
        tag("text", names[1], x=left + 134, y=11),
    ]
    for i, (name, a, b) in enumerate(rows):
        y = 20 + i * row_h
        parts.append(tag("text", name[:22], x=left - 6, y=y + 18, text_anchor="end"))
        for j, (value, colour) in enumerate(((a, BAR), (b, SECOND))):
            w = plot * value / high
            yy = y + 3 + j * 12
            parts.append(
                tag(
                    "rect",
                    tag("title", f"{name}: {value:g}"),
                    x=left,
                    y=yy,
                    width=f"{w:.1f}",
                    height=11,
                    fill=colour,
                )
            )
            parts.append(tag("text", f"{value:g}", x=f"{left + w + 4:.1f}", y=yy + 10))
    return tag(
        "svg",
        *parts,
        viewBox=f"0 0 {width} {height}",
        width="100%",
        role="img",
        aria_label=label,
        font_size="12",
        xmlns="http://www.w3.org/2000/svg",
    )


def columns(
    rows: Sequence[tuple[str, float]], *, label: str, width: int = 440, height: int = 200
) -> Html:
    """Vertical columns over time (messages an hour); the first and last labels are written."""
    if not rows:
        return tag("p", "no data yet", class_="muted")
    top, bottom, left = 14, 24, 36
    plot_h = height - top - bottom
    high = max(1.0, *(v for _, v in rows))
    step = (width - left - 6) / len(rows)
    parts = [
        tag("line", x1=left, x2=width, y1=top + plot_h, y2=top + plot_h, stroke=AXIS),
        tag("text", _number(high), x=left - 4, y=top + 4, text_anchor="end"),
        tag("text", "0", x=left - 4, y=top + plot_h, text_anchor="end"),
    ]
    for i, (name, value) in enumerate(rows):
        h = plot_h * value / high
        x = left + i * step
        parts.append(
            tag(
                "rect",
                tag("title", f"{name}: {value:g}"),
                x=f"{x + 1:.1f}",
                y=f"{top + plot_h - h:.1f}",
                width=f"{max(step - 2, 1):.1f}",
                height=f"{h:.1f}",
                fill=BAR,
            )
        )
    for i in {0, len(rows) - 1}:
        x = left + i * step + step / 2
        parts.append(tag("text", rows[i][0], x=f"{x:.1f}", y=height - 6, text_anchor="middle"))
    return tag(
        "svg",
        *parts,
        viewBox=f"0 0 {width} {height}",
        width="100%",
        role="img",
        aria_label=label,
        font_size="11",
        xmlns="http://www.w3.org/2000/svg",
    )
