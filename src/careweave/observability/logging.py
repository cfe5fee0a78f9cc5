"""Structured logging with PHI redaction.

Log events never carry payloads; as a second line of defence, values under keys that name protected
health information are replaced before rendering.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

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

QUIET_LIBRARIES = ("httpx", "httpcore", "hpack", "uvicorn")
"""Libraries that log at INFO per request or per server start (``HTTP Request: POST ...``): they
log at WARNING and above, so that a careweave command shows careweave's own lines."""


def redact_phi(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: replace PHI-named values."""
    for key in list(event):
        if key in PHI_KEYS:
            event[key] = REDACTED
    return event


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is now (a test runner may have swapped and closed it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "info", fmt: str = "console") -> None:
    """Set up structlog (and the standard library's logging) for a careweave process."""
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    logging.basicConfig(level=numeric, stream=_CurrentStderr(), format="%(message)s")
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_phi,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        # Not cached: the engine logs on state changes, not per message, and an uncached logger
        # follows a later reconfiguration (tests capture logs this way).
        cache_logger_on_first_use=False,
    )
