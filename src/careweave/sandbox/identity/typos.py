"""The mistakes registration desks make, as functions of a random generator and a value.

Typing slips (a letter inserted, dropped, replaced by a neighbour on the keyboard, two letters
swapped), nicknames, birth dates with the day and month swapped or two digits transposed, and the
changes life brings (a move, a married name).
"""

from __future__ import annotations

import datetime as dt
import random

from careweave.masterdata.identity.nicknames import NICKNAME_GROUPS

_KEYBOARD = ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")
_NEIGHBOURS: dict[str, str] = {}
for _row_index, _row in enumerate(_KEYBOARD):
    for _col, _key in enumerate(_row):
        near = _row[max(_col - 1, 0) : _col + 2].replace(_key, "")
        for _other in (_row_index - 1, _row_index + 1):
            if 0 <= _other < len(_KEYBOARD):
                near += _KEYBOARD[_other][max(_col - 1, 0) : _col + 1]
        _NEIGHBOURS[_key] = near
_SOUNDS_ALIKE = (("PH", "F"), ("CK", "K"), ("EI", "IE"), ("Y", "I"), ("LL", "L"), ("TT", "T"),
                 ("SS", "S"), ("C", "K"), ("Z", "S"))  # fmt: skip

_VARIANTS: dict[str, list[str]] = {}
for _name, _formals in NICKNAME_GROUPS.items():
    for _formal in sorted(_formals):  # sorted: a seed must not depend on string hashing
        if _name != _formal:
            _VARIANTS.setdefault(_formal, []).append(_name)
            _VARIANTS.setdefault(_name, []).append(_formal)


def typo(rng: random.Random, word: str) -> str:
    """One typing slip: insert, delete, substitute (a keyboard neighbour) or transpose, rarely on
    the first letter; or a spelling that sounds the same."""
    letters = [i for i, c in enumerate(word) if c.isalpha()]
    if len(letters) < 3:
        return word
    roll = rng.random()
    if roll < 0.15:
        for before, after in rng.sample(_SOUNDS_ALIKE, len(_SOUNDS_ALIKE)):
            if before in word[1:]:
                at = word.index(before, 1)
                return word[:at] + after + word[at + len(before) :]
    i = rng.choice(letters[1:])
    char = word[i]
    if roll < 0.35:
        return word[:i] + word[i + 1 :]
    if roll < 0.55:
        return word[:i] + rng.choice(_NEIGHBOURS.get(char, char) or char) + word[i:]
    if roll < 0.8:
        return word[:i] + rng.choice(_NEIGHBOURS.get(char, char) or char) + word[i + 1 :]
    j = i + 1 if i + 1 < len(word) and word[i + 1].isalpha() else i - 1
    i, j = min(i, j), max(i, j)
    return word[:i] + word[j] + word[i] + word[j + 1 :]


def nickname(rng: random.Random, given: str) -> str | None:
    """Another form of the given name (``WILLIAM`` -> ``BILL``), or None when there is none."""
    forms = _VARIANTS.get(given)
    return rng.choice(forms) if forms else None


def swap_day_month(day: dt.date, latest: dt.date) -> str | None:
    """The date with day and month exchanged, as eight digits, when that is a date too."""
    if day.day > 12 or day.day == day.month:
        return None
    swapped = f"{day.year:04d}{day.day:02d}{day.month:02d}"
    return swapped if _valid(swapped, latest) else None


def transpose_digits(rng: random.Random, digits: str, latest: dt.date) -> str | None:
    """Two adjacent different digits swapped, when the result is a date no later than
    ``latest`` (a registration system refuses a birth date in the future)."""
    spots = [i for i in range(len(digits) - 1) if digits[i] != digits[i + 1]]
    rng.shuffle(spots)
    for i in spots:
        candidate = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
        if _valid(candidate, latest):
            return candidate
    return None


def mistype_digit(rng: random.Random, digits: str, latest: dt.date) -> str | None:
    """One digit replaced by a neighbour on the number row, when the result is a date no later
    than ``latest``."""
    for _ in range(10):
        i = rng.randrange(2, len(digits))
        new = str((int(digits[i]) + rng.choice((-1, 1))) % 10)
        candidate = digits[:i] + new + digits[i + 1 :]
        if _valid(candidate, latest):
            return candidate
    return None


def _valid(digits: str, latest: dt.date) -> bool:
    try:
        day = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return False
    return dt.date(1900, 1, 2) <= day <= latest
