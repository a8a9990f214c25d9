"""Connected components on DataFrames against a plain union-find reference."""
from __future__ import annotations

import random

import pytest

from jobs.dedup.components import connected_components

pytestmark = pytest.mark.spark


def _reference(edges):
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {n: find(n) for n in parent}


@pytest.mark.slow
def test_components_match_union_find_on_chains_stars_and_random_graph(spark):
    rng = random.Random(11)
    edges = [(i, i + 1) for i in range(100, 116)]            # a path (worst case for label propagation)
    edges += [(500, k) for k in range(501, 530)]               # a star
    edges += [(rng.randrange(1000, 1300), rng.randrange(1000, 1300)) for _ in range(120)]
    edges += [(7, 7), (9, 8)]                                  # self loop, reversed edge
    df = spark.createDataFrame(edges, "src long, dst long")
    result = connected_components(df, max_iterations=30)
    got = {r["node"]: r["component"] for r in result.labels.collect()}
    expected = {n: c for n, c in _reference([e for e in edges if e[0] != e[1]]).items()}
    assert got == expected
    assert result.iterations >= 2  # the path needs several rounds


def test_string_nodes_and_empty_input(spark):
    df = spark.createDataFrame([("b", "a"), ("c", "b"), ("x", "y")], "src string, dst string")
    got = {r["node"]: r["component"] for r in connected_components(df).labels.collect()}
    assert got == {"a": "a", "b": "a", "c": "a", "x": "x", "y": "x"}
    empty = spark.createDataFrame([], "src long, dst long")
    assert connected_components(empty).labels.count() == 0
