"""Building new messages: an MSH from the arguments, then values set by path.

Values are text and are escaped with the message's delimiters when written; ``set_raw`` takes
already-encoded values (``DOE^JOHN``) for whole composite fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Self

from careweave.codecs.hl7v2.delimiters import DEFAULT_DELIMITERS, Delimiters
from careweave.codecs.hl7v2.escapes import escape
from careweave.codecs.hl7v2.message import Message
from careweave.codecs.hl7v2.parser import parse_message
from careweave.codecs.hl7v2.segment import Segment


def _hl7_timestamp(moment: dt.datetime) -> str:
    """``YYYYMMDDHHMMSS`` plus the UTC offset when ``moment`` knows it."""
    return moment.strftime("%Y%m%d%H%M%S%z")


class MessageBuilder:
    """Build a new message: ``MessageBuilder("ADT^A01", control_id="1").set("PID-5.1", "DOE")``.

    ``message_type`` is written with ``^`` between its parts whatever the delimiters are;
    ``now`` stamps MSH-7 (a clock is passed in rather than read here when reproducibility
    matters).
    """

    def __init__(
        self,
        message_type: str,
        *,
        control_id: str,
        sending_application: str = "",
        sending_facility: str = "",
        receiving_application: str = "",
        receiving_facility: str = "",
        version: str = "2.5.1",
        processing_id: str = "P",
        now: dt.datetime | None = None,
        accept_ack_type: str = "",
        application_ack_type: str = "",
        character_set: str = "",
        delimiters: Delimiters = DEFAULT_DELIMITERS,
    ) -> None:
        self.delimiters = delimiters
        codec = "utf-8"
        if character_set:
            from careweave.codecs.hl7v2.charsets import codec_for

            codec = codec_for(character_set)
        moment = now or dt.datetime.now(dt.UTC)
        msh = Segment("MSH" + delimiters.field + delimiters.encoding_characters, delimiters, codec)

        def text(value: str) -> str:
            return escape(value, delimiters)

        msh.set_fields(
            [
                text(sending_application),
                text(sending_facility),
                text(receiving_application),
                text(receiving_facility),
                _hl7_timestamp(moment),
                "",
                delimiters.component.join(text(part) for part in message_type.split("^")),
                text(control_id),
                text(processing_id),
                text(version),
                "",
                "",
                text(accept_ack_type),
                text(application_ack_type),
                "",
                text(character_set),
            ]
        )
        self._message = Message([msh.raw], delimiters, codec=codec, gaps=["\r"])

    def set(self, path: str, value: str) -> Self:
        """Set text at ``path`` (``PID-5.1``, ``OBX[2]-5``), creating the segment if needed."""
        self._message.set(path, value)
        return self

    def set_raw(self, path: str, value: str) -> Self:
        """Set an already-encoded value (``PID-5`` to ``DOE^JOHN``)."""
        self._message.set_raw(path, value)
        return self

    def append(self, segment_id: str, *fields: str) -> Self:
        """Append a segment with text ``fields`` (field 1 first), each escaped."""
        seg = self._message.append(segment_id)
        if fields:
            seg.set_fields([escape(value, self.delimiters) for value in fields])
        return self

    def encode(self) -> bytes:
        """The message bytes, segments ended by CR."""
        return self._message.encode()

    def build(self) -> Message:
        """A parsed copy of the message built so far (later changes do not affect it)."""
        return parse_message(self.encode(), charset=self._message.codec)
