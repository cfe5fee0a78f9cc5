"""Patients as clusters of linked records, without merging what must stay apart.

Linked pairs join clusters (union-find), strongest link first. A pair the matcher marked as
conflicting (reviewed at most because a guarded field disagrees, such as twins' given names) may
never end up in one cluster: a link that would join two clusters holding such a pair is refused and
goes to review instead. A cluster held together only by review-level pairs is no cluster at all:
review pairs never merge.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class PatientClusters:
    """Union-find over record indices with cannot-link constraints."""

    def __init__(self, size: int, conflicts: Iterable[tuple[int, int]] = ()) -> None:
        self._parent = list(range(size))
        self._members: dict[int, list[int]] = {}
        self._conflicts: dict[int, set[int]] = {}
        for i, j in conflicts:
            self._conflicts.setdefault(i, set()).add(j)
            self._conflicts.setdefault(j, set()).add(i)

    def find(self, i: int) -> int:
        """The representative of ``i``'s cluster."""
        parent = self._parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def members(self, i: int) -> list[int]:
        """Every record in ``i``'s cluster."""
        root = self.find(i)
        return self._members.get(root, [root])

    def can_join(self, i: int, j: int) -> bool:
        """Whether joining the clusters of ``i`` and ``j`` keeps every conflicting pair apart."""
        root_i, root_j = self.find(i), self.find(j)
        if root_i == root_j:
            return True
        small, other = sorted((root_i, root_j), key=lambda r: len(self.members(r)))
        for member in self.members(small):
            for partner in self._conflicts.get(member, ()):
                if self.find(partner) == other:
                    return False
        return True

    def join(self, i: int, j: int) -> None:
        """Put ``i`` and ``j`` in one cluster (no conflict check: see :meth:`can_join`)."""
        root_i, root_j = self.find(i), self.find(j)
        if root_i == root_j:
            return
        members_i, members_j = self.members(root_i), self.members(root_j)
        if len(members_i) < len(members_j):
            root_i, root_j, members_i, members_j = root_j, root_i, members_j, members_i
        self._parent[root_j] = root_i
        self._members[root_i] = members_i + members_j
        self._members.pop(root_j, None)

    def clusters(self) -> list[list[int]]:
        """Clusters of two or more records, each sorted, in order of their first record."""
        groups = [sorted(members) for members in self._members.values() if len(members) > 1]
        return sorted(groups)


def cluster_links(
    size: int,
    forced: Sequence[tuple[int, int]],
    links: Sequence[tuple[float, int, int]],
    conflicts: Iterable[tuple[int, int]],
) -> tuple[PatientClusters, list[tuple[int, int]]]:
    """Join ``forced`` pairs, then ``links`` strongest first unless they join a conflict.

    Returns the clusters and the refused links (to be reviewed).
    """
    clusters = PatientClusters(size, conflicts)
    for i, j in forced:
        clusters.join(i, j)
    refused = []
    for _, i, j in sorted(links, key=lambda link: (-link[0], link[1], link[2])):
        if clusters.can_join(i, j):
            clusters.join(i, j)
        else:
            refused.append((i, j))
    return clusters, refused
