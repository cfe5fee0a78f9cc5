"""careweave's table of the common claim adjustment reason codes (CARC, X12 code source 139).

Each code says what the adjustment means for the books (its :class:`AdjustmentKind`) and, for
denials, the root-cause category. Labels are careweave's own short wording for work queues. A
*generic* code ("claim lacks information", "non-covered charges") says little on its own: its
category is refined by the remark codes (RARC) sent with it, see :mod:`careweave.mappings.rarc`.
Codes not in this table are classified as denials of category ``other`` so that a person looks.
"""

from __future__ import annotations

from typing import NamedTuple

from careweave.model.revenue import AdjustmentKind, DenialCategory

K = AdjustmentKind
C = DenialCategory


class CarcRule(NamedTuple):
    """How one CARC is understood."""

    kind: AdjustmentKind
    category: DenialCategory | None
    label: str
    generic: bool = False
    """The remark codes decide the category when one of them names it."""


def _denial(category: DenialCategory, label: str, *, generic: bool = False) -> CarcRule:
    return CarcRule(K.DENIAL, category, label, generic)


CARC_RULES: dict[str, CarcRule] = {
    # patient share
    "1": CarcRule(K.PATIENT_RESPONSIBILITY, None, "deductible"),
    "2": CarcRule(K.PATIENT_RESPONSIBILITY, None, "coinsurance"),
    "3": CarcRule(K.PATIENT_RESPONSIBILITY, None, "copay"),
    "66": CarcRule(K.PATIENT_RESPONSIBILITY, None, "blood deductible"),
    "100": CarcRule(K.PATIENT_RESPONSIBILITY, None, "payer paid the patient"),
    "142": CarcRule(K.PATIENT_RESPONSIBILITY, None, "Medicaid monthly patient liability"),
    # expected reductions under the contract
    "24": CarcRule(K.CONTRACTUAL, None, "capitation"),
    "45": CarcRule(K.CONTRACTUAL, None, "above fee schedule or contracted rate"),
    "59": CarcRule(K.CONTRACTUAL, None, "multiple or concurrent procedure reduction"),
    "69": CarcRule(K.CONTRACTUAL, None, "day outlier"),
    "70": CarcRule(K.CONTRACTUAL, None, "cost outlier"),
    "74": CarcRule(K.CONTRACTUAL, None, "indirect medical education"),
    "75": CarcRule(K.CONTRACTUAL, None, "direct medical education"),
    "94": CarcRule(K.CONTRACTUAL, None, "processed in excess of charges"),
    "104": CarcRule(K.CONTRACTUAL, None, "managed care withholding"),
    "131": CarcRule(K.CONTRACTUAL, None, "claim-specific negotiated discount"),
    "253": CarcRule(K.CONTRACTUAL, None, "sequestration"),
    # absorbed without a work item
    "23": CarcRule(K.WRITE_OFF, None, "impact of prior payer adjudication"),
    "246": CarcRule(K.WRITE_OFF, None, "reporting-only code, not payable"),
    # eligibility and coverage
    "19": _denial(C.ELIGIBILITY, "workers' compensation liability"),
    "20": _denial(C.ELIGIBILITY, "liability carrier coverage"),
    "21": _denial(C.ELIGIBILITY, "no-fault carrier liability"),
    "22": _denial(C.ELIGIBILITY, "coordination of benefits: another payer first"),
    "26": _denial(C.ELIGIBILITY, "service before coverage started"),
    "27": _denial(C.ELIGIBILITY, "service after coverage ended"),
    "31": _denial(C.ELIGIBILITY, "patient not identified as insured"),
    "32": _denial(C.ELIGIBILITY, "dependent not eligible"),
    "33": _denial(C.ELIGIBILITY, "no dependent coverage"),
    "34": _denial(C.ELIGIBILITY, "no newborn coverage"),
    "35": _denial(C.ELIGIBILITY, "lifetime benefit maximum reached"),
    "49": _denial(C.ELIGIBILITY, "routine exam or screening not covered"),
    "96": _denial(C.ELIGIBILITY, "non-covered charges", generic=True),
    "109": _denial(C.ELIGIBILITY, "not covered by this payer: bill the right one"),
    "119": _denial(C.ELIGIBILITY, "benefit maximum for the period reached"),
    "140": _denial(C.ELIGIBILITY, "member id and name do not match"),
    "177": _denial(C.ELIGIBILITY, "eligibility requirements not met"),
    "178": _denial(C.ELIGIBILITY, "spend-down not met"),
    "200": _denial(C.ELIGIBILITY, "lapse in coverage"),
    "204": _denial(C.ELIGIBILITY, "not covered under the current benefit plan"),
    "227": _denial(C.ELIGIBILITY, "information requested from the patient not provided"),
    "B9": _denial(C.ELIGIBILITY, "patient enrolled in hospice"),
    # authorization and referral
    "15": _denial(C.AUTHORIZATION, "authorization number missing or invalid"),
    "39": _denial(C.AUTHORIZATION, "authorization denied when requested"),
    "183": _denial(C.AUTHORIZATION, "referring provider not eligible to refer"),
    "197": _denial(C.AUTHORIZATION, "precertification/authorization absent"),
    "198": _denial(C.AUTHORIZATION, "precertification/authorization exceeded"),
    "242": _denial(C.AUTHORIZATION, "not provided by network/primary care providers"),
    "243": _denial(C.AUTHORIZATION, "not authorized by network/primary care providers"),
    # coding
    "4": _denial(C.CODING, "modifier inconsistent or missing"),
    "5": _denial(C.CODING, "code or bill type inconsistent with place of service"),
    "6": _denial(C.CODING, "code inconsistent with patient age"),
    "7": _denial(C.CODING, "code inconsistent with patient sex"),
    "8": _denial(C.CODING, "code inconsistent with provider type"),
    "9": _denial(C.CODING, "diagnosis inconsistent with patient age"),
    "10": _denial(C.CODING, "diagnosis inconsistent with patient sex"),
    "11": _denial(C.CODING, "diagnosis inconsistent with procedure"),
    "12": _denial(C.CODING, "diagnosis or procedure needs more information"),
    "58": _denial(C.CODING, "invalid place of service for the treatment"),
    "146": _denial(C.CODING, "diagnosis invalid for the date of service"),
    "181": _denial(C.CODING, "procedure code invalid on the date of service"),
    "182": _denial(C.CODING, "modifier invalid on the date of service"),
    "189": _denial(C.CODING, "unlisted code billed where a specific code exists"),
    "199": _denial(C.CODING, "revenue code and procedure code do not match"),
    "B16": _denial(C.CODING, "new patient qualifications not met"),
    # medical necessity and documentation
    "40": _denial(C.MEDICAL_NECESSITY, "emergent/urgent criteria not met"),
    "50": _denial(C.MEDICAL_NECESSITY, "not medically necessary"),
    "55": _denial(C.MEDICAL_NECESSITY, "experimental/investigational"),
    "56": _denial(C.MEDICAL_NECESSITY, "not proven effective"),
    "150": _denial(C.MEDICAL_NECESSITY, "documentation does not support the level of service"),
    "151": _denial(C.MEDICAL_NECESSITY, "documentation does not support the frequency"),
    "167": _denial(C.MEDICAL_NECESSITY, "diagnosis not covered"),
    "188": _denial(C.MEDICAL_NECESSITY, "not used according to FDA recommendations"),
    "222": _denial(C.MEDICAL_NECESSITY, "exceeds contracted maximum hours/days/units"),
    "226": _denial(C.MEDICAL_NECESSITY, "requested records not provided in time"),
    "250": _denial(C.MEDICAL_NECESSITY, "wrong attachment received"),
    "251": _denial(C.MEDICAL_NECESSITY, "attachment incomplete"),
    "252": _denial(C.MEDICAL_NECESSITY, "attachment required", generic=True),
    # timely filing
    "29": _denial(C.TIMELY_FILING, "filing limit expired"),
    # duplicates
    "18": _denial(C.DUPLICATE, "exact duplicate claim/service"),
    "B13": _denial(C.DUPLICATE, "previously paid"),
    # bundling
    "97": _denial(C.BUNDLING, "included in another service's payment"),
    "190": _denial(C.BUNDLING, "included in the SNF stay allowance"),
    "231": _denial(C.BUNDLING, "mutually exclusive procedures"),
    "234": _denial(C.BUNDLING, "procedure not paid separately"),
    "236": _denial(C.BUNDLING, "incompatible procedure/modifier combination (NCCI)"),
    "B15": _denial(C.BUNDLING, "requires a qualifying service"),
    # other: enrolment, credentialing, generic billing errors
    "16": _denial(C.OTHER, "claim lacks information or has billing errors", generic=True),
    "107": _denial(C.OTHER, "related or qualifying claim not identified"),
    "110": _denial(C.OTHER, "billing date before service date"),
    "125": _denial(C.OTHER, "submission/billing errors", generic=True),
    "129": _denial(C.OTHER, "prior processing information incorrect"),
    "170": _denial(C.OTHER, "not payable to this provider type"),
    "171": _denial(C.OTHER, "not payable to this provider type in this facility"),
    "185": _denial(C.OTHER, "rendering provider not eligible"),
    "A1": _denial(C.OTHER, "claim/service denied", generic=True),
    "B7": _denial(C.OTHER, "provider not certified for the service on that date"),
    "B20": _denial(C.OTHER, "furnished by another provider"),
}
