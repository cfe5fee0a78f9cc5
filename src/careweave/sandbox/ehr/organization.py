"""The simulated regional health system: legal entities, facilities, units, providers, EHR dialects.

Riverbend Health runs two hospitals and an ambulatory clinic group on one Epic-like instance, except
Lakeshore Community Hospital, acquired and still on a Cerner-like system; its physician group bills
professional fees from its own practice-management system. Each sender has a :class:`VendorDialect`
that reproduces the habits seen in real feeds (see the corpus under ``shared/corpus/hl7v2``).
"""

from __future__ import annotations

import enum
import random

import msgspec

from careweave.sandbox.ehr.checkdigits import make_npi


class TimestampStyle(enum.StrEnum):
    """How a sender writes DTM values."""

    SECONDS_WITH_OFFSET = "seconds_offset"
    """``20250303081522-0600`` (Epic-like)."""
    SECONDS = "seconds"
    """``20250303081522``, local time, no zone (Cerner-like)."""
    MINUTES = "minutes"
    """``202503030815`` (practice-management systems)."""


class VendorDialect(msgspec.Struct, frozen=True, kw_only=True):
    """The wire habits of one sending system."""

    name: str
    sending_application: str
    version: str
    """MSH-12."""
    segment_terminator: str
    """CR per the standard; some senders use LF."""
    timestamps: TimestampStyle
    character_set: str
    """MSH-18 as sent (empty: not declared)."""
    encoding: str
    """Python codec of the bytes on the wire."""
    message_structure: bool
    """MSH-9.3 (``ADT_A01``) is sent."""
    pad_fields: bool
    """Segments keep their trailing empty fields (``PV1|1|I|...|||``)."""
    control_id_prefix: str


EPIC = VendorDialect(
    name="epic",
    sending_application="EPIC",
    version="2.5.1",
    segment_terminator="\r",
    timestamps=TimestampStyle.SECONDS_WITH_OFFSET,
    character_set="UNICODE UTF-8",
    encoding="utf-8",
    message_structure=True,
    pad_fields=False,
    control_id_prefix="",
)
CERNER = VendorDialect(
    name="cerner",
    sending_application="HNAM",
    version="2.3",
    segment_terminator="\r",
    timestamps=TimestampStyle.SECONDS,
    character_set="8859/1",
    encoding="latin-1",
    message_structure=False,
    pad_fields=True,
    control_id_prefix="Q",
)
PRACTICE = VendorDialect(
    name="practice",
    sending_application="RBPG_PM",
    version="2.3",
    segment_terminator="\n",
    timestamps=TimestampStyle.MINUTES,
    character_set="",
    encoding="utf-8",
    message_structure=False,
    pad_fields=False,
    control_id_prefix="PM",
)


class UnitKind(enum.StrEnum):
    """What a nursing unit or department is used for."""

    MED_SURG = "med_surg"
    CRITICAL_CARE = "critical_care"
    EMERGENCY = "emergency"
    CATH_LAB = "cath_lab"
    CLINIC = "clinic"


class CareUnit(msgspec.Struct, frozen=True, kw_only=True):
    """A point of care (PV1-3.1) with its rooms, and the GL cost center it books to."""

    code: str
    kind: UnitKind
    rooms: tuple[str, ...]
    beds: tuple[str, ...]
    cost_center: str
    building: str = ""
    floor: str = ""


class Facility(msgspec.Struct, frozen=True, kw_only=True):
    """A facility that sends HL7: its MSH-4, legal entity and units."""

    code: str
    """MSH-4.1 and PV1-3.4."""
    name: str
    oid: str
    entity: str
    """Legal entity code (the ERP company)."""
    entity_name: str
    npi: str
    """Organization (type 2) NPI."""
    dialect: VendorDialect
    mrn_authority: str
    """PID-3.4 assigning authority of this facility's MRNs."""
    units: tuple[CareUnit, ...]

    def units_of(self, kind: UnitKind) -> tuple[CareUnit, ...]:
        """Units of one kind."""
        return tuple(u for u in self.units if u.kind is kind)


class Specialty(enum.StrEnum):
    """Provider specialties the scenario needs."""

    INTERVENTIONAL_CARDIOLOGY = "interventional_cardiology"
    ELECTROPHYSIOLOGY = "electrophysiology"
    HOSPITALIST = "hospitalist"
    EMERGENCY = "emergency"
    PRIMARY_CARE = "primary_care"


class Provider(msgspec.Struct, frozen=True, kw_only=True):
    """A physician: NPI, local EHR ids and name."""

    npi: str
    epic_id: str
    cerner_id: str
    family: str
    given: str
    middle: str
    degree: str
    specialty: Specialty


class HealthSystem(msgspec.Struct, frozen=True, kw_only=True):
    """The whole enterprise the simulator speaks for."""

    name: str
    empi_authority: str
    hospital_a: Facility
    hospital_b: Facility
    clinics: Facility
    physician_group: Facility
    providers: tuple[Provider, ...]

    @property
    def facilities(self) -> tuple[Facility, ...]:
        """All sending facilities."""
        return (self.hospital_a, self.hospital_b, self.clinics, self.physician_group)

    def providers_of(self, specialty: Specialty) -> tuple[Provider, ...]:
        """Providers of one specialty."""
        return tuple(p for p in self.providers if p.specialty is specialty)


