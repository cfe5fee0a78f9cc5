"""HTML built in Python, escaped by construction.

:class:`Html` is text already safe to send; everything else that goes into a page goes through
:func:`esc`. The helpers below (:func:`tag`, :func:`table`, :func:`link`...) escape what they are
given unless it is :class:`Html`, so a page is written as calls, never by pasting strings together.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import urlencode


class Html(str):
    """Markup that is safe as it is (built by these helpers from escaped parts)."""

    __slots__ = ()


def esc(value: object) -> Html:
    """``value`` as safe markup: Html as it is, None as nothing, anything else escaped."""
    if isinstance(value, Html):
        return value
    if value is None:
        return Html("")
    return Html(html.escape(str(value), quote=True))


def join(parts: Iterable[object], sep: str = "") -> Html:
    """The parts, each escaped, one after the other."""
    return Html(sep.join(esc(p) for p in parts))


def _attrs(attrs: Mapping[str, object]) -> str:
    out = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        key = name.rstrip("_").replace("_", "-")
        out.append(f" {key}" if value is True else f' {key}="{esc(value)}"')
    return "".join(out)


def tag(element: str, /, *children: object, **attrs: object) -> Html:
    """``<name attrs>children</name>``; ``class_="x"`` gives ``class="x"``, True a bare attribute,
    None or False none."""
    return Html(f"<{element}{_attrs(attrs)}>{join(children)}</{element}>")


def void(element: str, /, **attrs: object) -> Html:
    """An element without content (``input``, ``br``)."""
    return Html(f"<{element}{_attrs(attrs)}>")


def link(text: object, href: str, **attrs: object) -> Html:
    """An anchor."""
    return tag("a", text, href=href, **attrs)


def url(path: str, **params: object) -> str:
    """``path`` with the query of the params that are set (not None, not empty)."""
    kept = {k: str(v) for k, v in params.items() if v is not None and v != ""}
    return f"{path}?{urlencode(kept)}" if kept else path


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, empty: str = "none") -> Html:
    """A table; ``empty`` is said instead when there are no rows."""
    body = [tag("tr", *(tag("td", cell) for cell in row)) for row in rows]
    if not body:
        return tag("p", empty, class_="muted")
    head = tag("tr", *(tag("th", h) for h in headers))
    return tag("table", tag("thead", head), tag("tbody", *body))


def definitions(pairs: Iterable[tuple[str, object]]) -> Html:
    """A definition list of label/value pairs."""
    return tag("dl", *(Html(tag("dt", k) + tag("dd", v)) for k, v in pairs))


def hidden(name: str, value: str) -> Html:
    """A hidden form field."""
    return void("input", type="hidden", name=name, value=value)


def field(
    label: str, name: str, value: object = "", *, kind: str = "text", **attrs: object
) -> Html:
    """A labelled input."""
    return tag("label", label, " ", void("input", type=kind, name=name, value=value, **attrs))


def select(label: str, name: str, options: Iterable[str], chosen: str | None) -> Html:
    """A labelled select; the empty option means "any"."""
    items = [tag("option", "any", value="")] + [
        tag("option", o, value=o, selected=o == chosen) for o in options
    ]
    return tag("label", label, " ", tag("select", *items, name=name))


def form(action: str, csrf: str, *children: object, button: str, **attrs: object) -> Html:
    """A POST form carrying the session's CSRF token, with one submit button."""
    return tag(
        "form",
        hidden("csrf", csrf),
        *children,
        tag("button", button, type="submit"),
        method="post",
        action=action,
        **attrs,
    )
