"""Checks for a Hugging Face catalog *fetcher*: any callable, run against the fake Hub in named scenarios.

The fetcher is called with no arguments (a coroutine function is awaited on a fresh event loop) while
:class:`~catalog_guard.fakes.transport.FakeInternet` answers every request of httpx, httpx2, requests, urllib3,
aiohttp and ``urllib.request`` (so huggingface_hub's ``HfApi().list_models()`` too), and real gateway code is
judged unchanged. Scenario time is virtual (:mod:`catalog_guard.fakes.sleeps`): every sleep it asks for is
recorded, not slept, and moves the clock it reads (``time.monotonic``, ``time.time``, ``time.perf_counter``), and
the report states the waits. Before each scenario the fetcher's caches are cleared (``reset``, ``cache_clear``); a
scenario in which it sends no request at all is a failure that says so. Each failure names its cause from the
recorded exchange (:mod:`catalog_guard.diagnosis`): the first request that went wrong, the ``Link`` never
followed, the parameter the Hub ignored, and up to five example ids.

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
import inspect
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from catalog_guard import diagnosis, gateways
from catalog_guard.checks import CheckResult, Violation
from catalog_guard.fakes.hub import FakeHub, HubFault, HubSettings
from catalog_guard.fakes.interception import Exchange, unseen_client_advice
from catalog_guard.fakes.sleeps import virtual_sleeps
from catalog_guard.fakes.transport import FakeInternet
from catalog_guard.netguard import loopback_only

SCENARIOS = (
    "recorded-hub",
    "offset-ignored",
    "rate-limited-then-success",
    "server-errors",
    "drifting-sort-keys",
)
LISTING_PATH = "/api/models"
SMALL_PAGE = 100
DRIFTING_MODELS = 5


class UnreadableResult(Exception):
    """What the fetcher returned is not a catalog (``None``, a number, an item without an id)."""


@dataclass
class FetchOutcome:
    """What one call of the fetcher did, and everything it exchanged with the fake Hub."""

    ids: list[str] | None = None
    error: BaseException | None = None
    declared_incomplete: bool = False
    unreadable: str | None = None  # why the result is not a catalog
    exchanges: list[Exchange] = field(default_factory=list)
    slept: list[float] = field(default_factory=list)  # the waits asked for (virtual: none was slept)
    bypassed: list[str] = field(default_factory=list)  # sockets the fetcher tried to open around the seam
    clients: list[str | None] = field(default_factory=list)  # the library behind each bypassing connection

    def listing(self) -> list[Exchange]:
        """The requests for the model listing (``/api/models``): what the budget counts and the diagnosis reads.
        Clients add calls of their own (huggingface_hub asks other endpoints), which are not pages of the catalog."""
        return [e for e in self.exchanges if e.request.url.path.rstrip("/") == LISTING_PATH]

    @property
    def described(self) -> str:
        if self.error is not None:
            return f"raised {type(self.error).__name__}: {self.error}"
        if self.unreadable is not None:
            return self.unreadable
        if self.declared_incomplete:
            return "returned a result marked incomplete"
        return f"returned {len(self.ids or []):,} entries"

    def waits(self) -> str:
        """The waits the fetcher asked for, e.g. ``2 waits asked for (2.0 s, 2.0 s; 4.0 s in all), none slept``."""
        if not self.slept:
            return "no wait asked for"
        shown = ", ".join(f"{s:g} s" for s in self.slept[:5]) + (", ..." if len(self.slept) > 5 else "")
        count = len(self.slept)
        return f"{count} wait{'s' if count > 1 else ''} asked for ({shown}; {sum(self.slept):g} s in all), none slept"


def load_fetcher(spec: str) -> Callable[[], Any]:
    """``package.module:function`` → the callable."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"--catalog-guard-fetcher takes module:function, got {spec!r}")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise TypeError(f"{spec} is not callable")
    return target  # type: ignore[no-any-return]


def _id_of(item: Any) -> str | None:
    if isinstance(item, str):
        return item or None
    if isinstance(item, Mapping):
        found = item.get("id") or item.get("modelId")
    else:  # huggingface_hub's ModelInfo, a dataclass, a pydantic model
        found = getattr(item, "id", None) or getattr(item, "modelId", None)
    return found if isinstance(found, str) and found else None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def ids_of(result: Any) -> tuple[list[str] | None, bool]:
    """``(ids, declared_incomplete)`` of whatever a fetcher returned: ids, model dicts or objects with an
    ``id`` (huggingface_hub's ``ModelInfo``), in a list, a generator or a dict keyed by id; or a result with
    ``complete``/``models()``. Anything else raises :class:`UnreadableResult` saying what came back."""
    if result is None:
        raise UnreadableResult("returned None instead of a catalog")
    if getattr(result, "complete", True) is False:
        return None, True
    models = getattr(result, "models", None)
    if callable(models) and not isinstance(result, Mapping):
        try:
            result = models()
        except Exception:  # an explicit refusal to hand over a partial catalog
            return None, True
    kind = type(result).__name__
    if isinstance(result, str | bytes):
        raise UnreadableResult(f"returned a {kind} ({_shown(result)}) instead of a catalog")
    if isinstance(result, Mapping):
        bad = next((key for key in result if not isinstance(key, str) or not key), None)
        if bad is not None:
            raise UnreadableResult(f"returned a dict whose key {_shown(bad)} is not a model id")
        return list(result), False
    if not isinstance(result, Iterable):
        raise UnreadableResult(
            f"returned {kind} {_shown(result)}, not a catalog (a list, generator or dict of models or ids)"
        )
    ids: list[str] = []
    for position, item in enumerate(result):  # a generator's own errors are the fetcher's: they propagate
        model_id = _id_of(item)
        if model_id is None:
            raise UnreadableResult(
                f"returned, at position {position}, a {type(item).__name__} without a model id: {_shown(item)}"
            )
        ids.append(model_id)
    return ids, False