def _unit(
    code: str, kind: UnitKind, rooms: int, cost_center: str, prefix: str, **kw: str
) -> CareUnit:
    names = tuple(f"{prefix}{i + 1:02d}" for i in range(rooms))
    beds = ("A", "B") if kind in (UnitKind.MED_SURG, UnitKind.CRITICAL_CARE) else ("",)
    return CareUnit(code=code, kind=kind, rooms=names, beds=beds, cost_center=cost_center, **kw)


_FAMILY = ("OKAFOR", "LINDQVIST", "PATEL", "MORALES", "CHEN", "BRANDT", "NGUYEN", "HALVORSEN",
           "ABERNATHY", "KOWALSKI", "DUBOIS", "ROSENTHAL", "IBARRA", "STEWART", "YAMADA", "OSEI")  # fmt: skip
_GIVEN = ("AMARA", "ERIK", "PRIYA", "LUIS", "WEI", "KATRIN", "MINH", "INGRID", "THOMAS",
          "AGNIESZKA", "CLAIRE", "DAVID", "SOFIA", "GRAHAM", "KENJI", "ABENA")  # fmt: skip


def build_health_system(rng: random.Random) -> HealthSystem:
    """The Riverbend Health enterprise, with providers drawn from ``rng``."""
    hospital_a = Facility(
        code="RBMC",
        name="RIVERBEND MEDICAL CENTER",
        oid="1.2.840.114350.1.13.861.2.7.2.686980",
        entity="RBH01",
        entity_name="Riverbend Medical Center, Inc.",
        npi=make_npi(rng, organization=True),
        dialect=EPIC,
        mrn_authority="RBH",
        units=(
            _unit(
                "RBMC 4 WEST", UnitKind.MED_SURG, 24, "RBH01-6140", "40", building="MAIN", floor="4"
            ),
            _unit(
                "RBMC CCU",
                UnitKind.CRITICAL_CARE,
                12,
                "RBH01-6210",
                "C3",
                building="MAIN",
                floor="3",
            ),
            _unit(
                "RBMC ED", UnitKind.EMERGENCY, 30, "RBH01-6450", "ED", building="MAIN", floor="1"
            ),
            _unit(
                "RBMC CATH LAB",
                UnitKind.CATH_LAB,
                3,
                "RBH01-7481",
                "CL",
                building="HEART",
                floor="2",
            ),
        ),
    )
    hospital_b = Facility(
        code="LCH",
        name="LAKESHORE COMMUNITY HOSPITAL",
        oid="2.16.840.1.113883.3.7731.1",
        entity="LCH02",
        entity_name="Lakeshore Community Hospital LLC",
        npi=make_npi(rng, organization=True),
        dialect=CERNER,
        mrn_authority="LCH MRN",
        units=(
            _unit("3E", UnitKind.MED_SURG, 20, "LCH02-6140", "3"),
            _unit("ICU", UnitKind.CRITICAL_CARE, 8, "LCH02-6200", "I"),
            _unit("ED", UnitKind.EMERGENCY, 16, "LCH02-6450", "E"),
            _unit("CVL", UnitKind.CATH_LAB, 2, "LCH02-7481", "CVL"),
        ),
    )
    clinics = Facility(
        code="RBAC",
        name="RIVERBEND AMBULATORY CLINICS",
        oid="1.2.840.114350.1.13.861.2.7.2.686981",
        entity="RBH03",
        entity_name="Riverbend Ambulatory Care Group",
        npi=make_npi(rng, organization=True),
        dialect=EPIC,
        mrn_authority="RBH",
        units=(
            _unit("RBAC HEART CLINIC", UnitKind.CLINIC, 8, "RBH03-5510", "HC"),
            _unit("RBAC PRIMARY CARE NORTH", UnitKind.CLINIC, 10, "RBH03-5520", "PN"),
        ),
    )
    physician_group = Facility(
        code="RBPG",
        name="RIVERBEND PHYSICIAN GROUP",
        oid="2.16.840.1.113883.3.7731.9",
        entity="RBPG04",
        entity_name="Riverbend Physician Group, P.C.",
        npi=make_npi(rng, organization=True),
        dialect=PRACTICE,
        mrn_authority="RBPG",
        units=(_unit("RBPG CARDIOLOGY", UnitKind.CLINIC, 6, "RBPG04-5100", "EX"),),
    )
    specialties = (
        [Specialty.INTERVENTIONAL_CARDIOLOGY] * 4
        + [Specialty.ELECTROPHYSIOLOGY] * 2
        + [Specialty.HOSPITALIST] * 4
        + [Specialty.EMERGENCY] * 3
        + [Specialty.PRIMARY_CARE] * 3
    )
    families = rng.sample(_FAMILY, len(specialties))
    providers = tuple(
        Provider(
            npi=make_npi(rng),
            epic_id=str(rng.randrange(100000, 999999)),
            cerner_id=str(rng.randrange(10000000, 99999999)),
            family=family,
            given=rng.choice(_GIVEN),
            middle=rng.choice("ABCDEFGHJKLMNPRSTW"),
            degree="DO" if rng.random() < 0.2 else "MD",
            specialty=specialty,
        )
        for family, specialty in zip(families, specialties, strict=True)
    )
    return HealthSystem(
        name="RIVERBEND HEALTH",
        empi_authority="RBHEMPI",
        hospital_a=hospital_a,
        hospital_b=hospital_b,
        clinics=clinics,
        physician_group=physician_group,
        providers=providers,
    )
