"""The sandbox's duplicate-patient set: synthetic people registered, sometimes more than once and
with the mistakes registration desks make, in the EHR, the revenue-cycle platform and the ERP.

``careweave mpi generate`` writes it; the truth (which records are one person) goes to a second
file, so that the patient matcher (:mod:`careweave.masterdata.identity`) can be scored on it.
"""

from careweave.sandbox.identity.dataset import (
    DuplicateSet,
    LinkageQuality,
    generate_duplicate_set,
    linkage_quality,
    read_truth,
    write_duplicate_set,
)
from careweave.sandbox.identity.population import Person, build_people

__all__ = [
    "DuplicateSet",
    "LinkageQuality",
    "Person",
    "build_people",
    "generate_duplicate_set",
    "linkage_quality",
    "read_truth",
    "write_duplicate_set",
]
