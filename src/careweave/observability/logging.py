"""Structured logging with redaction, for careweave's own records and every library's.

careweave logs through structlog; libraries (httpx, httpcore, uvicorn, the psycopg pool, asyncio)
through the standard library's ``logging``. :func:`configure_logging` renders both through one
chain of processors, so that with ``log_format = "json"`` every line a process prints is one JSON
object (``timestamp``, ``level``, ``event``, the logger's name for library records, the
``trace_id`` of the message being handled when there is one, a traceback as the ``exception``
field), and with ``console`` every line is a readable one.

Redaction is the same in both formats (:mod:`careweave.observability.redaction`): values under
keys that name protected health information are replaced, URL credentials and secret query
values are removed from every text value, and quoted values in error text are masked. Log events
never carry payloads; this is the second line of defence.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys
import threading
import types
from collections.abc import MutableMapping
from typing import Any

import structlog

from careweave.observability.redaction import redact_text, redact_traceback

PHI_KEYS = frozenset(
    {
        "patient_name",
        "name",
        "birth_date",
        "dob",
        "ssn",
        "address",
        "phone",
        "mrn",
        "raw",
        "payload",
    }
)
REDACTED = "[redacted]"

_PLAIN_KEYS = frozenset({"timestamp", "level", "logger", "trace_id", "span_id"})
"""Keys whose values careweave writes itself and that never need redaction."""

QUIET_LIBRARIES = ("httpx", "httpcore", "hpack", "uvicorn", "uvicorn.error", "uvicorn.access")
"""Libraries that log at INFO per request or per server start (``HTTP Request: POST ...``): they
log at WARNING and above unless ``log_level`` is ``debug``, so that a careweave command shows
careweave's own lines and a delivery writes no line of its own."""

_OWN_HANDLER = "careweave"
"""Name of the root handler :func:`configure_logging` installs (replaced when called again)."""


_TRACE_ID: contextvars.ContextVar[str] = contextvars.ContextVar("careweave_trace_id", default="")


class TraceIdScope:
    """``with TraceIdScope(trace_id):`` every record logged inside carries ``trace_id``.

    A plain context manager over one context variable: the engine enters one per message and per
    delivery, where structlog's ``bound_contextvars`` would cost several times more.
    """

    __slots__ = ("_token", "_trace_id")

    def __init__(self, trace_id: str) -> None:
        self._trace_id = trace_id
        self._token: contextvars.Token[str] | None = None

    def __enter__(self) -> None:
        self._token = _TRACE_ID.set(self._trace_id)

    def __exit__(self, *_exc: object) -> None:
        if self._token is not None:
            _TRACE_ID.reset(self._token)


def add_trace_id(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: the trace id of the message or effect being handled, if any."""
    trace_id = _TRACE_ID.get()
    if trace_id and "trace_id" not in event:
        event["trace_id"] = trace_id
    return event


def redact_phi(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: replace PHI-named values; redact secrets and quoted values in text."""
    for key, value in event.items():
        if key in PHI_KEYS:
            event[key] = REDACTED
        elif key == "exception" and isinstance(value, str):
            event[key] = redact_traceback(value)
        elif isinstance(value, str) and key not in _PLAIN_KEYS:
            event[key] = redact_text(value)
    return event


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is now (a test runner may have swapped and closed it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


_STDERR = _CurrentStderr()


def _renderer(fmt: str) -> Any:
    if fmt == "json":
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())


def _library_handler(fmt: str) -> logging.Handler:
    """The root handler: renders standard-library records like careweave's own."""
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            add_trace_id,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_phi,
            _renderer(fmt),
        ],
    )
    handler = logging.StreamHandler(_STDERR)
    handler.set_name(_OWN_HANDLER)
    handler.setFormatter(formatter)
    return handler


def _log_uncaught(
    kind: type[BaseException], exc: BaseException, tb: types.TracebackType | None
) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    logging.getLogger("careweave").critical("uncaught exception", exc_info=(kind, exc, tb))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or isinstance(args.exc_value, SystemExit):
        return
    thread = args.thread.name if args.thread is not None else "?"
    logging.getLogger("careweave").critical(
        "uncaught exception in thread %s",
        thread,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )


def print_line(text: str, fmt: str, *, level: str = "info", stderr: bool = False) -> None:
    """Print a line a command announces (``careweave ready``): as is, or as one JSON object with
    ``fmt == "json"`` (so a JSON-logging process prints nothing else)."""
    if fmt == "json":
        text = json.dumps(
            {
                "event": text,
                "level": level,
                "timestamp": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
            }
        )
    print(text, file=sys.stderr if stderr else sys.stdout, flush=True)


def configure_logging(level: str = "info", fmt: str = "console") -> None:
    """Set up structlog and the standard library's logging for a careweave process.

    Callable again (a later call replaces the handler an earlier one installed). With ``json``,
    uncaught exceptions and ``warnings`` are logged as records too, so no plain traceback is
    printed.
    """
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _OWN_HANDLER:
            root.removeHandler(handler)
    root.addHandler(_library_handler(fmt))
    root.setLevel(numeric)
    quiet = numeric if numeric <= logging.DEBUG else max(numeric, logging.WARNING)
    for name in QUIET_LIBRARIES:
        library = logging.getLogger(name)
        library.setLevel(quiet)
        # uvicorn's own logging config gives its loggers plain-text handlers; ours render them.
        library.handlers.clear()
        library.propagate = True
    logging.captureWarnings(True)
    if fmt == "json":
        sys.excepthook = _log_uncaught
        threading.excepthook = _log_uncaught_in_thread
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            add_trace_id,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_phi,
            _renderer(fmt),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        # One write per line (message and newline together): lines from other threads, written
        # through the root handler, never land inside one another.
        logger_factory=structlog.WriteLoggerFactory(file=_STDERR),  # type: ignore[arg-type]
        # Not cached: the engine logs on state changes, not per message, and an uncached logger
        # follows a later reconfiguration (tests capture logs this way).
        cache_logger_on_first_use=False,
    )


def reset_logging() -> None:
    """Undo :func:`configure_logging` (tests that run several commands in one process)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _OWN_HANDLER:
            root.removeHandler(handler)
    if sys.excepthook is _log_uncaught:
        sys.excepthook = sys.__excepthook__
    if threading.excepthook is _log_uncaught_in_thread:
        threading.excepthook = threading.__excepthook__
    logging.captureWarnings(False)
    structlog.reset_defaults()
