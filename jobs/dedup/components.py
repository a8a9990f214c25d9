"""Connected components on Spark DataFrames: alternating large-star / small-star (Kiveris et al., SoCC 2014).

Used by near-duplicate dedup (documents) and meant for image-hash dedup too: node columns may be of any
orderable type (long is fastest). Only DataFrame operations (groupBy, join, distinct): no graph jars, no
collect to the driver, no single-node union-find.

Edges are undirected; internally each is stored once as (child, parent) with child > parent.

* large-star: every node u links each *larger* neighbour v to m(u) = min(u, neighbours of u).
* small-star: every node u links itself and its *smaller* neighbours to m = min(u, smaller neighbours of u).

Both operations keep the connected components unchanged (every emitted edge joins two nodes already
connected, and every input edge stays connected through the common minimum), and Kiveris et al. prove that
alternating them reaches, in O(log^2 n) rounds, the fixpoint in which every component is a star whose centre is
the component's minimum node. We stop as soon as the edge set *is* such a union of stars (no node is both a
child and a parent, and every child has exactly one parent), which is checked on the data itself: the result is
correct whenever the loop ends, and `max_iterations` turns a (theoretically impossible) non-termination into
an error instead of a hang. Lineage is cut after each round with a (local) checkpoint.

Each round costs several Spark jobs and shuffles, a fixed cost that dominates when the edges are few. Up to
`driver_max_edges` edges (dedup passes dedup.broadcast_max_rows: tables that size are already broadcast, 16
bytes an edge) the edges are collected once and labelled on the driver with scipy's union-find; the labels
are the same (the minimum node of each component), so the result does not depend on the route.
"""
from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


class ComponentsDidNotConverge(RuntimeError):
    """The star check still failed after max_iterations rounds."""


@dataclass
class ComponentsResult:
    labels: DataFrame  # (node, component): every node that has an edge; component = min node of its component
    iterations: int    # large/small-star rounds; 0 when labelled on the driver


def _links(edges: DataFrame, src: str, dst: str) -> DataFrame:
    """The edges that join two nodes (no null end, no self loop)."""
    return edges.where(F.col(src).isNotNull() & F.col(dst).isNotNull() & (F.col(src) != F.col(dst)))


def _canonical(edges: DataFrame, src: str, dst: str) -> DataFrame:
    return (
        _links(edges, src, dst)
        .select(F.greatest(src, dst).alias("child"), F.least(src, dst).alias("parent"))
        .distinct()
    )


def _on_driver(edges: DataFrame, src: str, dst: str) -> DataFrame:
    import numpy as np
    import pyarrow as pa
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components as scipy_components

    table = _links(edges, src, dst).select(src, dst).toArrow()
    a, b = (table.column(i).to_numpy() for i in (0, 1))
    kind = table.schema.field(0).type
    nodes, index = np.unique(np.concatenate([a, b]), return_inverse=True)  # sorted: a component's first is its min
    n = len(nodes)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (index[:len(a)], index[len(a):])), shape=(n, n))
    _, label = scipy_components(graph, directed=False)
    _, first = np.unique(label, return_index=True)  # labels are 0..k-1: the first (smallest) node of each
    out = pa.table({"node": pa.array(nodes, kind), "component": pa.array(nodes[first[label]], kind)})
    return edges.sparkSession.createDataFrame(out)


def large_star(edges: DataFrame) -> DataFrame:
    both = edges.select(F.col("child").alias("u"), F.col("parent").alias("v")).unionByName(
        edges.select(F.col("parent").alias("u"), F.col("child").alias("v"))
    )
    low = both.groupBy("u").agg(F.min("v").alias("mv"))
    return (
        both.join(low, "u")
        .where(F.col("v") > F.col("u"))
        .select(F.col("v").alias("child"), F.least("u", "mv").alias("parent"))
        .distinct()
    )


def small_star(edges: DataFrame) -> DataFrame:
    low = edges.groupBy("child").agg(F.min("parent").alias("m"))
    joined = edges.join(low, "child")
    relinked = joined.where(F.col("parent") != F.col("m")).select(
        F.col("parent").alias("child"), F.col("m").alias("parent")
    )
    own = low.select("child", F.col("m").alias("parent"))
    return relinked.unionByName(own).distinct()


def is_union_of_stars(edges: DataFrame) -> bool:
    """No node is both a child and a parent, and every child has one parent. One aggregation (one shuffle):
    per node, how many edges it is the child of and whether it is a parent of any (edges are distinct)."""
    roles = edges.select(F.col("child").alias("n"), F.lit(1).alias("c"), F.lit(0).alias("p")).unionByName(
        edges.select(F.col("parent").alias("n"), F.lit(0).alias("c"), F.lit(1).alias("p")))
    per_node = roles.groupBy("n").agg(F.sum("c").alias("c"), F.max("p").alias("p"))
    return per_node.where((F.col("c") > 1) | ((F.col("c") == 1) & (F.col("p") == 1))).isEmpty()


def connected_components(
    edges: DataFrame,
    src: str = "src",
    dst: str = "dst",
    max_iterations: int = 64,
    checkpoint: str = "local",
    driver_max_edges: int = 0,
    n_edges: int | None = None,
) -> ComponentsResult:
    """Label every node that appears in `edges` with the minimum node of its connected component.

    checkpoint: "local" (executor storage; fast, fine for local runs and short jobs) or "reliable"
    (SparkContext.setCheckpointDir must be set; survives executor loss on a cluster).
    driver_max_edges: up to this many edges (n_edges if the caller has counted them), label on the driver."""
    if driver_max_edges > 0:
        if n_edges is None:
            n_edges = edges.count()
        if n_edges <= driver_max_edges:
            return ComponentsResult(labels=_on_driver(edges, src, dst), iterations=0)

    def cut(df: DataFrame) -> DataFrame:
        return df.localCheckpoint(eager=True) if checkpoint == "local" else df.checkpoint(eager=True)

    current = cut(_canonical(edges, src, dst))
    for iteration in range(1, max_iterations + 1):
        if is_union_of_stars(current):
            break
        current = cut(small_star(cut(large_star(current))))
    else:
        if not is_union_of_stars(current):
            raise ComponentsDidNotConverge(f"no fixpoint after {max_iterations} large/small-star rounds")
        iteration = max_iterations + 1
    roots = current.select(F.col("parent").alias("node"), F.col("parent").alias("component")).distinct()
    leaves = current.select(F.col("child").alias("node"), F.col("parent").alias("component"))
    return ComponentsResult(labels=leaves.unionByName(roots), iterations=iteration - 1)
