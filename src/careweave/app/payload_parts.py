"""Which parts of two payloads differ, named without their values (``PID-3``, ``patient.mrn``).

``careweave diff`` says where an effect's payload changed without printing patient data: the HL7
fields (``PID-3``, ``OBX[2]-5``, a segment added or removed) of two HL7 messages, the JSON paths
(``patient.identifiers[0].value``) of two JSON documents; nothing more for other payloads.
"""

from __future__ import annotations

from itertools import zip_longest
from typing import Any

import msgspec

from careweave.codecs.hl7v2 import Message, parse_message
from careweave.exceptions import CareweaveError

MAX_PARTS = 12
"""Most parts named for one payload (then ``...``)."""


def changed_parts(before: bytes, after: bytes) -> list[str]:
    """The parts that differ between two payloads (empty when equal or of an unknown shape)."""
    if before == after:
        return []
    parts = _hl7_parts(before, after)
    if parts is None:
        parts = _json_parts(before, after)
    if parts is None:
        return []
    return parts if len(parts) <= MAX_PARTS else [*parts[:MAX_PARTS], "..."]


def _hl7_parts(before: bytes, after: bytes) -> list[str] | None:
    if not (before.lstrip().startswith(b"MSH") and after.lstrip().startswith(b"MSH")):
        return None
    try:
        old, new = parse_message(before), parse_message(after)
    except CareweaveError:
        return None
    parts: list[str] = []
    old_segments, new_segments = _occurrences(old), _occurrences(new)
    for name, fields in new_segments.items():
        if name not in old_segments:
            parts.append(f"{name} (added)")
            continue
        previous = old_segments[name]
        parts.extend(
            f"{name}-{n}"
            for n, (a, b) in enumerate(zip_longest(previous, fields, fillvalue=""))
            if n > 0 and a != b
        )
    parts.extend(f"{name} (removed)" for name in old_segments if name not in new_segments)
    return parts


def _occurrences(message: Message) -> dict[str, list[str]]:
    """Each segment's fields, named ``PID`` for the first of its id and ``OBX[2]`` after."""
    seen: dict[str, int] = {}
    named: dict[str, list[str]] = {}
    for segment in message:
        seen[segment.id] = seen.get(segment.id, 0) + 1
        count = seen[segment.id]
        named[segment.id if count == 1 else f"{segment.id}[{count}]"] = segment.fields()
    return named


def _json_parts(before: bytes, after: bytes) -> list[str] | None:
    try:
        old, new = msgspec.json.decode(before), msgspec.json.decode(after)
    except msgspec.DecodeError:
        return None
    parts: list[str] = []
    _walk(old, new, "", parts)
    return parts


def _walk(old: Any, new: Any, path: str, parts: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            _walk(old.get(key), new.get(key), f"{path}.{key}" if path else str(key), parts)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            _walk(a, b, f"{path}[{i}]", parts)
    elif old != new:
        parts.append(path or "(document)")
