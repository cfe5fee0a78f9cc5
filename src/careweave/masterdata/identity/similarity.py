"""String similarity for names and addresses: Jaro and Jaro-Winkler.

Jaro-Winkler is the comparator record linkage has used on names since the US Census Bureau's work
(Winkler 1990), and what Splink and recordlinkage offer for names: it forgives transpositions and
rewards a common prefix, where registration typos are rarest. Written here because a pure-Python
version with a cache answers well within the matcher's budget: names repeat (thousands of JOHNs),
so most comparisons are cache hits (measured in bench/mpi.py).
"""

from __future__ import annotations

from functools import lru_cache

WINKLER_PREFIX = 4
"""At most this many common leading characters earn the Winkler bonus."""
WINKLER_SCALE = 0.1
"""Bonus per common leading character."""
WINKLER_THRESHOLD = 0.7
"""Winkler's boost applies only to pairs whose Jaro similarity is above this."""


def jaro(a: str, b: str) -> float:
    """Jaro similarity of ``a`` and ``b`` in [0, 1]: 1 for equal strings, 0 for nothing in common."""
    if a == b:
        return 1.0
    len_a, len_b = len(a), len(b)
    if not len_a or not len_b:
        return 0.0
    if len_a > len_b:
        a, b, len_a, len_b = b, a, len_b, len_a
    window = max(len_b // 2 - 1, 0)
    taken = [False] * len_b
    matched_a: list[str] = []
    for i, char in enumerate(a):
        low, high = max(0, i - window), min(len_b, i + window + 1)
        for j in range(low, high):
            if not taken[j] and b[j] == char:
                taken[j] = True
                matched_a.append(char)
                break
    matches = len(matched_a)
    if not matches:
        return 0.0
    matched_b = [b[j] for j in range(len_b) if taken[j]]
    half_transpositions = sum(x != y for x, y in zip(matched_a, matched_b, strict=True))
    transpositions = half_transpositions // 2
    return (matches / len_a + matches / len_b + (matches - transpositions) / matches) / 3.0


def jaro_winkler(a: str, b: str) -> float:
    """Jaro-Winkler similarity of ``a`` and ``b`` in [0, 1] (prefix scale 0.1, at most 4 characters).

    Reference values (Winkler; the Census Bureau's test pairs): MARTHA/MARHTA 0.961, DWAYNE/DUANE
    0.840, DIXON/DICKSONX 0.813.
    """
    similarity = jaro(a, b)
    if similarity <= WINKLER_THRESHOLD:
        return similarity
    prefix = 0
    for x, y in zip(a[:WINKLER_PREFIX], b[:WINKLER_PREFIX], strict=False):
        if x != y:
            break
        prefix += 1
    return similarity + prefix * WINKLER_SCALE * (1.0 - similarity)


@lru_cache(maxsize=1 << 18)
def cached_jaro_winkler(a: str, b: str) -> float:
    """:func:`jaro_winkler` remembered: callers pass the pair in a stable order (``a <= b``)."""
    return jaro_winkler(a, b)


def name_similarity(a: str, b: str) -> float:
    """Jaro-Winkler of two normalised values, symmetric and cached."""
    if a == b:
        return 1.0
    return cached_jaro_winkler(a, b) if a < b else cached_jaro_winkler(b, a)


def one_edit_apart(a: str, b: str) -> bool:
    """Whether one insertion, deletion, substitution or swap of neighbours turns ``a`` into ``b``
    (Damerau-Levenshtein distance 1): the typo Jaro-Winkler under-rates in short names (AMY, AHY)."""
    if a == b:
        return False
    len_a, len_b = len(a), len(b)
    if abs(len_a - len_b) > 1:
        return False
    if len_a > len_b:
        a, b, len_a, len_b = b, a, len_b, len_a
    start = 0
    while start < len_a and a[start] == b[start]:
        start += 1
    if len_a == len_b:
        if a[start + 1 :] == b[start + 1 :]:
            return True
        return (
            start + 1 < len_a
            and a[start] == b[start + 1]
            and a[start + 1] == b[start]
            and a[start + 2 :] == b[start + 2 :]
        )
    return a[start:] == b[start + 1 :]
