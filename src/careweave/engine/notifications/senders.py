"""Sending a notice: a signed POST to a webhook, or an e-mail through SMTP.

Failures leave as careweave's delivery errors, judged as a destination's are: for a webhook by the
shared HTTP boundary (5xx, 429, timeouts retryable; other 4xx permanent), for e-mail by the SMTP
reply code (4xx and lost connections retryable; 5xx permanent). The stdlib SMTP client runs in a
worker thread, so a slow mail server never holds the event loop.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage

import httpx

from careweave.connectors.http_boundary import raise_for_status, send
from careweave.engine.notifications.config import EmailConfig, WebhookConfig
from careweave.engine.notifications.notice import (
    EVENT_HEADER,
    SIGNATURE_HEADER,
    CaseNotice,
    email_for,
    signature,
    webhook_body,
)
from careweave.exceptions import DeliveryError, PermanentDeliveryError, TransientDeliveryError


class WebhookSender:
    """POSTs notices as signed JSON (one connection pool for every webhook)."""

    def __init__(self, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    async def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def send(self, webhook: WebhookConfig, secret: str, notice: CaseNotice) -> None:
        """POST ``notice`` to ``webhook``; DeliveryError when it is not accepted (2xx)."""
        if self._client is None:
            self._client = httpx.AsyncClient(transport=self._transport)
        body = webhook_body(notice)
        what = f"{notice.kind.value} notice of case {notice.case_id}"
        response = await send(
            self._client,
            "POST",
            webhook.url,
            what=what,
            content=body,
            timeout=webhook.timeout,
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": notice.idempotency_key,
                EVENT_HEADER: notice.event,
                SIGNATURE_HEADER: signature(body, secret),
            },
        )
        raise_for_status(response, what)


class EmailSender:
    """Mails notices through one SMTP server."""

    def __init__(
        self, config: EmailConfig, *, username: str | None = None, password: str | None = None
    ) -> None:
        self.config = config
        self._username = username
        self._password = password

    async def send(self, recipients: list[str], notice: CaseNotice) -> None:
        """Mail ``notice`` to ``recipients``; DeliveryError when the server does not take it."""
        mail = email_for(notice, sender=self.config.sender, recipients=recipients)
        what = f"{notice.kind.value} notice of case {notice.case_id}"
        await asyncio.to_thread(self._send, mail, what)

    def _send(self, mail: EmailMessage, what: str) -> None:
        config = self.config
        try:
            with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
                if config.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self._username is not None:
                    smtp.login(self._username, self._password or "")
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            raise _by_code(min(codes, default=550), f"{what}: recipients refused: {codes}") from exc
        except smtplib.SMTPResponseException as exc:
            text = (
                exc.smtp_error.decode("utf-8", "replace")
                if isinstance(exc.smtp_error, bytes)
                else str(exc.smtp_error)
            )
            raise _by_code(
                exc.smtp_code,
                f"{what}: SMTP {config.host}:{config.port} answered {exc.smtp_code} {text}",
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentDeliveryError(
                f"{what}: SMTP {config.host}:{config.port}: {exc}"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientDeliveryError(
                f"{what}: SMTP {config.host}:{config.port} failed: {type(exc).__name__}: {exc}"
            ) from exc


def _by_code(code: int, message: str) -> DeliveryError:
    if 400 <= code < 500:
        return TransientDeliveryError(message, status=code)
    return PermanentDeliveryError(message, status=code)