async def _settle(result: Any) -> Any:
    """Await a coroutine's result and drain an async generator, inside the fetcher's own event loop."""
    if inspect.isawaitable(result):
        result = await result
    if hasattr(result, "__aiter__"):
        return [item async for item in result]
    return result


def _run(result: Any, loop_factory: Callable[[], asyncio.AbstractEventLoop] | None) -> Any:
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(_settle(result))


def _call(fetcher: Callable[[], Any], loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None) -> Any:
    """Call the fetcher; a coroutine function (or an async generator) runs on a fresh event loop made by
    ``loop_factory`` (the scenario's, on virtual time), in a thread of its own when this thread already runs one
    (pytest-asyncio)."""
    result = fetcher()
    if not (inspect.isawaitable(result) or hasattr(result, "__aiter__")):
        return result
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run(result, loop_factory)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_run, result, loop_factory).result()


def clear_caches(fetcher: Callable[[], Any], reset: Callable[[], object] | None = None) -> None:
    """Before a scenario: call ``reset`` (the team's hook) and a ``functools.cache``/``lru_cache``'s
    ``cache_clear``, so no scenario is answered from an earlier one's data."""
    if reset is not None:
        reset()
    cache_clear = getattr(fetcher, "cache_clear", None)
    if callable(cache_clear):
        cache_clear()


def listing_only(hub: FakeHub) -> Callable[[httpx.Request], httpx.Response]:
    """``hub`` for the model listing; every other endpoint answered 404 here, as the fake Hub would, but without
    reaching it. A scenario's faults and drift are scheduled by listing request ("requests 1-2 answer 429",
    "every page after the first answers 503"), and clients make calls of their own first (huggingface_hub 1.x
    asks ``/api/agent-harnesses`` once per process): counted by the Hub, such a call took the first 429, or made
    page 1 the 503, and the scenario judged something else than it says, depending on which test ran first."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.rstrip("/") == LISTING_PATH:
            return hub(request)
        message = "Not Found"
        headers = {"X-Error-Message": message, "Content-Type": "application/json; charset=utf-8"}
        return httpx.Response(404, headers=headers, content=json.dumps({"error": message}).encode())

    return handle


def invoke(fetcher: Callable[[], Any], hub: FakeHub, *, reset: Callable[[], object] | None = None) -> FetchOutcome:
    """Call the fetcher once with ``hub`` answering the listing at huggingface.co (:func:`listing_only`),
    whatever client it uses, on virtual time and with no socket beyond loopback."""
    outcome = FetchOutcome()
    internet = FakeInternet({gateways.HUB_HOST: listing_only(hub)})
    clear_caches(fetcher, reset)
    with (
        internet.install(),
        virtual_sleeps(outcome.slept, fetcher) as clock,
        loopback_only(outcome.bypassed, outcome.clients),
    ):
        try:
            outcome.ids, outcome.declared_incomplete = ids_of(_call(fetcher, clock.event_loop))
        except UnreadableResult as unreadable:
            outcome.unreadable = str(unreadable)
        except Exception as error:
            outcome.error = error
    outcome.exchanges = list(internet.exchanges)
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


# What each scenario does to the Hub, for a message whose exchange shows no single request going wrong.
SETTING = {
    "recorded-hub": "",
    "offset-ignored": f"this Hub caps pages at {SMALL_PAGE} and ignores `offset`: only the `Link` cursor reaches "
    "every model",
    "rate-limited-then-success": "requests 1-2 answer 429 (RateLimit t=1); waiting and retrying gets everything",
    "server-errors": "every request after the first answers 503",
    "drifting-sort-keys": "counts change between requests, so models of the first page by one sort reappear later "
    "by another",
}


def _because(scenario: str, outcome: FetchOutcome) -> str:
    """``: <cause>; <cause>`` from the exchange, else the scenario's setting."""
    found = [finding.sentence for finding in diagnosis.causes(outcome.listing())]
    if not found and SETTING.get(scenario):
        found = [f"in this scenario {SETTING[scenario]}"]
    return f": {'; '.join(found)}" if found else ""


