"""Latency as a figure of the gate: p50, p95 and max seconds per gateway, from one observation.

Every request the observer sends is timed (``GatewayResponse.elapsed``, ``Page.elapsed``: from sending it to the
last byte of its body, on the target's clock). A gateway's figures pool its walk's pages and its large-``limit``
request; the probes are left out (they are tiny or refused, and would flatter the figures). Percentiles are
nearest-rank: the p95 of 14 pages is the 14th, a page that was actually served, never an interpolation.

When the observation is a replayed cassette the figures are the replay's, not the gateway's: cassettes do not
record timing (a recorded duration would be the fakes' anyway). The report says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from catalog_guard.gateway_client import GatewayResponse, GatewayWalk
from catalog_guard.gateways import ALL
from catalog_guard.observe import Observation

DEFAULT_BUDGET = 10.0
"""The default p95 budget in seconds per gateway: generous on purpose. A third of the default 30 s request
timeout, far above what a catalog page costs (milliseconds to a few hundred), so it never fires on a healthy
gateway on a slow CI runner, yet a gateway whose typical page takes most of the timeout fails the gate instead of
passing silently. ``--latency-budget`` tightens it; ``--latency-budget 0`` turns it off."""


@dataclass(frozen=True)
class Figures:
    """One gateway's latency: how many timed requests, and their p50 / p95 / max in seconds."""

    requests: int
    p50: float
    p95: float
    max: float


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in (0, 1]) of a non-empty sequence."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def figures(values: Iterable[float]) -> Figures | None:
    timed = list(values)
    if not timed:
        return None
    return Figures(len(timed), percentile(timed, 0.5), percentile(timed, 0.95), max(timed))


def _timed(walk: GatewayWalk | None, single: GatewayResponse | None = None) -> list[float]:
    values = [page.elapsed for page in (walk.pages if walk else []) if page.elapsed is not None]
    if single is not None and single.elapsed is not None:
        values.append(single.elapsed)
    return values


def by_gateway(seen: Observation) -> dict[str, Figures]:
    """Figures per listing, named as the checks name walks (``hug``, ``all``, ``all (unique_models)``)."""
    timed: dict[str, list[float]] = {name: _timed(walk, seen.singles.get(name)) for name, walk in seen.walks.items()}
    timed.update({alias: _timed(walk) for alias, walk in seen.aliases.items()})
    if seen.all_walk is not None:
        timed[ALL] = _timed(seen.all_walk)
    for param, walk in seen.unique_walks.items():
        timed[f"{ALL} ({param})"] = _timed(walk, seen.unique_singles.get(param))
    return {name: result for name, values in timed.items() if (result := figures(values)) is not None}
