"""What leaves the process in clear loses URL credentials, secret query values and quoted values."""

from __future__ import annotations

import pytest

from careweave.observability.redaction import (
    mask_quoted,
    redact_secrets,
    redact_text,
    redact_traceback,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "POST http://user:pass@host:9000/in?token=abc&x=1 answered 503",
            "POST http://redacted@host:9000/in?token=redacted&x=1 answered 503",
        ),
        ("nats://svc:pw@broker:4222", "nats://redacted@broker:4222"),
        ("postgresql://cw:hunter2@db/cw", "postgresql://redacted@db/cw"),
        (
            "https://h/p?access_token=a&apikey=b&key=c",
            "https://h/p?access_token=redacted&apikey=redacted&key=redacted",
        ),
        (
            "https://h/p?secret=a&password=b&sig=c",
            "https://h/p?secret=redacted&password=redacted&sig=redacted",
        ),
        ("https://h/p?X-Api-Key=a&sas_sig=b", "https://h/p?X-Api-Key=redacted&sas_sig=redacted"),
        # Not secrets: a name that merely contains a secret word, a URL without credentials.
        ("https://h/p?monkey=a&keyboard=b", "https://h/p?monkey=a&keyboard=b"),
        ("http://127.0.0.1:8080/in", "http://127.0.0.1:8080/in"),
        ("mailto-like user@host without a scheme", "mailto-like user@host without a scheme"),
    ],
)
def test_url_credentials_and_secret_parameters_are_removed(text: str, expected: str) -> None:
    assert redact_secrets(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PID-7: invalid date/time '19701399'", "PID-7: invalid date/time '***'"),
        ("Invalid enum value 'DOE-JANE-999'", "Invalid enum value '***'"),
        ('Expected `str`, got "123-45-6789"', 'Expected `str`, got "***"'),
        ("two 'a' and 'b'", "two '***' and '***'"),
        ("the patient's chart, don't", "the patient's chart, don't"),  # apostrophes stay
        ("no quotes at all", "no quotes at all"),
    ],
)
def test_quoted_values_are_masked(text: str, expected: str) -> None:
    assert mask_quoted(text) == expected


def test_both_at_once() -> None:
    text = "effect 3: http://u:p@h/x?token=t failed for 'DOE^JANE'"
    assert redact_text(text) == "effect 3: http://redacted@h/x?token=redacted failed for '***'"


def test_a_traceback_keeps_its_source_lines_and_masks_the_exception_line() -> None:
    traceback = (
        "Traceback (most recent call last):\n"
        '  File "x.py", line 3, in <module>\n'
        "    parse('PID-7')\n"
        "careweave.exceptions.MappingError: PID-7: invalid date/time '19701399'"
    )
    redacted = redact_traceback(traceback)
    assert "    parse('PID-7')" in redacted  # code, not data
    assert "19701399" not in redacted
    assert redacted.endswith("invalid date/time '***'")
