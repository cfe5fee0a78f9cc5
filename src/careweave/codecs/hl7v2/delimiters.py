"""The delimiters a message declares in MSH-1 and MSH-2.

MSH-1 is the field separator; MSH-2 holds, in order, the component, repetition, escape and
subcomponent separators and, from v2.7, the truncation character. Senders use non-standard
characters often enough that nothing here assumes ``|^~\\&``.
"""

from __future__ import annotations

import msgspec

from careweave.exceptions import Hl7ParseError

_SEGMENT_BREAKS = "\r\n"


class Delimiters(msgspec.Struct, frozen=True):
    """The separators of one message; empty strings mean "not declared"."""

    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"
    truncation: str = ""

    @property
    def encoding_characters(self) -> str:
        """MSH-2 as it would be written for these delimiters."""
        return self.component + self.repetition + self.escape + self.subcomponent + self.truncation

    @classmethod
    def from_msh(cls, field_separator: str, encoding_characters: str) -> Delimiters:
        """Validate MSH-1 and MSH-2 and return the delimiters they declare.

        Raises :class:`Hl7ParseError` naming the field at fault when MSH-2 is missing, too long,
        repeats a character or uses a letter, a digit, a space or a segment break.
        """
        fs = field_separator
        if len(fs) != 1 or fs.isalnum() or fs.isspace():
            raise Hl7ParseError(
                f"segment 1 'MSH': invalid field separator {fs!r} in MSH-1", location="MSH-1"
            )
        enc = encoding_characters
        if not enc:
            raise Hl7ParseError(
                "segment 1 'MSH': MSH-2 encoding characters are missing",
                hl7_code="101",
                location="MSH-2",
            )
        if len(enc) > 5:
            raise Hl7ParseError(
                f"segment 1 'MSH': MSH-2 {enc!r} has more than 5 encoding characters",
                hl7_code="102",
                location="MSH-2",
            )
        if len(set(enc + fs)) != len(enc) + 1:
            raise Hl7ParseError(
                f"segment 1 'MSH': MSH-2 {enc!r} repeats a delimiter",
                hl7_code="102",
                location="MSH-2",
            )
        for char in enc:
            if char.isalnum() or char.isspace() or char in _SEGMENT_BREAKS:
                raise Hl7ParseError(
                    f"segment 1 'MSH': MSH-2 {enc!r} contains invalid delimiter {char!r}",
                    hl7_code="102",
                    location="MSH-2",
                )
        # Missing trailing characters are simply not delimiters in this message; a one-character
        # MSH-2 still lets fields split into components.
        return cls(
            field=fs,
            component=enc[0],
            repetition=enc[1:2],
            escape=enc[2:3],
            subcomponent=enc[3:4],
            truncation=enc[4:5],
        )


DEFAULT_DELIMITERS = Delimiters()
"""``|^~\\&``, what every new message uses unless told otherwise."""
