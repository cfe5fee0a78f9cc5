"""``[notifications]`` settings: each mistake is named with its path; secrets are named, not held."""

from __future__ import annotations

import pytest

from careweave.config import parse_settings
from careweave.exceptions import ConfigError
from careweave.model.casework import NotificationChannel

BASE = """
[notifications]
webhook = { url = "https://hooks.example.org/cw", secret_env = "HOOK_SECRET" }

[notifications.email]
host = "smtp.example.org"
port = 587
from = "careweave@example.org"
starttls = true
username_env = "SMTP_USER"
password_env = "SMTP_PASSWORD"

[[notifications.teams]]
team = "supply-chain"
email = ["supply-chain@example.org"]

[[notifications.teams]]
team = "revenue-integrity"
webhook = { url = "https://chat.example.org/rev", secret_env = "REV_SECRET" }
"""


def test_a_full_table_parses_and_names_its_secrets() -> None:
    config = parse_settings(BASE).notifications
    assert config.channels == [NotificationChannel.EMAIL, NotificationChannel.WEBHOOK]
    assert config.email is not None and config.email.sender == "careweave@example.org"
    assert config.secret_names() == ["HOOK_SECRET", "REV_SECRET", "SMTP_USER", "SMTP_PASSWORD"]
    assert config.webhook_for("revenue-integrity").url == "https://chat.example.org/rev"  # type: ignore[union-attr]
    assert config.webhook_for("supply-chain").url == "https://hooks.example.org/cw"  # type: ignore[union-attr]
    assert config.retry.delay(1) == 30.0 and config.retry.delay(2) == 60.0
    assert config.retry.delay(20) == 3600.0


def test_without_a_channel_nothing_is_notified() -> None:
    assert parse_settings("").notifications.channels == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            '[notifications]\nwebhook = { url = "ftp://x", secret_env = "S" }',
            "url must be an http:// or https:// URL with a host, not 'ftp://x' - at "
            "`$.notifications.webhook`",
        ),
        (
            '[notifications]\nwebhook = { url = "https://x.org" }',
            "Object missing required field `secret_env` - at `$.notifications.webhook`",
        ),
        (
            '[notifications.email]\nhost = "h"\nfrom = "not an address"',
            "from must be an e-mail address, not 'not an address'",
        ),
        (
            '[notifications.email]\nhost = "h"\nfrom = "a@b.org"\nusername_env = "U"',
            "username_env and password_env go together",
        ),
        (
            '[[notifications.teams]]\nteam = "a"\nemail = ["a@b.org"]',
            "teams ['a'] have e-mail addresses but [notifications].email",
        ),
        (
            '[[notifications.teams]]\nteam = "a"\n[[notifications.teams]]\nteam = "a"',
            "each team is listed once: ['a', 'a']",
        ),
        ("[notifications]\npoll_interval = 0", "Expected `float` > 0.0"),
    ],
)
def test_mistakes_are_named_with_their_path(text: str, says: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_settings(text)
    assert says in str(error.value)
