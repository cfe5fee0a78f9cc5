"""Registrations: how the EHR, the revenue-cycle platform and the ERP each record a person.

Each system has its habits (upper case or title case, accents kept or not, date, phone and SSN
formats, how often it asks for the SSN). A person's first registration is mostly right; a later
one (a new visit, another system, another desk) carries the errors the field sees, at rates in
:data:`ERROR_RATES`.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass

from careweave.sandbox.identity.population import Home, Person, Town
from careweave.sandbox.identity.typos import (
    mistype_digit,
    nickname,
    swap_day_month,
    transpose_digits,
    typo,
)

ERROR_RATES = {
    "nickname": 0.15,
    "given_typo": 0.07,
    "family_typo": 0.07,
    "swapped_names": 0.02,
    "day_month_swapped": 0.02,
    "date_digits_transposed": 0.02,
    "date_digit_mistyped": 0.015,
    "birth_date_missing": 0.01,
    "sex_missing": 0.02,
    "sex_wrong": 0.005,
    "moved": 0.15,
    "address_missing": 0.05,
    "phone_missing": 0.1,
    "ssn_mistyped": 0.01,
    "married_name": 0.03,
    "compound_name_shortened": 0.3,
    "placeholder_value": 0.01,
}
"""Chance of each error on a later registration (a first one gets 30% of these, and no move)."""
FIRST_REGISTRATION_SHARE = 0.3

FIELDS = ("id", "given", "family", "birth_date", "sex", "address", "city", "postcode", "phone",
          "ssn")  # fmt: skip
"""The CSV columns, in order."""


@dataclass(frozen=True, slots=True)
class SourceSystem:
    """One system's registration habits."""

    name: str
    id_format: str
    """``str.format`` pattern for a record id, given a number."""
    title_case: bool
    keeps_accents: bool
    compact_date: bool
    """``YYYYMMDD`` rather than ``YYYY-MM-DD``."""
    phone_style: str
    """``paren`` (``(920) 555-0142``), ``dash``, ``digits`` or ``plus`` (``+1 920 555 0142``)."""
    ssn_style: str
    """``full`` (``123-45-6789``), ``last4`` or ``masked`` (``***-**-6789``)."""
    ssn_collected: float
    abbreviates: bool
    """Writes ``ST``/``AVE`` rather than ``STREET``/``AVENUE``."""


SYSTEMS = (
    SourceSystem("EHR", "E{:07d}", False, False, False, "paren", "full", 0.7, True),
    SourceSystem("RCM", "A{:09d}", True, True, True, "dash", "last4", 0.6, False),
    SourceSystem("ERP", "PT-{:06d}", True, False, False, "digits", "masked", 0.35, True),
)
_ABBREVIATIONS = {"STREET": "ST", "AVENUE": "AVE", "ROAD": "RD", "DRIVE": "DR", "LANE": "LN",
                  "COURT": "CT", "BOULEVARD": "BLVD", "PLACE": "PL", "CIRCLE": "CIR",
                  "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W"}  # fmt: skip