def judge(scenario: str, outcome: FetchOutcome, expected: set[str], *, request_slack: int = 1) -> list[Violation]:
    """The violations of one scenario's outcome, each naming its cause from the recorded exchange."""
    name = f"fetcher:{scenario}"
    if outcome.bypassed:
        host = outcome.bypassed[0].rsplit(":", 1)[0]
        client = next((c for c in outcome.clients if c), None)
        return [Violation(name, unseen_client_advice(host, client), {"bypassed": outcome.bypassed, "client": client})]
    because = _because(scenario, outcome)
    if outcome.unreadable is not None:
        return [Violation(name, f"the fetcher {outcome.unreadable}{because}", {"unreadable": outcome.unreadable})]
    if not outcome.listing() and outcome.error is not None:
        others = outcome.exchanges
        seen = (
            f", after {len(others)} request{'s' if len(others) > 1 else ''} to other endpoints (the first, GET "
            f"{others[0].url}, answered {others[0].status})"
            if others
            else ""
        )
        return [
            Violation(
                name,
                f"the fetcher {outcome.described} before asking for the listing ({gateways.HUB_HOST}{LISTING_PATH})"
                f"{seen}, so this scenario judged nothing",
                {"error": repr(outcome.error), "requests": 0},
            )
        ]
    if not outcome.listing():
        return [
            Violation(
                name,
                f"the fetcher sent no request to {gateways.HUB_HOST}{LISTING_PATH} in this scenario and "
                f"{outcome.described}: it answered from a cache (functools.cache, a module-level dict) filled "
                "before, so this scenario judged nothing. "
                "Clear it between scenarios: give the FetcherContract subclass "
                "`reset = staticmethod(<function that clears the cache>)`",
                {"requests": 0},
            )
        ]
    if scenario == "server-errors":
        if outcome.error is not None or outcome.declared_incomplete:
            return []
        got = set(outcome.ids or [])
        return [
            Violation(
                name,
                f"the fetcher returned {len(outcome.ids or []):,} models ({len(got & expected):,} of "
                f"{len(expected):,}) as if that were the catalog{because}; raise, or mark the result incomplete",
                {"returned": len(outcome.ids or []), "expected": len(expected)},
            )
        ]
    if outcome.ids is None:
        return [
            Violation(
                name,
                f"the fetcher {outcome.described} where the whole catalog was available{because}",
                {"error": repr(outcome.error)},
            )
        ]
    found: list[Violation] = []
    counts = Counter(outcome.ids)
    repeated = [model for model, n in counts.items() if n > 1]
    if repeated:
        found.append(
            Violation(
                name,
                f"{len(outcome.ids):,} entries but {len(counts):,} unique ids ({len(repeated):,} repeated, "
                f"{diagnosis.quoted(repeated)}){because}",
                {"entries": len(outcome.ids), "unique": len(counts), "repeated": diagnosis.examples(repeated)},
            )
        )
    missing, extra = expected - set(counts), set(counts) - expected
    if missing or extra:
        parts = [f"{len(missing):,} missing" + (f", {diagnosis.quoted(missing)}" if missing else "")]
        if extra:
            parts.append(f"{len(extra):,} not in the catalog, {diagnosis.quoted(extra)}")
        found.append(
            Violation(
                name,
                f"got {len(set(counts) & expected):,} of the {len(expected):,} models ({'; '.join(parts)}){because}",
                {"missing": diagnosis.examples(missing), "extra": diagnosis.examples(extra)},
            )
        )
    budget = math.ceil(len(expected) / 1000) + request_slack
    pages = len(outcome.listing())
    if scenario == "recorded-hub" and pages > budget:
        found.append(
            Violation(
                name,
                f"{pages:,} requests for {len(expected):,} models (at most {budget}: pages of 1,000 plus "
                f"{request_slack}){because}",
                {"requests": pages, "budget": budget},
            )
        )
    return found


@dataclass(frozen=True)
class ScenarioResult(CheckResult):
    """A scenario's verdict with what the fetcher did (its requests and the waits it asked for)."""

    outcome: FetchOutcome = field(default_factory=FetchOutcome)

    def report(self) -> str:
        """One line for the test report: requests sent and waits asked for."""
        return f"{self.name}: {len(self.outcome.listing()):,} listing requests, {self.outcome.waits()}"


def run_scenario(
    scenario: str,
    fetcher: Callable[[], Any],
    models: Sequence[Mapping[str, Any]],
    *,
    request_slack: int = 1,
    reset: Callable[[], object] | None = None,
) -> ScenarioResult:
    """Run one scenario (after ``reset`` and any ``cache_clear`` of the fetcher) and judge it."""
    outcome = invoke(fetcher, hub_for(scenario, models), reset=reset)
    expected = {str(m["id"]) for m in models}
    violations = judge(scenario, outcome, expected, request_slack=request_slack)
    return ScenarioResult(f"fetcher:{scenario}", scenario, tuple(violations), outcome=outcome)
