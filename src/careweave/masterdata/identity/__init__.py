"""Patient identity (the master patient index): which records, across the EHR's MRNs, the
revenue-cycle platform's accounts and the ERP's patient references, are one patient.

Fellegi-Sunter record linkage, as Splink and recordlinkage do it: names, birth dates, sex,
address, phone and SSN normalised (:mod:`.names`, :mod:`.nicknames`, :mod:`.dates`,
:mod:`.contact`); candidate pairs from several blocking rules (:mod:`.blocking`); comparison
levels per field (:mod:`.comparisons`); u from random pairs and m by EM (:mod:`.estimation`);
weights summed as log2 Bayes factors into a match probability (:mod:`.scoring`); link, review or
no match by :class:`MatchPolicy`; patients as clusters that keep conflicting records apart
(:mod:`.clusters`). docs/patient-identity.md explains the parameters and how to tune them.
"""

from careweave.masterdata.identity.blocking import (
    DEFAULT_BLOCKING_RULES,
    BlockingReport,
    BlockingRule,
    candidate_pairs,
)
from careweave.masterdata.identity.csvfile import COLUMNS, PatientFile, read_patient_file
from careweave.masterdata.identity.estimation import Estimate, expectation_maximisation
from careweave.masterdata.identity.matcher import (
    Decision,
    MatchResult,
    PairDecision,
    PatientMatcher,
)
from careweave.masterdata.identity.policy import MatchPolicy
from careweave.masterdata.identity.records import PatientRecord, PreparedRecord
from careweave.masterdata.identity.scoring import LevelWeight, MatchModel
from careweave.masterdata.identity.similarity import jaro, jaro_winkler

__all__ = [
    "COLUMNS",
    "DEFAULT_BLOCKING_RULES",
    "BlockingReport",
    "BlockingRule",
    "Decision",
    "Estimate",
    "LevelWeight",
    "MatchModel",
    "MatchPolicy",
    "MatchResult",
    "PairDecision",
    "PatientFile",
    "PatientMatcher",
    "PatientRecord",
    "PreparedRecord",
    "candidate_pairs",
    "expectation_maximisation",
    "jaro",
    "jaro_winkler",
    "read_patient_file",
]
