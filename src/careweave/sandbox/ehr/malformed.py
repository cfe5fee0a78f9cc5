"""Deliberately damaged messages: each kind defeats a receiver's header or text decoding."""

from __future__ import annotations

import random

from careweave.sandbox.ehr.messages import MalformedKind

_JUNK = (
    b"GET /hl7/inbound HTTP/1.1\r\nHost: ehr-interface\r\nAccept: */*\r\n\r\n",
    b'{"resourceType": "Patient", "id": "example", "active": true}',
    b"2025-03-03 08:15:22,117 INFO [Outbound-ADT-3] heartbeat ok\r",
    b"\x00\x00\x00\x00\x13\x88\x00\x00",
)


def _msh_end(raw: bytes) -> int:
    ends = [i for i in (raw.find(b"\r"), raw.find(b"\n")) if i >= 0]
    return min(ends) if ends else len(raw)


def _with_msh_fields(raw: bytes, change: dict[int, bytes]) -> bytes:
    """``raw`` with MSH-n fields replaced (n as in the standard: MSH-10 is index 9)."""
    end = _msh_end(raw)
    fields = raw[:end].split(b"|")
    for number, value in change.items():
        while len(fields) <= number - 1:
            fields.append(b"")
        fields[number - 1] = value
    return b"|".join(fields) + raw[end:]


def damage(raw: bytes, kind: MalformedKind, rng: random.Random) -> bytes:
    """A copy of the well-formed message ``raw`` with the defect ``kind``."""
    if kind is MalformedKind.BAD_MSH:
        return rng.choice((b"MHS", b"MSG", b"msh")) + raw[3:]
    if kind is MalformedKind.MISSING_CONTROL_ID:
        return _with_msh_fields(raw, {10: b""})
    if kind is MalformedKind.TRUNCATED:
        # Cut after MSH-3..MSH-7, so MSH-9 and MSH-10 never arrive.
        bars = [i for i, byte in enumerate(raw[: _msh_end(raw)]) if byte == ord("|")]
        return raw[: bars[rng.randint(3, 7)]]
    if kind is MalformedKind.WRONG_DELIMITERS:
        return b"MSH" + raw[4:]
    if kind is MalformedKind.NON_HL7:
        return rng.choice(_JUNK)
    # INVALID_ENCODING: declare UTF-8, then put a Latin-1 byte into the patient's name.
    declared = _with_msh_fields(raw, {18: b"UNICODE UTF-8"})
    start = declared.find(b"PID|")
    if start < 0:
        return declared + b"NTE|1||Caf\xe9\r"
    fields = declared[start:].split(b"|", 6)
    fields[5] = fields[5].replace(b"^", b"\xe9^", 1) if b"^" in fields[5] else fields[5] + b"\xe9"
    return declared[:start] + b"|".join(fields)
