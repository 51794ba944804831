import doctest

import graph.cooccurrence
from graph import contributions


def test_doctests():
    assert doctest.testmod(graph.cooccurrence).failed == 0


def test_page_and_image_scopes_link_image_labels_to_page_text():
    mentions = [{"key": "PERSON:lebron james", "page": 2},
                {"key": "BRAND:nike", "page": 2, "image": "p2-i0"},
                {"key": "GPE:ohio", "page": 3}]
    edges = {(s, a, b): n for s, a, b, n in contributions(mentions)}
    assert edges[("page", "BRAND:nike", "PERSON:lebron james")] == 1
    assert ("page", "GPE:ohio", "PERSON:lebron james") not in edges
    assert edges[("document", "GPE:ohio", "PERSON:lebron james")] == 1
    assert not [k for k in edges if k[0] == "image"]  # one entity in the image: no pair


def test_counts_are_units_in_common_not_mentions():
    mentions = [{"key": "A", "page": p} for p in (1, 2, 3)] + \
               [{"key": "B", "page": p} for p in (1, 2)] * 5
    edges = {(s, a, b): n for s, a, b, n in contributions(mentions)}
    assert edges == {("document", "A", "B"): 1, ("page", "A", "B"): 2}


def test_a_huge_unit_links_only_its_most_mentioned_entities():
    mentions = [{"key": f"E{i:04}"} for i in range(1000)] + [{"key": "E0999"}] * 3
    edges = contributions(mentions, max_entities=10)
    keys = {k for _, a, b, _ in edges for k in (a, b)}
    assert len(edges) == 45 and "E0999" in keys and len(keys) == 10
