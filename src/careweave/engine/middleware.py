"""Middleware: cross-cutting work (logging, metrics, audit) around the engine, never inside a flow.

A middleware overrides the hooks it needs; the engine calls every middleware's hook in order.
"""

from __future__ import annotations

import structlog

from careweave.model.records import (
    AttemptOutcome,
    Effect,
    EffectOutcome,
    IngestResult,
    NewMessage,
    Processing,
)

log = structlog.get_logger("careweave.engine")


class Middleware:
    """Base class with empty hooks."""

    def after_ingest(
        self, message: NewMessage, processing: Processing, result: IngestResult
    ) -> None:
        """A message was committed (or recognised as a duplicate)."""

    def before_delivery(self, destination: str, effect: Effect) -> None:
        """An effect is about to be delivered."""

    def after_delivery(self, destination: str, effect: Effect, outcome: EffectOutcome) -> None:
        """A delivery attempt finished."""

    def after_dead_letter(self, destination: str, outcome: EffectOutcome) -> None:
        """An effect became a dead letter (recorded in the store)."""


class LoggingMiddleware(Middleware):
    """Logs ingest errors, duplicates and failed attempts (never payloads: they carry PHI)."""

    def after_ingest(
        self, message: NewMessage, processing: Processing, result: IngestResult
    ) -> None:
        """Log duplicates and errors."""
        if result.duplicate:
            log.info(
                "duplicate message acknowledged",
                channel=message.channel,
                message_id=result.message_id,
            )
        elif processing.error:
            log.warning(
                "message stored with error",
                channel=message.channel,
                message_id=result.message_id,
                error=processing.error,
            )

    def after_delivery(self, destination: str, effect: Effect, outcome: EffectOutcome) -> None:
        """Log failed attempts."""
        if outcome.attempt.outcome is AttemptOutcome.RETRY:
            log.info(
                "delivery will be retried",
                destination=destination,
                effect_id=effect.id,
                attempt=outcome.attempt.attempt,
                error=outcome.attempt.error,
            )
