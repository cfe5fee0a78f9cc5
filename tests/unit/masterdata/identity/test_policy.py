"""MatchPolicy refuses settings that cannot work, naming them."""

from __future__ import annotations

import pytest

from careweave.exceptions import ConfigError
from careweave.masterdata.identity import MatchPolicy


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"link_threshold": 0.5, "review_threshold": 0.9}, "thresholds"),
        ({"review_threshold": 0.0}, "thresholds"),
        ({"link_threshold": 1.5}, "thresholds"),
        ({"review_only_when_different": ("nickname",)}, "nickname"),
        ({"link_needs_one_of": ("mrn",)}, "mrn"),
        ({"close_name_similarity": 0.0}, "close_name_similarity"),
        ({"max_block_size": 1}, "max_block_size"),
        ({"no_match_when_disagreeing": 0}, "no_match_when_disagreeing"),
    ],
)
def test_impossible_settings_are_refused(changes: dict[str, object], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        MatchPolicy(**changes)  # type: ignore[arg-type]


def test_the_defaults_link_at_0_99_and_review_from_0_5() -> None:
    policy = MatchPolicy()
    assert (policy.link_threshold, policy.review_threshold) == (0.99, 0.5)
    assert policy.review_only_when_different == ("given_name", "birth_date", "sex", "ssn")
