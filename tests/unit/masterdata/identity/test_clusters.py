"""Union-find clusters: strongest links first, conflicting records never merged."""

from __future__ import annotations

from careweave.masterdata.identity.clusters import PatientClusters, cluster_links


def test_links_join_clusters_transitively() -> None:
    clusters, refused = cluster_links(5, [], [(0.99, 0, 1), (0.995, 1, 2)], [])
    assert clusters.clusters() == [[0, 1, 2]]
    assert refused == []
    assert clusters.find(0) == clusters.find(2)
    assert clusters.members(4) == [4]


def test_a_link_that_would_join_a_conflicting_pair_is_refused_weakest_first() -> None:
    # Twins 0 and 1 conflict; record 2 (a duplicate of 0 without a given name) links to both.
    clusters, refused = cluster_links(3, [], [(0.991, 1, 2), (0.999, 0, 2)], [(0, 1)])
    assert clusters.clusters() == [[0, 2]]
    assert refused == [(1, 2)]


def test_forced_links_join_whatever_the_conflicts() -> None:
    clusters, refused = cluster_links(3, [(0, 1)], [(0.999, 1, 2)], [(0, 1), (0, 2)])
    assert clusters.clusters() == [[0, 1]]
    assert refused == [(1, 2)]


def test_can_join_checks_every_member_of_both_clusters() -> None:
    clusters = PatientClusters(6, conflicts=[(0, 5)])
    clusters.join(0, 1)
    clusters.join(1, 2)
    clusters.join(4, 5)
    assert clusters.can_join(3, 4)
    assert not clusters.can_join(2, 4)
    assert clusters.can_join(2, 1)  # already one cluster
