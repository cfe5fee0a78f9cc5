"""Header reading on inputs the live-listener fuzzing found."""

from __future__ import annotations

import pytest

from careweave.codecs.hl7v2 import parse_header
from careweave.exceptions import Hl7ParseError


@pytest.mark.parametrize(
    "raw",
    [
        b"MSH\r|^~\\&|EPIC|HOSP|||20260101||ADT^A01|1|P|2.5.1\r",  # segment break inside MSH-1
        b"MSH|^~\r",
        b"MSH|MSH|A|B|C|D|20260101||ADT^A01|1|P|2.5\r",  # letters as encoding characters
    ],
)
def test_broken_msh_is_a_parse_error_not_a_crash(raw: bytes) -> None:
    with pytest.raises(Hl7ParseError):
        parse_header(raw)
