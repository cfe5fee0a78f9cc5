"""Text redaction for what leaves the process in clear: logs, stored delivery errors, span events.

Two things are removed from free text, wherever they appear in it:

- **Credentials in URLs**: the ``user:password@`` of any ``scheme://`` URL, and the values of
  query parameters whose name looks secret (``token``, ``access_token``, ``key``, ``apikey``,
  ``secret``, ``password``, ``sig``...). A destination URL written with credentials is otherwise
  repeated by the HTTP library, by retry warnings and in the ``last_error`` of a dead letter.
- **Quoted values** (:func:`mask_quoted`): error messages quote the field value they refuse
  (``PID-7: invalid date/time '19701399'``, ``Invalid enum value 'DOE-JANE-999'``), and that value
  is often protected health information. Logs get the message with each quoted value masked; the
  error stored with the message keeps the detail for operators (the store is the protected place).

Both are plain regular expressions over text: cheap enough for every log record, and they do not
need to know where the text came from.
"""

from __future__ import annotations

import re

REDACTED = "redacted"
"""What replaces a secret (a URL's password, a secret query value)."""
MASK = "***"
"""What replaces a quoted value in a log line."""

SECRET_PARAMS = (
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "key",
    "apikey",
    "api_key",
    "api-key",
    "secret",
    "client_secret",
    "password",
    "passwd",
    "pwd",
    "sig",
    "signature",
    "auth",
    "authorization",
    "credential",
    "credentials",
    "session",
    "assertion",
)
"""Query parameter names whose value is a secret (matched whole, case-insensitively, and as the
end of a longer name: ``x-api-key``, ``sas_sig``)."""

_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/?#@\s'\"]+)@")
_PARAM_NAMES = "|".join(re.escape(name) for name in sorted(SECRET_PARAMS, key=len, reverse=True))
_SECRET_QUERY = re.compile(
    rf"(?P<name>[?&;](?:[\w.-]*[_.-])?(?:{_PARAM_NAMES}))=(?P<value>[^&#\s'\"]*)", re.IGNORECASE
)
# A quoted value: 'x' or "x", not an apostrophe inside a word (don't, patient's).
_QUOTED = re.compile(r"""(?<![\w])'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*\"""")


def redact_secrets(text: str) -> str:
    """``text`` without URL credentials and secret query values (the rest kept as it was).

    >>> redact_secrets("POST http://u:pw@host/in?token=abc&x=1 failed")
    'POST http://redacted@host/in?token=redacted&x=1 failed'
    """
    if "://" in text:
        text = _USERINFO.sub(rf"\g<scheme>{REDACTED}@", text)
    if "=" in text:
        text = _SECRET_QUERY.sub(rf"\g<name>={REDACTED}", text)
    return text


def mask_quoted(text: str) -> str:
    """``text`` with each quoted value replaced by ``'***'``.

    >>> mask_quoted("PID-7: invalid date/time '19701399'")
    "PID-7: invalid date/time '***'"
    """
    if "'" not in text and '"' not in text:
        return text
    return _QUOTED.sub(lambda m: m.group(0)[0] + MASK + m.group(0)[0], text)


def redact_text(text: str) -> str:
    """Both redactions: what a free-text value goes through before it is logged."""
    return mask_quoted(redact_secrets(text))


def redact_traceback(text: str) -> str:
    """A formatted traceback fit for a log: secrets removed everywhere, quoted values masked in
    the exception lines only (the indented source lines quote code, not data)."""
    text = redact_secrets(text)
    return "\n".join(
        line if line.startswith((" ", "Traceback")) else mask_quoted(line)
        for line in text.split("\n")
    )
