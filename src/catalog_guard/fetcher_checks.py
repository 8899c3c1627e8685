"""Checks for a Hugging Face catalog *fetcher*: any callable, run against the fake Hub in named scenarios.

The fetcher is called with no arguments while :class:`~catalog_guard.fakes.transport.FakeInternet` answers
every httpx request (module-level ``httpx.get`` included), so real gateway code is judged unchanged. Sleeps
through ``time.sleep`` and ``asyncio.sleep`` are recorded, not slept.

Scenarios, each a promise real gateway code broke (docs/contract.md §2, F1-F8):

- ``recorded-hub``: the recorded universe, as recorded: every id, no duplicates, at most ceil(N/1000) + slack
  requests (F1-F5);
- ``offset-ignored``: the Hub caps pages at 100 and ignores ``offset``: only the ``Link`` cursor gets everything
  (F1, F2, F3);
- ``rate-limited-then-success``: two 429s (``RateLimit r=0``) then normal pages: the whole catalog (F8);
- ``server-errors``: every page after the first answers 503: raise or say "incomplete", never return a shorter
  list or a fallback (F7, F8);
- ``drifting-sort-keys``: counts change between requests so first-page models reappear later: the whole
  catalog, each model once.
"""

from __future__ import annotations

import asyncio
import importlib
import math
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from catalog_guard import gateways
from catalog_guard.checks import CheckResult, Violation
from catalog_guard.fakes.hub import FakeHub, HubFault, HubSettings
from catalog_guard.fakes.transport import FakeInternet
from catalog_guard.netguard import loopback_only

SCENARIOS = (
    "recorded-hub",
    "offset-ignored",
    "rate-limited-then-success",
    "server-errors",
    "drifting-sort-keys",
)
SMALL_PAGE = 100
DRIFTING_MODELS = 5


@dataclass
class FetchOutcome:
    """What one call of the fetcher did."""

    ids: list[str] | None = None
    error: BaseException | None = None
    declared_incomplete: bool = False
    requests: int = 0
    slept: list[float] = field(default_factory=list)
    bypassed: list[str] = field(default_factory=list)  # sockets the fetcher tried to open around httpx

    @property
    def described(self) -> str:
        if self.error is not None:
            return f"raised {type(self.error).__name__}: {self.error}"
        if self.declared_incomplete:
            return "returned a result marked incomplete"
        return f"returned {len(self.ids or []):,} entries"


