"""careweave.codecs.hl7v2: HL7 v2 parsing, building and acknowledgement.

::

    msg = parse_message(raw)
    msg.get("PID-5.1")            # decoded text
    msg.get_raw("PID-3[2].1")     # still escaped
    msg.get_all("PID-3.1")        # every repetition
    MessageBuilder("ADT^A01", control_id="1").set("PID-5.1", "DOE").encode()
"""

from careweave.codecs.hl7v2.ack import AckCode, build_ack, is_enhanced_mode
from careweave.codecs.hl7v2.builder import MessageBuilder
from careweave.codecs.hl7v2.delimiters import DEFAULT_DELIMITERS, Delimiters
from careweave.codecs.hl7v2.escapes import escape, unescape
from careweave.codecs.hl7v2.field_names import field_name
from careweave.codecs.hl7v2.header import MessageHeader, parse_header
from careweave.codecs.hl7v2.message import Message
from careweave.codecs.hl7v2.parser import parse_batch, parse_message
from careweave.codecs.hl7v2.paths import Hl7Path, parse_path
from careweave.codecs.hl7v2.segment import Segment

__all__ = [
    "DEFAULT_DELIMITERS",
    "AckCode",
    "Delimiters",
    "Hl7Path",
    "Message",
    "MessageBuilder",
    "MessageHeader",
    "Segment",
    "build_ack",
    "escape",
    "field_name",
    "is_enhanced_mode",
    "parse_batch",
    "parse_header",
    "parse_message",
    "parse_path",
    "unescape",
]
