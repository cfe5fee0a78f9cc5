"""HL7 v2 escape sequences (v2.5 section 2.7).

Decoding turns the delimiter escapes (``\\F\\ \\S\\ \\T\\ \\R\\ \\E\\``) and hexadecimal
data (``\\Xhh..\\``) into text. Formatting escapes (``\\.br\\``, ``\\H\\``, ``\\N\\``, ``\\.sp\\``,
character set switches ``\\C..\\``/``\\M..\\``, locally
defined ``\\Z..\\``) are display instructions, not characters: they are kept as written so that a
caller rendering the text can honour them.
An escape that is not closed is literal text, as receivers are told to be liberal.
"""

from __future__ import annotations

import re

from careweave.codecs.hl7v2.delimiters import Delimiters

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _hex_text(digits: str, codec: str) -> str | None:
    """Decode the hex digits of ``\\Xhh..\\`` with the message's codec; None when malformed."""
    if not digits or len(digits) % 2:
        return None
    try:
        data = bytes.fromhex(digits)
    except ValueError:
        return None
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        # Hex data in another character set than the message's: latin-1 never fails and keeps
        # every byte visible.
        return data.decode("latin-1")


def unescape(text: str, delimiters: Delimiters, codec: str = "utf-8") -> str:
    """Decode the escape sequences in ``text`` (a raw value written with ``delimiters``)."""
    esc = delimiters.escape
    if not esc or esc not in text:
        return text
    named = {
        "F": delimiters.field,
        "S": delimiters.component,
        "T": delimiters.subcomponent,
        "R": delimiters.repetition,
        "E": esc,
    }
    out: list[str] = []
    pos = 0
    size = len(text)
    while pos < size:
        start = text.find(esc, pos)
        if start < 0:
            out.append(text[pos:])
            break
        out.append(text[pos:start])
        end = text.find(esc, start + 1)
        if end < 0:
            out.append(text[start:])
            break
        body = text[start + 1 : end]
        replacement = named.get(body)
        if replacement:
            out.append(replacement)
        elif body[:1] == "X" and (decoded := _hex_text(body[1:], codec)) is not None:
            out.append(decoded)
        else:
            # Formatting, character-set and local escapes, and unknown ones, stay as written.
            out.append(text[start : end + 1])
        pos = end + 1
    return "".join(out)


def escape(text: str, delimiters: Delimiters) -> str:
    """Escape ``text`` so that it can stand as one leaf value under ``delimiters``.

    Segment breaks become ``\\.br\\`` (CR, LF or CRLF) because a raw one would end the segment;
    other control characters (tab excepted) become hexadecimal data, ``\\X1F\\``.
    """
    esc = delimiters.escape or "\\"
    out = text.replace(esc, f"{esc}E{esc}")
    for char, code in (
        (delimiters.field, "F"),
        (delimiters.component, "S"),
        (delimiters.repetition, "R"),
        (delimiters.subcomponent, "T"),
    ):
        if char and char in out:
            out = out.replace(char, f"{esc}{code}{esc}")
    if "\r" in out or "\n" in out:
        out = out.replace("\r\n", "\n").replace("\r", "\n").replace("\n", f"{esc}.br{esc}")
    if _CONTROL.search(out):
        out = _CONTROL.sub(lambda m: f"{esc}X{ord(m.group()):02X}{esc}", out)
    return out
