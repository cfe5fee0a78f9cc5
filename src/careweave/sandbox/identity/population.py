"""Synthetic people in households of a small region, with the hard cases of patient matching.

Names are drawn with their US frequencies (Faker's en_US tables), so there are many JOHNs and
SMITHs, plus a share of Hispanic, Vietnamese and multi-part names with accents and apostrophes.
People live in households (couples, parents and children) that share a family name, an address and
often a landline; some children are twins (same birth date, family name, address and phone,
different given names), some sons are juniors (their father's given name), and some unrelated
people share a very common name (JOHN SMITH) with only their birth date, address and SSN apart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from dataclasses import dataclass

from careweave.masterdata.identity.names import fold, soundex
from careweave.masterdata.identity.nicknames import name_forms

_EXTRA_FAMILY = ("GARCÍA", "RODRÍGUEZ", "HERNÁNDEZ", "LÓPEZ", "GONZÁLEZ", "PÉREZ", "SÁNCHEZ",
                 "RAMÍREZ", "NGUYEN", "TRAN", "PHAM", "LE", "O'BRIEN", "O'CONNOR", "MCDONALD",
                 "DE LA CRUZ", "VAN DER BERG", "ST. JOHN", "MÜLLER", "KOWALCZYK", "NÚÑEZ")  # fmt: skip
_EXTRA_GIVEN_F = ("MARÍA", "SOFÍA", "LUCÍA", "INÉS", "RENÉE", "ZOË", "THUY", "LINH", "ANH")
_EXTRA_GIVEN_M = ("JOSÉ", "JESÚS", "RAMÓN", "ANDRÉ", "JOSÉ LUIS", "MINH", "DUC", "TUAN")
_COMMON_NAMES = (("JOHN", "SMITH", "M"), ("MARIA", "GARCIA", "F"), ("JAMES", "JOHNSON", "M"),
                 ("MARY", "WILLIAMS", "F"), ("ROBERT", "JONES", "M"), ("MICHAEL", "BROWN", "M"))  # fmt: skip
_STREET_BASES = ("MAIN", "OAK", "MAPLE", "PARK", "PINE", "CEDAR", "ELM", "WASHINGTON", "LAKE",
                 "HILL", "CHURCH", "MILL", "RIVER", "SPRING", "HIGHLAND", "LINCOLN", "JEFFERSON",
                 "2ND", "3RD", "4TH", "5TH", "WILLOW", "SUNSET", "MEADOW", "CHERRY")  # fmt: skip
_SUFFIXES = ("STREET", "AVENUE", "ROAD", "DRIVE", "LANE", "COURT", "BOULEVARD", "WAY", "PLACE",
             "CIRCLE")  # fmt: skip
_DIRECTIONS = ("NORTH", "SOUTH", "EAST", "WEST")
_AREA_CODES = ("920", "414", "262", "608", "715")


@dataclass(frozen=True, slots=True)
class Town:
    """A town of the region: name, ZIP code and its streets."""

    name: str
    postcode: str
    streets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Home:
    """Where a household lives."""

    street: str
    """House number, street and unit, spelled out (``1204 NORTH MAPLE STREET APT 3``)."""
    town: Town
    landline: str
    """Ten digits, or empty when the household has none."""


@dataclass(frozen=True, slots=True)
class Person:
    """The truth about one person, as no registration records it quite."""

    person_id: str
    given: str
    middle: str
    family: str
    suffix: str
    birth_date: dt.date
    sex: str
    home: Home
    mobile: str
    ssn: str
    """Nine digits."""
    twin_of: str = ""
    """The other twin's person id."""


class _Names:
    """Weighted name draws (US frequencies, with a share of other origins)."""

    def __init__(self, rng: random.Random) -> None:
        # Faker is imported where it is used: it costs a quarter second, and every careweave
        # command imports this module's package.
        from faker.providers.person.en_US import Provider as NameTables

        self.rng = rng
        self._male = _weighted(NameTables.first_names_male)
        self._female = _weighted(NameTables.first_names_female)
        self._family = _weighted(NameTables.last_names)

    def given(self, sex: str) -> str:
        if self.rng.random() < 0.06:
            return self.rng.choice(_EXTRA_GIVEN_F if sex == "F" else _EXTRA_GIVEN_M)
        names, weights = self._female if sex == "F" else self._male
        return self.rng.choices(names, cum_weights=weights)[0].upper()

    def family(self) -> str:
        roll = self.rng.random()
        if roll < 0.06:
            return self.rng.choice(_EXTRA_FAMILY)
        names, weights = self._family
        first = self.rng.choices(names, cum_weights=weights)[0].upper()
        if roll < 0.09:
            second = self.rng.choices(names, cum_weights=weights)[0].upper()
            return f"{first}-{second}" if roll < 0.075 else f"{first} {second}"
        return first


def _weighted(table: dict[str, float]) -> tuple[list[str], list[float]]:
    names = list(table)
    cumulative, total = [], 0.0
    for name in names:
        total += table[name]
        cumulative.append(total)
    return names, cumulative


def build_region(rng: random.Random, seed: int, towns: int = 40) -> tuple[Town, ...]:
    """Towns with Faker's city names, distinct ZIP codes and streets."""
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(seed)
    codes = rng.sample(range(100, 100 + 10 * towns), towns)
    result = []
    for n in range(towns):
        bases = rng.sample(_STREET_BASES, 12) + [fake.last_name().upper() for _ in range(8)]
        streets = tuple(f"{base} {rng.choice(_SUFFIXES)}" for base in bases)
        result.append(Town(name=fake.city().upper(), postcode=f"5{codes[n]:04d}", streets=streets))
    return tuple(result)


