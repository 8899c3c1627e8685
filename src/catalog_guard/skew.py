"""Skew between a gateway's listing and its upstream's: the ids on one side only, and how many are forgiven.

Why an allowance at all: a gateway caches its upstreams for a while, so when it is judged against truth fetched
*now* (``catalog-guard audit --truth live``), a model added upstream in the last hours is not listed yet and one
removed upstream is still listed. Both are expected; a gateway that lost a page of its catalog is not.

One mechanism for both directions, used by every check that compares a listing with its upstream:
``coverage`` (ids *missing from the gateway*) and ``phantom`` (ids *only in the gateway*).

The allowance for an upstream of ``n`` models is ``min(max_ids, ceil(max_fraction * n))``: at most
``max_ids`` ids, and at most ``max_fraction`` of the catalog, rounded up so that a catalog of 20 models still
forgives one model of skew. The defaults, 10 ids and 1 %, are justified by the two things they must tell apart:

- *cache skew*: the Hub's ``hf-inference`` listing and the providers' lists change by a handful of models a day,
  and a gateway cache lives hours, so a correct gateway is a few ids behind at worst;
- *the seed regressions*: the smallest loss the seed reports saw is 1,204 of 1,377 Hugging Face models, 173 ids
  (12.6 %), seventeen times the default allowance for that catalog (10); the others (1,000, 101, 100 of
  1,377) are larger still. ``tests/test_truth.py`` computes this from the fakes instead of trusting the prose.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_MAX_IDS = 10
DEFAULT_MAX_FRACTION = 0.01


@dataclass(frozen=True)
class SkewAllowance:
    """How many ids a listing may differ from its upstream by, in each direction, and still pass."""

    max_ids: int = DEFAULT_MAX_IDS
    max_fraction: float = DEFAULT_MAX_FRACTION

    def __post_init__(self) -> None:
        if self.max_ids < 0 or not 0.0 <= self.max_fraction <= 1.0:
            raise ValueError(f"a skew allowance needs max_ids >= 0 and 0 <= max_fraction <= 1, got {self}")

    def allowed(self, upstream_size: int) -> int:
        """Ids forgiven for an upstream of ``upstream_size`` models."""
        return min(self.max_ids, math.ceil(self.max_fraction * upstream_size))

    def describe(self, upstream_size: int) -> str:
        return (
            f"skew allowance {self.allowed(upstream_size):,} "
            f"(min of {self.max_ids:,} ids and {self.max_fraction:.1%} of {upstream_size:,})"
        )


#: No skew forgiven: a listing must equal its upstream exactly.
EXACT = SkewAllowance(0, 0.0)


@dataclass(frozen=True)
class Skew:
    """A listing against its upstream: ``missing`` (upstream only) and ``extra`` (listing only), sorted."""

    upstream_size: int
    missing: tuple[str, ...]
    extra: tuple[str, ...]

    @classmethod
    def measure(cls, listed: Iterable[str], upstream: Iterable[str]) -> Skew:
        listed_set, upstream_set = set(listed), set(upstream)
        missing, extra = sorted(upstream_set - listed_set), sorted(listed_set - upstream_set)
        return cls(len(upstream_set), tuple(missing), tuple(extra))

    def missing_exceeds(self, allowance: SkewAllowance) -> bool:
        return len(self.missing) > allowance.allowed(self.upstream_size)

    def extra_exceeds(self, allowance: SkewAllowance) -> bool:
        return len(self.extra) > allowance.allowed(self.upstream_size)
