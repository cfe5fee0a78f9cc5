"""Comparison levels per field, in the Fellegi-Sunter style.

Each comparison sorts a pair of records into one of a few levels, best first (``exact``,
``variant``, ``close`` ... ``different``), or ``missing`` when either side lacks the value. The
matcher learns for every level how often true matches (m) and non-matches (u) fall into it; a
level's weight is ``log2(m / u)`` and ``missing`` weighs nothing. The similarity cut-offs come from
:class:`~careweave.masterdata.identity.policy.MatchPolicy`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from functools import lru_cache

from careweave.masterdata.identity.dates import compare_dates
from careweave.masterdata.identity.nicknames import name_forms
from careweave.masterdata.identity.policy import MatchPolicy
from careweave.masterdata.identity.records import PreparedRecord
from careweave.masterdata.identity.similarity import name_similarity, one_edit_apart

MISSING = "missing"
DIFFERENT = "different"


class BaseComparison(ABC):
    """One field's comparison: its levels, starting m and u, and how a pair falls into a level."""

    name: str
    levels: tuple[str, ...]
    """Level labels, best first, ending ``different``, ``missing``."""
    m_start: tuple[float, ...]
    """Starting m per non-missing level: the share of true matches at each level."""
    u_start: tuple[float, ...]
    """Starting u per non-missing level: the share of non-matches at each level."""
    frequency_field: str | None = None
    """A field whose value frequencies replace u at the ``exact`` level (term frequency)."""
    exact_field: str | None = None
    """A field whose equality is (about) the ``exact`` level: its u is then computed from the
    value counts over all pairs instead of sampled (a rare level is poorly sampled)."""

    def __init__(self, policy: MatchPolicy) -> None:
        self.policy = policy

    @property
    def missing(self) -> int:
        """Index of the ``missing`` level."""
        return len(self.levels) - 1

    @property
    def different(self) -> int:
        """Index of the ``different`` level."""
        return len(self.levels) - 2

    @property
    def disagreeing(self) -> int:
        """Index of the first level that counts as disagreement for the policy's guards."""
        return self.different

    guard_waived_by: tuple[str, int] | None = None
    """``(comparison, level)``: this comparison's guard does not apply when that comparison is
    at that level or better."""

    @abstractmethod
    def level(self, a: PreparedRecord, b: PreparedRecord) -> int:
        """The level index of the pair."""


class GivenNameComparison(BaseComparison):
    """First given name: exact; nickname variant; close (Jaro-Winkler; or, with the same first
    letter, one typo apart or one typo from a form of the other name: MIEK is a typo of MIKE, a
    form of MICHAEL); similar (a
    lower Jaro-Winkler, an initial, or one's first name is the other's middle name); different.

    For the guards, ``similar`` already disagrees: twins are often given names that sound alike
    (TOMMY and TONY), and everything else about them agrees."""

    name = "given_name"
    levels = ("exact", "variant", "close", "similar", DIFFERENT, MISSING)
    m_start = (0.85, 0.06, 0.04, 0.03, 0.02)
    u_start = (0.01, 0.002, 0.01, 0.05, 0.928)
    frequency_field = "given"
    exact_field = "given"

    @property
    def disagreeing(self) -> int:
        """``similar``: see the class docstring."""
        return 3

    def level(self, a: PreparedRecord, b: PreparedRecord) -> int:
        x, y = a.given, b.given
        if not x or not y:
            return 5
        if x == y:
            return 0
        if not a.given_groups.isdisjoint(b.given_groups):
            return 1
        close = self.policy.close_name_similarity
        similarity = name_similarity(x, y)
        if similarity >= close or (
            (x[0] == y[0] and one_edit_apart(x, y)) or _typo_of_a_form(x, y)
        ):
            return 2
        if (
            similarity >= self.policy.similar_name_similarity
            or ((len(x) == 1 or len(y) == 1) and x[0] == y[0])
            or x in b.given_names
            or y in a.given_names
        ):
            return 3
        return 4


