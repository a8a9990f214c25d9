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


@pytest.mark.parametrize("route", [pytest.param("rounds", marks=pytest.mark.slow), "driver"])
def test_components_match_union_find_on_chains_stars_and_random_graph(spark, route):
    rng = random.Random(11)
    edges = [(i, i + 1) for i in range(100, 116)]            # a path (worst case for label propagation)
    edges += [(500, k) for k in range(501, 530)]               # a star
    edges += [(rng.randrange(1000, 1300), rng.randrange(1000, 1300)) for _ in range(120)]
    edges += [(7, 7), (9, 8)]                                  # self loop, reversed edge
    df = spark.createDataFrame(edges, "src long, dst long")
    # The driver route takes graphs up to driver_max_edges; the rounds take the rest. Same labels either way.
    result = connected_components(df, max_iterations=30, driver_max_edges=len(edges) if route == "driver" else 0)
    got = {r["node"]: r["component"] for r in result.labels.collect()}
    expected = {n: c for n, c in _reference([e for e in edges if e[0] != e[1]]).items()}
    assert got == expected
    if route == "rounds":
        assert result.iterations >= 2  # the path needs several rounds
    else:
        assert result.iterations == 0


@pytest.mark.parametrize("driver_max_edges", [0, 2, 3])  # 3 edges: over the driver limit (rounds) or within
def test_string_nodes_and_empty_input(spark, driver_max_edges):
    df = spark.createDataFrame([("b", "a"), ("c", "b"), ("x", "y")], "src string, dst string")
    result = connected_components(df, driver_max_edges=driver_max_edges)
    assert (result.iterations == 0) == (driver_max_edges == 3)
    labels = result.labels
    assert {r["node"]: r["component"] for r in labels.collect()} == {"a": "a", "b": "a", "c": "a", "x": "x", "y": "x"}
    assert labels.schema.simpleString() == "struct<node:string,component:string>"
    empty = spark.createDataFrame([], "src long, dst long")
    labels = connected_components(empty, driver_max_edges=driver_max_edges).labels
    assert labels.count() == 0 and labels.schema.simpleString() == "struct<node:bigint,component:bigint>"
