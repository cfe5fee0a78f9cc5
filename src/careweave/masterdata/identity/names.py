"""Person names as registration clerks type them, brought to one comparable form.

Case, accents and punctuation go (``Renée O'Brien-Núñez`` and ``RENEE OBRIEN NUNEZ`` agree);
hyphenated and multi-part family names keep their parts as tokens, so that ``GARCIA LOPEZ`` and
``GARCIA`` can agree partially; titles and generational suffixes (``DR``, ``JR``, ``III``) are
dropped from the comparison. :func:`soundex` gives the phonetic key the blocking rules use.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_TITLES = frozenset({"MR", "MRS", "MS", "MISS", "DR", "PROF", "REV", "SR", "JR", "II", "III", "IV",
                     "V", "ESQ", "MD", "PHD", "DDS"})  # fmt: skip
"""Titles and suffixes: never part of the name that identifies the person."""
_PLACEHOLDERS = frozenset({"UNKNOWN", "UNK", "NONE", "NULL", "NA", "TEST", "PATIENT", "XXX",
                           "DOE", "BABY", "BOY", "GIRL"})  # fmt: skip
"""Values registration systems use for "not known" (``BABY BOY``, ``JOHN DOE`` stand-ins)."""
_GLUE = str.maketrans({"'": "", "’": "", "`": "", ".": " ", ",": " ", "-": " ", "_": " ",
                       "/": " ", "(": " ", ")": " ", '"': ""})  # fmt: skip


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Upper case without accents, apostrophes or punctuation; runs of space made single."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_GLUE))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() or c == " " else " " for c in plain).upper().split())


def name_tokens(text: str) -> tuple[str, ...]:
    """The name's words without titles, suffixes or placeholder values, in order."""
    tokens = tuple(t for t in fold(text).split() if t not in _TITLES and not t.isdigit())
    if all(t in _PLACEHOLDERS for t in tokens):
        return ()
    return tokens


@lru_cache(maxsize=1 << 16)
def soundex(word: str) -> str:
    """American Soundex (letter and three digits) of a folded word; ``""`` for no letters.

    The classic rules: vowels, H, W and Y are not coded; adjacent letters with the same code
    count once, also across H and W (``ASHCRAFT`` is A261).
    """
    letters = [c for c in word if "A" <= c <= "Z"]
    if not letters:
        return ""
    first = letters[0]
    digits: list[str] = []
    previous = _SOUNDEX.get(first, "")
    for char in letters[1:]:
        code = _SOUNDEX.get(char, "")
        if code and code != previous:
            digits.append(code)
            if len(digits) == 3:
                break
        if char not in "HW":
            previous = code
    return (first + "".join(digits)).ljust(4, "0")


_SOUNDEX = {
    **dict.fromkeys("BFPV", "1"),
    **dict.fromkeys("CGJKQSXZ", "2"),
    **dict.fromkeys("DT", "3"),
    "L": "4",
    **dict.fromkeys("MN", "5"),
    "R": "6",
}