@lru_cache(maxsize=1 << 16)
def _typo_of_a_form(x: str, y: str) -> bool:
    """One edit from a form of the other name with the same first letter (MIEK and MICHAEL,
    through MIKE; not MAMIE, a form of MARY, and JAMIE)."""
    return any(form[0] == x[0] and one_edit_apart(x, form) for form in name_forms(y)) or any(
        form[0] == y[0] and one_edit_apart(y, form) for form in name_forms(x)
    )


class FamilyNameComparison(BaseComparison):
    """Family name: exact, one part of a multi-part name in common (or equal without spaces),
    Jaro-Winkler close or similar, different."""

    name = "family_name"
    levels = ("exact", "partial", "close", "similar", DIFFERENT, MISSING)
    m_start = (0.85, 0.03, 0.06, 0.03, 0.03)
    u_start = (0.005, 0.002, 0.005, 0.03, 0.958)
    frequency_field = "family"
    exact_field = "family"

    def level(self, a: PreparedRecord, b: PreparedRecord) -> int:
        x, y = a.family, b.family
        if not x or not y:
            return 5
        if x == y:
            return 0
        if (len(a.family_tokens) > 1 or len(b.family_tokens) > 1) and (
            x.replace(" ", "") == y.replace(" ", "")
            or any(len(t) > 2 and t in b.family_tokens for t in a.family_tokens)
        ):
            return 1
        similarity = name_similarity(x, y)
        if similarity >= self.policy.close_name_similarity:
            return 2
        if similarity >= self.policy.similar_name_similarity:
            return 3
        return 4


class BirthDateComparison(BaseComparison):
    """Birth date: exact, transposed (day/month or adjacent digits), one digit off, different."""

    name = "birth_date"
    levels = ("exact", "transposed", "one_digit", DIFFERENT, MISSING)
    m_start = (0.93, 0.03, 0.02, 0.02)
    u_start = (0.0001, 0.0002, 0.002, 0.9977)
    exact_field = "birth_date"

    def level(self, a: PreparedRecord, b: PreparedRecord) -> int:
        if not a.birth_date or not b.birth_date:
            return 4
        return int(compare_dates(a.birth_date, b.birth_date))


class SexComparison(BaseComparison):
    """Administrative sex: same or different.

    Its guard is waived when the given names are one name (exact or a nickname): a clerk ticks
    the wrong box for a CHRISTOPHER now and then, while a MARK and a MARIA with one birth date
    and one home are twins."""

    name = "sex"
    levels = ("exact", DIFFERENT, MISSING)
    m_start = (0.98, 0.02)
    u_start = (0.5, 0.5)
    exact_field = "sex"
    guard_waived_by = ("given_name", 1)

    def level(self, a: PreparedRecord, b: PreparedRecord) -> int:
        if not a.sex or not b.sex:
            return 2
        return 0 if a.sex == b.sex else 1


class AddressComparison(BaseComparison):
    """Residence: same street address (house number and a close street line), same postcode (or
    city, when a postcode is missing), different."""

    name = "address"
    levels = ("same_address", "same_area", DIFFERENT, MISSING)
    m_start = (0.75, 0.12, 0.13)
    u_start = (0.0005, 0.05, 0.9495)

    def level(self, a: PreparedRecord, b: PreparedRecord) -> int:
        if a.street and b.street:
            postcodes_differ = a.postcode and b.postcode and a.postcode != b.postcode
            if not postcodes_differ and (
                a.street == b.street
                or (
                    a.house
                    and a.house == b.house
                    and name_similarity(a.street, b.street) >= self.policy.address_similarity
                )
            ):
                return 0
        if a.postcode and b.postcode:
            return 1 if a.postcode == b.postcode else 2
        if a.city and b.city:
            return 1 if a.city == b.city else 2
        if a.street and b.street:
            return 2
        return 3