class Registrar:
    """Writes registrations of people, each with a unique id per system."""

    def __init__(self, rng: random.Random, towns: tuple[Town, ...], today: dt.date) -> None:
        self.rng = rng
        self.towns = towns
        self.today = today
        self._used: set[str] = set()

    def register(self, person: Person, system: SourceSystem, *, first: bool) -> dict[str, str]:
        """One registration of ``person`` in ``system`` as a CSV row."""
        rng = self.rng
        scale = FIRST_REGISTRATION_SHARE if first else 1.0

        def happens(error: str) -> bool:
            return rng.random() < ERROR_RATES[error] * scale

        given, family = person.given, person.family
        if person.middle and rng.random() < 0.2:
            given = f"{given} {person.middle[0] if rng.random() < 0.6 else person.middle}"
        if person.suffix and rng.random() < 0.5:
            family = f"{family} {person.suffix}"
        first_given = given.split(" ")[0]
        if happens("nickname"):
            given = given.replace(first_given, nickname(rng, first_given) or first_given, 1)
        if happens("given_typo"):
            given = typo(rng, given)
        compound = " " in family.replace(" JR", "") or "-" in family
        if compound and happens("compound_name_shortened"):
            family = family.replace("-", " ").split(" ")[rng.choice((0, 0, -1))]
        if person.sex == "F" and happens("married_name") and not person.twin_of:
            family = rng.choice(("SMITH", "JOHNSON", "MILLER", "ANDERSON", "MARTIN", "KOWALSKI"))
        if happens("family_typo"):
            family = typo(rng, family)
        if happens("swapped_names"):
            given, family = family, given

        digits = person.birth_date.strftime("%Y%m%d")
        if happens("day_month_swapped"):
            digits = swap_day_month(person.birth_date, self.today) or digits
        elif happens("date_digits_transposed"):
            digits = transpose_digits(rng, digits, self.today) or digits
        elif happens("date_digit_mistyped"):
            digits = mistype_digit(rng, digits, self.today) or digits
        birth = digits if system.compact_date else f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
        if happens("birth_date_missing"):
            birth = ""

        sex = person.sex
        if happens("sex_missing"):
            sex = rng.choice(("", "U"))
        elif happens("sex_wrong"):
            sex = "F" if sex == "M" else "M"

        home = person.home
        if not first and happens("moved"):
            home = self._new_home()
        phones = [p for p in (person.mobile, home.landline) if p]
        phone = rng.choice(phones) if phones else ""
        if home is not person.home and phone == person.home.landline:
            phone = home.landline
        if happens("phone_missing"):
            phone = ""
        address = home.street
        city, postcode = home.town.name, home.town.postcode
        if rng.random() < 0.2:
            postcode = f"{postcode}-{rng.randrange(10000):04d}"
        if happens("address_missing"):
            address = ""
            if rng.random() < 0.5:
                city = postcode = ""

        ssn = person.ssn if rng.random() < system.ssn_collected else ""
        if ssn and happens("ssn_mistyped"):
            i = rng.randrange(9)
            ssn = ssn[:i] + str((int(ssn[i]) + 1) % 10) + ssn[i + 1 :]

        if happens("placeholder_value"):
            choice = rng.randrange(3)
            if choice == 0:
                phone = "0000000000"
            elif choice == 1:
                ssn = "999999999"
            else:
                birth = "1900-01-01" if not system.compact_date else "19000101"
        style = system.phone_style
        if rng.random() < 0.2:
            style = rng.choice(("paren", "dash", "digits", "plus"))
        return {
            "id": self._record_id(system),
            "given": self._name(given, system),
            "family": self._name(family, system),
            "birth_date": birth,
            "sex": sex,
            "address": self._address(address, system),
            "city": self._name(city, system),
            "postcode": postcode,
            "phone": _phone(phone, style),
            "ssn": _ssn(ssn, system.ssn_style),
        }

    def _new_home(self) -> Home:
        rng = self.rng
        town = rng.choice(self.towns)
        line = f"{rng.randrange(100, 9999)} {rng.choice(town.streets)}"
        landline = f"920{rng.randrange(200, 1000)}{rng.randrange(10000):04d}"
        return Home(line, town, landline if rng.random() < 0.5 else "")

    def _record_id(self, system: SourceSystem) -> str:
        width = {"E": 10**7, "A": 10**9, "P": 10**6}[system.id_format[0]]
        while True:
            record_id = system.id_format.format(self.rng.randrange(width // 10, width))
            if record_id not in self._used:
                self._used.add(record_id)
                return record_id

    @staticmethod
    def _name(text: str, system: SourceSystem) -> str:
        if not system.keeps_accents:
            text = "".join(
                c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
            )
        if system.title_case:
            return "-".join(_title(part) for part in text.split("-"))
        return text

    @staticmethod
    def _address(text: str, system: SourceSystem) -> str:
        words = text.split(" ")
        if system.abbreviates:
            words = [_ABBREVIATIONS.get(w, w) for w in words]
        line = " ".join(words)
        return line.title().replace(" Apt ", ", Apt ") if system.title_case else line


def _title(text: str) -> str:
    words = []
    for word in text.split(" "):
        titled = word.capitalize()
        if titled.startswith(("Mc", "O'")) and len(titled) > 2:
            titled = titled[:2] + titled[2:].capitalize()
        words.append(titled)
    return " ".join(words)


def _phone(digits: str, style: str) -> str:
    if not digits:
        return ""
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    return {
        "paren": f"({area}) {exchange}-{line}",
        "dash": f"{area}-{exchange}-{line}",
        "digits": digits,
        "plus": f"+1 {area} {exchange} {line}",
    }[style]


def _ssn(digits: str, style: str) -> str:
    if not digits:
        return ""
    if style == "last4":
        return digits[-4:]
    if style == "masked":
        return f"***-**-{digits[-4:]}"
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"
