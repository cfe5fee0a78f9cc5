"""``[notifications]``: how owning teams hear of their exception cases (webhook and e-mail).

::

    [notifications]
    poll_interval = 5.0
    webhook = { url = "https://hooks.example.org/careweave", secret_env = "CAREWEAVE_WEBHOOK_SECRET" }
    email = { host = "smtp.example.org", port = 587, from = "careweave@example.org", starttls = true,
              username_env = "CAREWEAVE_SMTP_USER", password_env = "CAREWEAVE_SMTP_PASSWORD" }

    [[notifications.teams]]
    team = "supply-chain"
    email = ["supply-chain@example.org"]
    webhook = { url = "https://chat.example.org/hooks/supply", secret_env = "SUPPLY_HOOK_SECRET" }

Secrets are named here and read from the environment by the composition root.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from careweave.connectors.base import require_http_url
from careweave.model.casework import NotificationChannel


class WebhookConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A webhook the notices are POSTed to, as JSON signed with HMAC-SHA256."""

    url: str
    """``http://`` or ``https://`` URL."""
    secret_env: Annotated[str, msgspec.Meta(min_length=1)]
    """Environment variable holding the signing secret (``X-Careweave-Signature: sha256=...``)."""
    timeout: Annotated[float, msgspec.Meta(gt=0)] = 10.0
    """Seconds for connect, write and read each."""

    def __post_init__(self) -> None:
        require_http_url(self.url, "url")


class EmailConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The SMTP server notices are mailed through."""

    host: Annotated[str, msgspec.Meta(min_length=1)]
    """SMTP server."""
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 25
    """SMTP port (587 with ``starttls``)."""
    sender: str = msgspec.field(name="from")
    """The ``From`` address (``from`` in the settings file)."""
    starttls: bool = False
    """Upgrade the connection with STARTTLS before logging in and sending."""
    username_env: str | None = None
    """Environment variable holding the SMTP user name (no login when unset)."""
    password_env: str | None = None
    """Environment variable holding the SMTP password (with ``username_env``)."""
    timeout: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    """Seconds for each exchange with the server."""

    def __post_init__(self) -> None:
        _require_address(self.sender, "from")
        if (self.username_env is None) != (self.password_env is None):
            raise ValueError("username_env and password_env go together: set both or neither")


class TeamNotificationsConfig(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True
):
    """Where one owning team (a case's ``owning_team``) is told."""

    team: Annotated[str, msgspec.Meta(min_length=1)]
    """The owning team, as flows name it (``supply-chain``, ``patient-access``...)."""
    email: list[str] = msgspec.field(default_factory=list)
    """Addresses the team's notices are mailed to."""
    webhook: WebhookConfig | None = None
    """The team's own webhook, used instead of ``[notifications].webhook`` for its cases."""

    def __post_init__(self) -> None:
        for address in self.email:
            _require_address(address, "email")


class NotificationRetryPolicy(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True
):
    """How a failed notice is retried: exponential backoff, then abandoned (logged, audited)."""

    max_attempts: Annotated[int, msgspec.Meta(ge=1)] = 8
    """Attempts before the notice is abandoned (the first counts)."""
    initial_backoff: Annotated[float, msgspec.Meta(ge=0)] = 30.0
    """Seconds before the second attempt."""
    multiplier: Annotated[float, msgspec.Meta(ge=1)] = 2.0
    """Backoff growth per attempt."""
    max_backoff: Annotated[float, msgspec.Meta(ge=0)] = 3600.0
    """Upper bound of one wait, in seconds."""

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return min(self.max_backoff, self.initial_backoff * self.multiplier ** max(0, attempt - 1))


class NotificationsConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How owning teams are told of their cases: opened, escalated (SLA passed), resolved."""

    webhook: WebhookConfig | None = None
    """The webhook every case's notices go to (unless its team has its own)."""
    email: EmailConfig | None = None
    """The SMTP server; each team's ``email`` addresses get its notices."""
    teams: list[TeamNotificationsConfig] = msgspec.field(default_factory=list)
    """Each owning team's addresses and optional webhook."""
    poll_interval: Annotated[float, msgspec.Meta(gt=0)] = 5.0
    """Seconds between two looks at the store for notices to send."""
    retry: NotificationRetryPolicy = msgspec.field(default_factory=NotificationRetryPolicy)
    """Backoff and attempts of a notice that failed."""

    def __post_init__(self) -> None:
        names = [t.team for t in self.teams]
        if len(set(names)) != len(names):
            raise ValueError(f"each team is listed once: {names}")
        mailed = [t.team for t in self.teams if t.email]
        if mailed and self.email is None:
            raise ValueError(
                f"teams {mailed} have e-mail addresses but [notifications].email (the SMTP "
                "server) is not set"
            )

    @property
    def channels(self) -> list[NotificationChannel]:
        """The channels configured (none: nothing to notify, no notifier runs)."""
        found: list[NotificationChannel] = []
        if self.email is not None:
            found.append(NotificationChannel.EMAIL)
        if self.webhook is not None or any(t.webhook for t in self.teams):
            found.append(NotificationChannel.WEBHOOK)
        return found

    def team(self, name: str) -> TeamNotificationsConfig | None:
        """The settings of owning team ``name``, if listed."""
        return next((t for t in self.teams if t.team == name), None)

    def webhook_for(self, team: str) -> WebhookConfig | None:
        """The webhook a team's notices go to: its own, else the common one."""
        listed = self.team(team)
        return listed.webhook if listed is not None and listed.webhook else self.webhook

    def secret_names(self) -> list[str]:
        """Every environment variable the notifier reads, in order."""
        names = [w.secret_env for w in (self.webhook, *(t.webhook for t in self.teams)) if w]
        if self.email is not None:
            names += [n for n in (self.email.username_env, self.email.password_env) if n]
        return list(dict.fromkeys(names))


def _require_address(address: str, setting: str) -> None:
    local, _, domain = address.partition("@")
    if not local or not domain or any(c.isspace() for c in address):
        raise ValueError(f"{setting} must be an e-mail address, not {address!r}")