class PhoneComparison(BaseComparison):
    """Phone: same ten digits, same last seven (area code missing or changed), different."""

    name = "phone"
    levels = ("exact", "last_seven", DIFFERENT, MISSING)
    m_start = (0.7, 0.05, 0.25)
    u_start = (0.0005, 0.0005, 0.999)

    def level(self, a: PreparedRecord, b: PreparedRecord) -> int:
        if not a.phone or not b.phone:
            return 3
        if a.phone == b.phone:
            return 0
        return 1 if a.phone[-7:] == b.phone[-7:] else 2


class SsnComparison(BaseComparison):
    """SSN: all nine digits the same; the last four the same (all one side has, or all it
    shows: ``***-**-1234``); one digit off or two adjacent digits swapped; different."""

    name = "ssn"
    levels = ("exact", "last_four", "one_edit", DIFFERENT, MISSING)
    m_start = (0.5, 0.45, 0.03, 0.02)
    u_start = (0.000001, 0.0001, 0.003, 0.996899)
    # No exact_field: nearly every pair sharing a full SSN is one person, so counting equal
    # values would measure the duplicates, not chance; the sample and the prior decide.

    def level(self, a: PreparedRecord, b: PreparedRecord) -> int:
        x, y = a.ssn, b.ssn
        if not x or not y:
            return 4
        if x == y:
            return 0 if len(x) == 9 else 1
        if len(x) != len(y):
            x, y = x[-4:], y[-4:]
            if x == y:
                return 1
        differing = [i for i in range(len(x)) if x[i] != y[i]]
        if len(differing) == 1 or (
            len(differing) == 2
            and differing[1] == differing[0] + 1
            and x[differing[0]] == y[differing[1]]
            and x[differing[1]] == y[differing[0]]
        ):
            return 2
        return 3


class ContactComparison(BaseComparison):
    """Address and phone together: a household shares both, so counting each as independent
    evidence would make every parent and child look like one person twice over. Levels: both
    agree, the address only, the phone only (moved, kept the mobile), same postcode or city,
    different."""

    name = "contact"
    levels = ("address_and_phone", "address", "phone", "same_area", DIFFERENT, MISSING)
    m_start = (0.55, 0.25, 0.08, 0.04, 0.08)
    u_start = (0.0002, 0.0004, 0.0002, 0.05, 0.9492)

    def __init__(self, policy: MatchPolicy) -> None:
        super().__init__(policy)
        self._address = AddressComparison(policy)
        self._phone = PhoneComparison(policy)

    def level(self, a: PreparedRecord, b: PreparedRecord) -> int:
        address = self._address.level(a, b)
        phone = self._phone.level(a, b)
        if address == 0:
            return 0 if phone in (0, 1) else 1
        if phone in (0, 1):
            return 2
        if address == 1:
            return 3
        if address == 2 or phone == 2:
            return 4
        return 5


def default_comparisons(policy: MatchPolicy) -> tuple[BaseComparison, ...]:
    """The patient comparisons, in the order of a comparison vector."""
    return (
        GivenNameComparison(policy),
        FamilyNameComparison(policy),
        BirthDateComparison(policy),
        SexComparison(policy),
        ContactComparison(policy),
        SsnComparison(policy),
    )


def names_swapped(a: PreparedRecord, b: PreparedRecord, close: float) -> bool:
    """Whether ``b`` has ``a``'s given and family names the other way round."""
    if not (a.given and a.family and b.given and b.family) or a.given == b.given:
        return False
    if a.given[0] != b.family[0] and a.family[0] != b.given[0]:
        return False  # a typo on both first letters as well is too rare to look for
    crossed = name_similarity(a.given, b.family_tokens[0]) + name_similarity(
        a.family_tokens[0], b.given
    )
    if crossed < 2 * close:
        return False
    straight = name_similarity(a.given, b.given) + name_similarity(a.family, b.family)
    return crossed > straight


def compare(
    a: PreparedRecord, b: PreparedRecord, comparisons: tuple[BaseComparison, ...], close: float
) -> tuple[int, ...]:
    """The comparison vector of a pair: one level index per comparison."""
    if names_swapped(a, b, close):
        b = b.names_swapped()
    return tuple(c.level(a, b) for c in comparisons)
