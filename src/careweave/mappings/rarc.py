"""careweave's table of common remittance advice remark codes (RARC, X12 code source 411).

A remark code explains an adjustment. When the reason code is generic (CARC 16, 96, 125, 252, A1)
the first remark code listed here decides the denial category. Alert codes (``MA01``, ``N211``
...) carry no category and never decide one.
"""

from __future__ import annotations

from careweave.model.revenue import DenialCategory

C = DenialCategory

RARC_CATEGORIES: dict[str, DenialCategory] = {
    # eligibility and coordination of benefits
    "N30": C.ELIGIBILITY,  # patient ineligible for this service
    "N4": C.ELIGIBILITY,  # prior carrier EOB missing
    "MA04": C.ELIGIBILITY,  # secondary needs the primary payer's payment
    "N179": C.ELIGIBILITY,  # information requested from the member
    "MA61": C.ELIGIBILITY,  # member identifier missing or invalid
    "N382": C.ELIGIBILITY,  # patient identifier missing or invalid
    "N130": C.ELIGIBILITY,  # see plan benefit restrictions
    "N479": C.ELIGIBILITY,  # COB explanation of benefits missing
    "MA92": C.ELIGIBILITY,  # other insurance plan information missing
    "N52": C.ELIGIBILITY,  # not enrolled in the provider's managed care plan
    "N425": C.ELIGIBILITY,  # statutorily excluded service
    # authorization
    "N54": C.AUTHORIZATION,  # inconsistent with authorized services
    "M62": C.AUTHORIZATION,  # treatment authorization code missing or invalid
    "N241": C.AUTHORIZATION,  # review organization approval invalid
    # coding
    "M51": C.CODING,  # procedure code missing or invalid
    "M76": C.CODING,  # diagnosis missing or invalid
    "M20": C.CODING,  # HCPCS missing or invalid
    "M81": C.CODING,  # code to the highest specificity
    "N56": C.CODING,  # procedure code wrong for the service or date
    "M119": C.CODING,  # NDC missing, invalid or withdrawn
    "MA66": C.CODING,  # principal procedure code missing or invalid
    "M67": C.CODING,  # other procedure codes missing or invalid
    "N350": C.CODING,  # description missing for an unlisted code
    "N362": C.CODING,  # days or units above the acceptable maximum
    "N34": C.CODING,  # wrong claim form for the service
    # medical necessity and documentation
    "N115": C.MEDICAL_NECESSITY,  # local coverage determination
    "N386": C.MEDICAL_NECESSITY,  # national coverage determination
    "M127": C.MEDICAL_NECESSITY,  # medical record missing
    "M25": C.MEDICAL_NECESSITY,  # documentation does not support the level of service
    "N29": C.MEDICAL_NECESSITY,  # documentation, orders or notes missing
    "N10": C.MEDICAL_NECESSITY,  # decided by a review organization
    "N180": C.MEDICAL_NECESSITY,  # criteria for the billed category not met
    # duplicates
    "M86": C.DUPLICATE,  # already paid for the same service in the period
    "N111": C.DUPLICATE,  # included in a claim billed earlier
    "N522": C.DUPLICATE,  # duplicate of a crossover claim
    # bundling
    "N19": C.BUNDLING,  # incidental to the primary procedure
    "M15": C.BUNDLING,  # components of the same procedure
    "N20": C.BUNDLING,  # not payable with another service that day
    "M80": C.BUNDLING,  # same session as an earlier service
    "N122": C.BUNDLING,  # add-on code billed alone
    "M144": C.BUNDLING,  # pre/post-operative care in the global surgery
    "N70": C.BUNDLING,  # consolidated billing applies
    "N431": C.BUNDLING,  # not covered with this procedure
    # other
    "MA130": C.OTHER,  # unprocessable claim: resubmit, no appeal rights
    "N290": C.OTHER,  # rendering provider identifier missing
    "N257": C.OTHER,  # billing provider identifier missing
}

#: Informational remark codes: they travel with the adjustment but never decide its category.
ALERT_RARCS: frozenset[str] = frozenset({"MA01", "MA18", "N211", "N7", "N381", "N517", "N432"})
