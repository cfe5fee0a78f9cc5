"""The console's page frame: head, inline stylesheet, navigation, the user and a logout button."""

from __future__ import annotations

from typing import Any

from litestar import Response
from litestar.enums import MediaType

from careweave.gateway.console.auth import Session
from careweave.gateway.console.html import Html, esc, form, link, tag

STYLE = """
:root { --ink:#1d2733; --muted:#66737f; --line:#d7dde3; --accent:#1f6f8b; --bad:#b3261e;
        --ok:#2e7d32; --warn:#b26a00; --bg:#f6f8fa; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, sans-serif; color:var(--ink); background:var(--bg); }
header { background:#16324a; color:#fff; padding:.5rem 1rem; display:flex; gap:1.2rem;
         align-items:center; flex-wrap:wrap; }
header a { color:#dce9f3; text-decoration:none; }
header a.on { color:#fff; font-weight:600; border-bottom:2px solid #fff; }
header .who { margin-left:auto; display:flex; gap:.6rem; align-items:center; }
header form { margin:0; } header button { padding:.15rem .6rem; }
main { padding:1rem 1.5rem; max-width:1400px; }
h1 { font-size:1.35rem; margin:.2rem 0 1rem; } h2 { font-size:1.1rem; margin:1.4rem 0 .5rem; }
table { border-collapse:collapse; background:#fff; width:100%; margin-bottom:1rem; }
th, td { border:1px solid var(--line); padding:.3rem .5rem; text-align:left; vertical-align:top; }
th { background:#eef2f5; font-weight:600; }
pre { background:#fff; border:1px solid var(--line); padding:.6rem; overflow:auto; max-height:24rem;
      white-space:pre-wrap; word-break:break-all; }
form.inline { display:flex; gap:.6rem; flex-wrap:wrap; align-items:flex-end; margin:.4rem 0 1rem; }
form.box { background:#fff; border:1px solid var(--line); padding:.7rem; margin:.5rem 0 1rem; }
form.box label { display:block; margin:.3rem 0; }
input, select, textarea, button { font:inherit; padding:.25rem .4rem; }
textarea { width:100%; min-height:10rem; font-family:ui-monospace, monospace; }
button { background:var(--accent); color:#fff; border:0; border-radius:3px; cursor:pointer; }
.muted { color:var(--muted); } .bad { color:var(--bad); font-weight:600; }
.ok { color:var(--ok); } .warn { color:var(--warn); }
.notice { background:#e8f4ea; border:1px solid #b7dcbd; padding:.5rem .8rem; margin-bottom:1rem; }
.error { background:#fdecea; border:1px solid #f5c2bd; padding:.5rem .8rem; margin-bottom:1rem; }
.cards { display:flex; gap:1rem; flex-wrap:wrap; margin-bottom:1rem; }
.card { background:#fff; border:1px solid var(--line); padding:.6rem .9rem; min-width:9rem; }
.card b { display:block; font-size:1.4rem; }
.charts { display:grid; grid-template-columns:repeat(auto-fill, minmax(440px, 1fr)); gap:1rem; }
figure { background:#fff; border:1px solid var(--line); margin:0; padding:.6rem; }
figcaption { font-weight:600; margin-bottom:.3rem; }
dl { display:grid; grid-template-columns:max-content 1fr; gap:.2rem 1rem; background:#fff;
     border:1px solid var(--line); padding:.6rem; }
dt { color:var(--muted); } dd { margin:0; }
details summary { cursor:pointer; color:var(--accent); }
"""

NAV = (
    ("overview", "Overview", "/console"),
    ("messages", "Messages", "/console/messages"),
    ("cases", "Exceptions", "/console/cases"),
    ("deadletters", "Dead letters", "/console/deadletters"),
    ("reconciliation", "Reconciliation", "/console/reconciliation"),
    ("dashboard", "Dashboard", "/console/dashboard"),
)


def document(title: str, body: object, *, header: object = "") -> Html:
    """A whole HTML document."""
    return Html(
        "<!doctype html>"
        + tag(
            "html",
            tag(
                "head",
                Html('<meta charset="utf-8">'),
                Html('<meta name="viewport" content="width=device-width, initial-scale=1">'),
                tag("title", f"{title} - careweave console"),
                tag("style", Html(STYLE)),
            ),
            tag("body", header, tag("main", body)),
            lang="en",
        )
    )


def page(
    session: Session,
    active: str,
    title: str,
    *body: object,
    notice: str | None = None,
    status: int = 200,
) -> Response[str]:
    """A console page for a logged-in user: navigation, the title, an optional notice, ``body``."""
    nav = [link(label, href, class_="on" if key == active else None) for key, label, href in NAV]
    who = tag(
        "span",
        tag("span", session.user, class_="user"),
        form("/console/logout", session.csrf, button="Log out"),
        class_="who",
    )
    header = tag("header", tag("strong", "careweave"), *nav, who)
    shown = tag("div", notice, class_="notice") if notice else ""
    content = Html(tag("h1", title) + esc(shown) + "".join(esc(b) for b in body))
    return html_response(document(title, content, header=header), status)


def html_response(body: Html, status: int = 200) -> Response[str]:
    """An HTML response that no cache keeps (pages can hold PHI)."""
    return Response(
        str(body),
        status_code=status,
        media_type=MediaType.HTML,
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
            "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
            "Referrer-Policy": "no-referrer",
        },
    )


def bare(title: str, *body: object, status: int = 200) -> Response[str]:
    """A page without navigation (login, errors before a session)."""
    header = tag("header", tag("strong", "careweave"))
    content = Html(tag("h1", title) + "".join(esc(b) for b in body))
    return html_response(document(title, content, header=header), status)


def plural(n: int, word: str) -> str:
    """``1 message``, ``2 messages``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def when(value: Any) -> str:
    """A timestamp to the second, or a dash."""
    return value.isoformat(sep=" ", timespec="seconds") if value is not None else "-"
