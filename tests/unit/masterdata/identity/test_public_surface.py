"""The public surface of careweave.masterdata.identity, pinned."""

import careweave.masterdata.identity as identity


def test_the_public_names_are_exactly_these() -> None:
    assert sorted(identity.__all__) == [
        "BlockingReport", "BlockingRule", "COLUMNS", "DEFAULT_BLOCKING_RULES", "Decision",
        "Estimate", "LevelWeight", "MatchModel", "MatchPolicy", "MatchResult", "PairDecision",
        "PatientFile", "PatientMatcher", "PatientRecord", "PreparedRecord", "candidate_pairs",
        "expectation_maximisation", "jaro", "jaro_winkler", "read_patient_file",
    ]  # fmt: skip
    for name in identity.__all__:
        value = getattr(identity, name)
        assert isinstance(value, tuple | str) or value.__doc__, f"{name} needs a docstring"