def load_fetcher(spec: str) -> Callable[[], Any]:
    """``package.module:function`` → the callable."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"--fetcher takes module:function, got {spec!r}")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise TypeError(f"{spec} is not callable")
    return target  # type: ignore[no-any-return]


def ids_of(result: Any) -> tuple[list[str] | None, bool]:
    """``(ids, declared_incomplete)`` of whatever a fetcher returned."""
    if getattr(result, "complete", True) is False:
        return None, True
    if hasattr(result, "models") and callable(result.models):
        try:
            result = result.models()
        except Exception:  # an explicit refusal to hand over a partial catalog
            return None, True
    ids: list[str] = []
    for item in result:
        if isinstance(item, str):
            ids.append(item)
        elif isinstance(item, Mapping):
            ids.append(str(item.get("id") or item.get("modelId") or ""))
        else:
            ids.append(str(getattr(item, "id", "")))
    return ids, False


@contextmanager
def _recorded_sleeps(into: list[float]) -> Iterator[None]:
    async def fake_async_sleep(delay: float, result: Any = None) -> Any:
        into.append(delay)
        return result

    with mock.patch.object(time, "sleep", into.append), mock.patch.object(asyncio, "sleep", fake_async_sleep):
        yield


def invoke(fetcher: Callable[[], Any], hub: FakeHub) -> FetchOutcome:
    """Call the fetcher once with ``hub`` answering for huggingface.co."""
    outcome = FetchOutcome()
    internet = FakeInternet({gateways.HUB_HOST: hub})
    with internet.install(), _recorded_sleeps(outcome.slept), loopback_only(outcome.bypassed):
        try:
            outcome.ids, outcome.declared_incomplete = ids_of(fetcher())
        except Exception as error:
            outcome.error = error
    outcome.requests = len(internet.requests)
    return outcome


def _drift(models: Sequence[Mapping[str, Any]]) -> dict[int, dict[str, dict[str, int | float]]]:
    """After the first request, a few models that are on the first page by every sort sink to the bottom, so a
    keyset walk serves them again on its last page."""
    tops = [
        {m["id"] for m in sorted(models, key=lambda m: (-m.get(key, 0), m["_id"]))[: min(1000, len(models)) // 2]}
        for key in ("trendingScore", "likes", "downloads")
    ]
    sinking = [m for m in models if all(m["id"] in top for top in tops)][:DRIFTING_MODELS]
    return {
        1: {
            m["id"]: {key: -(m.get(key, 0) + 1 + rank) for key in ("trendingScore", "likes", "downloads")}
            for rank, m in enumerate(sinking)
        }
    }


def hub_for(scenario: str, models: Sequence[Mapping[str, Any]]) -> FakeHub:
    """The fake Hub a scenario runs against."""
    if scenario == "offset-ignored":
        return FakeHub(models, settings=HubSettings(page_cap=SMALL_PAGE))
    hub = FakeHub(models, drift=_drift(models) if scenario == "drifting-sort-keys" else None)
    if scenario == "rate-limited-then-success":
        hub.inject(HubFault.rate_limited(reset=1), at=(1, 2))
    elif scenario == "server-errors":
        hub.inject(HubFault.server_error(503), at=range(2, 10_000))
    elif scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; one of {', '.join(SCENARIOS)}")
    return hub


def judge(scenario: str, outcome: FetchOutcome, expected: set[str], *, request_slack: int = 1) -> list[Violation]:
    """The violations of one scenario's outcome."""
    name = f"fetcher:{scenario}"
    if outcome.bypassed:
        return [
            Violation(
                name,
                f"the fetcher opened its own connection to {', '.join(sorted(set(outcome.bypassed)))} "
                "instead of going through httpx, so it cannot be judged against the recorded Hub "
                "(and would reach the live service)",
                {"bypassed": outcome.bypassed},
            )
        ]
    if scenario == "server-errors":
        if outcome.error is not None or outcome.declared_incomplete:
            return []
        got = set(outcome.ids or [])
        return [
            Violation(
                name,
                f"every page after the first answered 503, yet the fetcher returned "
                f"{len(outcome.ids or []):,} models ({len(got & expected):,} of {len(expected):,} real) "
                "as if that were the catalog: raise, or mark the result incomplete",
                {"returned": len(outcome.ids or []), "expected": len(expected)},
            )
        ]
    if outcome.ids is None:
        return [
            Violation(
                name,
                f"the fetcher {outcome.described} where the whole catalog was available",
                {"error": repr(outcome.error)},
            )
        ]
    found: list[Violation] = []
    counts = Counter(outcome.ids)
    repeated = sum(1 for n in counts.values() if n > 1)
    if repeated:
        found.append(
            Violation(
                name,
                f"{len(outcome.ids):,} entries but {len(counts):,} unique ids ({repeated:,} repeated)",
                {"entries": len(outcome.ids), "unique": len(counts)},
            )
        )
    missing, extra = expected - set(counts), set(counts) - expected
    if missing or extra:
        found.append(
            Violation(
                name,
                f"got {len(set(counts) & expected):,} of the {len(expected):,} models "
                f"({len(missing):,} missing, {len(extra):,} not in the catalog)",
                {"missing": sorted(missing)[:5], "extra": sorted(extra)[:5]},
            )
        )
    budget = math.ceil(len(expected) / 1000) + request_slack
    if scenario == "recorded-hub" and outcome.requests > budget:
        found.append(
            Violation(
                name,
                f"{outcome.requests} requests for {len(expected):,} models "
                f"(at most {budget}: pages of 1,000 plus {request_slack})",
                {"requests": outcome.requests, "budget": budget},
            )
        )
    return found


def run_scenario(
    scenario: str, fetcher: Callable[[], Any], models: Sequence[Mapping[str, Any]], *, request_slack: int = 1
) -> CheckResult:
    """Run one scenario and judge it."""
    outcome = invoke(fetcher, hub_for(scenario, models))
    expected = {str(m["id"]) for m in models}
    violations = judge(scenario, outcome, expected, request_slack=request_slack)
    return CheckResult(f"fetcher:{scenario}", scenario, tuple(violations))