class _Region:
    def __init__(self, rng: random.Random, towns: tuple[Town, ...]) -> None:
        self.rng = rng
        self.towns = towns
        self._weights = [1.0 / (rank + 1) for rank in range(len(towns))]

    def phone(self) -> str:
        rng = self.rng
        return f"{rng.choice(_AREA_CODES)}{rng.randrange(200, 1000)}{rng.randrange(10000):04d}"

    def home(self) -> Home:
        rng = self.rng
        town = rng.choices(self.towns, weights=self._weights)[0]
        street = rng.choice(town.streets)
        if rng.random() < 0.15:
            street = f"{rng.choice(_DIRECTIONS)} {street}"
        line = f"{rng.randrange(100, 9999)} {street}"
        if rng.random() < 0.15:
            line += f" APT {rng.randrange(1, 40)}{rng.choice(('', 'A', 'B'))}"
        return Home(line, town, self.phone() if rng.random() < 0.55 else "")


def _ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}{rng.randrange(1, 100):02d}{rng.randrange(1, 10000):04d}"


def _birth(rng: random.Random, today: dt.date, low: int, high: int) -> dt.date:
    return today - dt.timedelta(days=rng.randrange(low * 365, high * 365 + 1))


class _People:
    def __init__(self, rng: random.Random, region: _Region, today: dt.date) -> None:
        self.rng, self.region, self.today = rng, region, today
        self.names = _Names(rng)
        self.people: list[Person] = []

    def add(self, **fields: object) -> Person:
        rng = self.rng
        sex = str(fields.pop("sex", rng.choice("FM")))
        defaults: dict[str, object] = {
            "given": self.names.given(sex),
            "middle": self.names.given(sex) if rng.random() < 0.6 else "",
            "suffix": "",
            "mobile": self.region.phone() if rng.random() < 0.85 else "",
            "ssn": _ssn(rng),
        }
        defaults.update(fields)
        person = Person(person_id=f"P{len(self.people) + 1:07d}", sex=sex, **defaults)  # type: ignore[arg-type]
        self.people.append(person)
        return person

    def household(self) -> None:
        rng, today = self.rng, self.today
        home = self.region.home()
        family = self.names.family()
        kind = rng.random()
        if kind < 0.3:
            self.add(family=family, birth_date=_birth(rng, today, 18, 95), home=home)
            return
        adults_age = (20, 45) if kind < 0.75 else (55, 92)
        first = self.add(family=family, birth_date=_birth(rng, today, *adults_age), home=home,
                         sex="M")  # fmt: skip
        if kind < 0.9:
            keeps_name = rng.random() < 0.15
            self.add(family=self.names.family() if keeps_name else family, home=home,
                     birth_date=_birth(rng, today, *adults_age), sex="F")  # fmt: skip
        if adults_age[0] < 50 and kind >= 0.3:
            self._children(first, family, home, rng.choice((0, 1, 1, 2, 2, 3)))

    def _children(self, father: Person, family: str, home: Home, count: int) -> None:
        rng, today = self.rng, self.today
        names: list[str] = []
        for n in range(count):
            birth = _birth(rng, today, 0, 17)
            if n == 0 and father.sex == "M" and rng.random() < 0.06:
                self.add(family=family, home=home, birth_date=birth, sex="M", given=father.given,
                         middle=father.middle, suffix="JR")  # fmt: skip
                names.append(father.given)
                continue
            sex = rng.choice("FM")
            child = self.add(family=family, home=home, birth_date=birth, sex=sex,
                             given=self._sibling_name(sex, names))  # fmt: skip
            names.append(child.given)
            if rng.random() < 0.08:  # twins over-represented: they are the test
                names.append(self._twin(child, names))

    def _sibling_name(self, sex: str, siblings: list[str]) -> str:
        """A given name unlike the siblings': parents give two children two names, not two
        spellings of one (BRIAN, BRYAN), nor two with a nickname in common (JOHN, JONATHAN)."""
        given = self.names.given(sex)
        while any(
            not name_forms(fold(given)).isdisjoint(name_forms(fold(other)))
            or soundex(fold(given)) == soundex(fold(other))
            for other in siblings
        ):
            given = self.names.given(sex)
        return given

    def _twin(self, child: Person, siblings: list[str]) -> str:
        sex = self.rng.choice("FM")
        given = self._sibling_name(sex, siblings)
        ssn = child.ssn
        if self.rng.random() < 0.5:
            serial = int(ssn[5:]) % 9999 + 1
            ssn = f"{ssn[:5]}{serial:04d}"
        else:
            ssn = _ssn(self.rng)
        twin = self.add(family=child.family, home=child.home, birth_date=child.birth_date,
                        sex=sex, given=given, ssn=ssn, twin_of=child.person_id)  # fmt: skip
        self.people[-2] = dataclasses.replace(child, twin_of=twin.person_id)
        return given

    def namesakes(self, count: int) -> None:
        for n in range(count):
            given, family, sex = _COMMON_NAMES[n % len(_COMMON_NAMES)]
            self.add(given=given, family=family, sex=sex, home=self.region.home(),
                     birth_date=_birth(self.rng, self.today, 18, 90))  # fmt: skip


def build_people(
    count: int, rng: random.Random, seed: int, today: dt.date
) -> tuple[list[Person], tuple[Town, ...]]:
    """About ``count`` people (whole households, so a few more), of which 1% share one of a few
    very common full names, and the region's towns (for moves)."""
    towns = build_region(rng, seed, towns=max(40, count // 2500))
    people = _People(rng, _Region(rng, towns), today)
    people.namesakes(max(count // 100, 1))
    while len(people.people) < count:
        people.household()
    return people.people[:count], towns
