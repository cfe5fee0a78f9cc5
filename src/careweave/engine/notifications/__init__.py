"""Telling owning teams about their exception cases: webhook and e-mail, once per notice.

:class:`CaseNotifier` runs beside the engine (the composition root starts and stops it with the
application when ``[notifications]`` names a channel); :class:`NotificationsConfig` is that table;
:func:`signature` is what a webhook receiver recomputes to trust a notice.
"""

from careweave.engine.notifications.config import (
    EmailConfig,
    NotificationRetryPolicy,
    NotificationsConfig,
    TeamNotificationsConfig,
    WebhookConfig,
)
from careweave.engine.notifications.notice import (
    EVENT_HEADER,
    SIGNATURE_HEADER,
    CaseNotice,
    email_for,
    notice_for,
    signature,
    webhook_body,
)
from careweave.engine.notifications.notifier import CaseNotifier, build_notifier
from careweave.engine.notifications.senders import EmailSender, WebhookSender

__all__ = [
    "EVENT_HEADER",
    "SIGNATURE_HEADER",
    "CaseNotice",
    "CaseNotifier",
    "EmailConfig",
    "EmailSender",
    "NotificationRetryPolicy",
    "NotificationsConfig",
    "TeamNotificationsConfig",
    "WebhookConfig",
    "WebhookSender",
    "build_notifier",
    "email_for",
    "notice_for",
    "signature",
    "webhook_body",
]
