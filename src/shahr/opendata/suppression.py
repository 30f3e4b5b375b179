"""Secondary (complementary) suppression as a graph problem.

One 2-D table with both margins is a graph: a node per row, a node per column, and two hubs, one for the
row totals and one for the column totals. Each cell is an edge row-column, each row total an edge
row-hub, each column total an edge column-hub; the group's grand total is taken as public (a day's
boardings by mode is published elsewhere, and follows from the margins whenever one side is complete),
so the hubs are not joined. Every node's equation (a row: its cells minus its total is 0) is public, so a
suppressed value is recomputable exactly when its edge is a bridge of the graph of suppressed edges:
around a cycle, values can move by +d, -d, +d, ... without changing any equation (and, all of them being
positive, without leaving the non-negative values either).

So each bridge gets the cheapest path between its two ends in the graph of all positive edges, where an
edge already suppressed costs 0 and another costs its people: suppressing that path closes a cycle. New
edges lie on that cycle and added edges never turn a cycle's edge into a bridge, so one pass over the
first bridges is enough. Such a path always exists when the group has at least k people in all
(`privacy.suppress` sends no other group here): a primary cell, being below k, is never the group's only
positive cell, and with another positive cell and the totals of both it closes a cycle (likewise a total).
"""

from __future__ import annotations

from collections import defaultdict
from heapq import heappop, heappush

import networkx as nx
import numpy as np
from numpy.typing import NDArray

ROW_HUB = -1
"""The node of the row totals: a row total is an edge row -> ROW_HUB."""
COLUMN_HUB = -2
"""The node of the column totals."""


def secondary(
    group: NDArray[np.int64],
    u: NDArray[np.int64],
    v: NDArray[np.int64],
    cost: NDArray[np.int64],
    primary: NDArray[np.bool_],
) -> NDArray[np.bool_]:
    """Which edges to suppress (primary ones included) so that no suppressed edge is a bridge.

    The arrays hold the positive edges (people > 0) of the groups needing work, sorted by `group`; `cost`
    is what suppressing an edge loses (its people, more for an edge a cycle cannot shift both ways).
    """
    suppressed = primary.copy()
    starts = np.flatnonzero(np.diff(group, prepend=-1, append=-1))
    for lo, hi in zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True):
        try:
            added = _complements(u[lo:hi].tolist(), v[lo:hi].tolist(), cost[lo:hi].tolist(), primary[lo:hi])
        except NoCycle:  # distinct totals: a group of k in cells may hold fewer people; blank all of it
            added = list(range(hi - lo))
        suppressed[[lo + e for e in added]] = True
    return suppressed


class NoCycle(Exception):
    """No path of positive edges closes a cycle around a suppressed edge: only blanking its whole group
    protects it (possible when totals count distinct people, fewer than their cells' sum)."""


def _complements(u: list[int], v: list[int], cost: list[int], primary: NDArray[np.bool_]) -> list[int]:
    """The edges of one table to suppress so that no primary edge is a bridge."""
    known = nx.Graph()
    known.add_edges_from((u[e], v[e], {"e": e}) for e in np.flatnonzero(primary).tolist())
    bridges = sorted(known.edges[edge]["e"] for edge in nx.bridges(known))
    if not bridges:
        return []
    cost = [0 if hidden else c for c, hidden in zip(cost, primary.tolist(), strict=True)]
    adjacency: defaultdict[int, list[tuple[int, int]]] = defaultdict(list)
    for e, (a, b) in enumerate(zip(u, v, strict=True)):
        adjacency[a].append((b, e))
        adjacency[b].append((a, e))
    added: list[int] = []
    for bridge in bridges:
        for e in _cheapest_path(adjacency, cost, u[bridge], v[bridge], bridge):
            if cost[e]:
                cost[e] = 0
                added.append(e)
    return added


def _cheapest_path(
    adjacency: defaultdict[int, list[tuple[int, int]]], cost: list[int], source: int, target: int, banned: int
) -> list[int]:
    """The edges of the cheapest path source -> target avoiding edge `banned` (Dijkstra; ties by order)."""
    best = {source: 0}
    via: dict[int, tuple[int, int]] = {}
    heap = [(0, 0, source)]
    pushed = 1
    while heap:
        distance, _, node = heappop(heap)
        if node == target:
            break
        if distance > best[node]:
            continue
        for neighbour, e in adjacency[node]:
            through = distance + cost[e]
            if e != banned and through < best.get(neighbour, through + 1):
                best[neighbour] = through
                via[neighbour] = (node, e)
                heappush(heap, (through, pushed, neighbour))
                pushed += 1
    else:
        raise NoCycle(f"no cycle can hide edge {banned}")
    path = []
    while node != source:
        node, e = via[node]
        path.append(e)
    return path
