"""HL7 v2 -> FHIR R4: one message Bundle per message, by a generic segment walker.

::

    conversion = convert_message(parse_message(raw))
    conversion.bundle          # {"resourceType": "Bundle", "type": "message", ...}
    conversion.warnings        # what could not be carried over, one line each

One module per segment family: ``patient`` (PID, PD1, MRG, NK1), ``encounter`` (PV1, PV2),
``orders`` (ORC, OBR, RXO, RXE, RXA, RXR), ``observation`` (OBX), ``clinical`` (AL1, IAM, DG1,
NTE), ``coverage`` (IN1, IN2), ``documents`` (TXA), ``scheduling`` (SCH, AIS, AIG, AIL, AIP) and
``header`` (MSH, MSA); ``datatypes``, ``times`` and ``vocab`` follow the v2-to-FHIR guide's
data-type and vocabulary maps; ``authorities`` turns assigning authorities into system URIs.
"""

from careweave.mappings.v2_fhir.authorities import (
    DEFAULT_AUTHORITIES,
    AuthorityTable,
    load_authorities,
)
from careweave.mappings.v2_fhir.walker import Conversion, convert_message

__all__ = [
    "DEFAULT_AUTHORITIES",
    "AuthorityTable",
    "Conversion",
    "convert_message",
    "load_authorities",
]
