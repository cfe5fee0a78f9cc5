"""The notifier: a task beside the engine that tells owning teams about their cases.

Every ``poll_interval`` it asks the store which notices are due (a case opened, an SLA passed
while open, a case closed), claims each before sending it (so that of several careweave processes
sharing PostgreSQL one sends it, once), sends it and records the outcome. A failed send is retried
with backoff, then abandoned; both are logged and an abandoned one is written in the case's audit
trail. Nothing here runs on the engine's path: a mail server that hangs delays only notices.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import socket
import uuid
from collections.abc import Mapping

import structlog

from careweave.engine.clock import Clock, SystemClock
from careweave.engine.notifications.config import NotificationsConfig
from careweave.engine.notifications.notice import notice_for
from careweave.engine.notifications.senders import EmailSender, WebhookSender
from careweave.engine.store.base import BaseStore
from careweave.exceptions import ConfigError, DeliveryError
from careweave.model.casework import (
    DueNotification,
    NotificationChannel,
    NotificationKind,
    NotificationOutcome,
    NotificationState,
)
from careweave.model.records import CaseState, ExceptionCase
from careweave.observability.redaction import redact_secrets

log = structlog.get_logger("careweave.engine.notifications")


class CaseNotifier:
    """Sends each due notice of the configured channels, once."""

    def __init__(
        self,
        store: BaseStore,
        config: NotificationsConfig,
        *,
        secrets: Mapping[str, str],
        clock: Clock | None = None,
        webhooks: WebhookSender | None = None,
        worker: str | None = None,
        lease: float = 300.0,
        batch: int = 100,
        concurrency: int = 4,
    ) -> None:
        """``secrets``: the value of each variable :meth:`NotificationsConfig.secret_names` names
        (ConfigError when one is missing). ``lease``: seconds a claim is held before another
        notifier may take it over (longer than any send's timeout)."""
        missing = [name for name in config.secret_names() if not secrets.get(name)]
        if missing:
            raise ConfigError(f"[notifications] needs {', '.join(missing)} set in the environment")
        self.store = store
        self.config = config
        self.clock = clock or SystemClock()
        self._secrets = dict(secrets)
        self._webhooks = webhooks or WebhookSender()
        email = config.email
        self._email = (
            EmailSender(
                email,
                username=self._secrets.get(email.username_env or ""),
                password=self._secrets.get(email.password_env or ""),
            )
            if email is not None
            else None
        )
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._lease = lease
        self._batch = batch
        self._limit = asyncio.Semaphore(concurrency)
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._task is not None

    async def start(self) -> None:
        """Poll the store every ``poll_interval`` until stopped."""
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._loop(), name="careweave-notifier")

    async def stop(self) -> None:
        """Stop polling (a send in flight is abandoned: its claim expires and it is sent again)."""
        if self._task is not None:
            self._stopping.set()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._webhooks.close()

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except Exception as exc:  # the store is down (or a bug): never stop the engine for it
                log.error("notifier pass failed", error=f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.config.poll_interval)

    # -- one pass -------------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Send every notice due now; returns how many were sent."""
        due = await self.store.due_notifications(
            channels=self.config.channels, now=self.clock.now(), limit=self._batch
        )
        outcomes = await asyncio.gather(*(self._notify(d) for d in due), return_exceptions=True)
        for due_one, outcome in zip(due, outcomes, strict=True):
            if isinstance(outcome, BaseException):  # that notice waits for its claim to expire
                if not isinstance(outcome, Exception):
                    raise outcome
                log.error(
                    "case notice not recorded",
                    case=due_one.case_id,
                    kind=due_one.kind.value,
                    channel=due_one.channel.value,
                    error=f"{type(outcome).__name__}: {outcome}",
                )
        return sum(1 for o in outcomes if o is NotificationState.SENT)

    async def _notify(self, due: DueNotification) -> NotificationState | None:
        async with self._limit:
            now = self.clock.now()
            attempt = await self.store.claim_notification(
                due, worker=self.worker, now=now, lease=self._lease
            )
            if attempt is None:  # another notifier has it
                return None
            case = await self.store.get_case(due.case_id)
            outcome = await self._deliver(case, due, attempt)
            await self.store.finish_notification(
                due, outcome, worker=self.worker, now=self.clock.now()
            )
            return outcome.state

    async def _deliver(
        self, case: ExceptionCase, due: DueNotification, attempt: int
    ) -> NotificationOutcome:
        if due.kind is NotificationKind.ESCALATED and case.state is not CaseState.OPEN:
            return NotificationOutcome(state=NotificationState.SKIPPED, error="closed in time")
        notice = notice_for(case, due.kind, self.clock.now())
        target = ""
        try:
            if due.channel is NotificationChannel.WEBHOOK:
                webhook = self.config.webhook_for(case.owning_team)
                if webhook is None:
                    return _skipped(f"no webhook for team {case.owning_team}")
                target = redact_secrets(webhook.url)  # stored with the case: no credentials
                await self._webhooks.send(webhook, self._secrets[webhook.secret_env], notice)
            else:
                team = self.config.team(case.owning_team)
                if self._email is None or team is None or not team.email:
                    return _skipped(f"no e-mail address for team {case.owning_team}")
                target = ", ".join(team.email)
                await self._email.send(team.email, notice)
        except DeliveryError as exc:
            return self._failed(due, attempt, target, exc)
        log.info(
            "case notice sent",
            case=case.id,
            kind=due.kind.value,
            channel=due.channel.value,
            target=target,
        )
        return NotificationOutcome(state=NotificationState.SENT, target=target)

    def _failed(
        self, due: DueNotification, attempt: int, target: str, exc: DeliveryError
    ) -> NotificationOutcome:
        policy = self.config.retry
        error = redact_secrets(str(exc))  # stored in the case's trail: no URL credentials
        if exc.retryable and attempt < policy.max_attempts:
            retry_at = self.clock.now() + dt.timedelta(seconds=policy.delay(attempt))
            log.warning(
                "case notice failed; will retry",
                case=due.case_id,
                kind=due.kind.value,
                channel=due.channel.value,
                attempt=attempt,
                retry_at=retry_at.isoformat(),
                error=error,
            )
            return NotificationOutcome(
                state=NotificationState.FAILED,
                target=target,
                error=error,
                next_attempt_at=retry_at,
            )
        log.error(
            "case notice abandoned",
            case=due.case_id,
            kind=due.kind.value,
            channel=due.channel.value,
            attempt=attempt,
            error=error,
        )
        return NotificationOutcome(state=NotificationState.ABANDONED, target=target, error=error)


def _skipped(reason: str) -> NotificationOutcome:
    return NotificationOutcome(state=NotificationState.SKIPPED, error=reason)


def build_notifier(
    store: BaseStore,
    config: NotificationsConfig,
    *,
    env: Mapping[str, str],
    clock: Clock | None = None,
) -> CaseNotifier | None:
    """The notifier ``config`` describes, reading its secrets from ``env``; None when no channel
    is configured. ConfigError when a secret is not set."""
    if not config.channels:
        return None
    names = config.secret_names()
    return CaseNotifier(
        store, config, secrets={n: env[n] for n in names if env.get(n)}, clock=clock
    )
