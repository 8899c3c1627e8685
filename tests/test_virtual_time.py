"""Scenario time is virtual, however the fetcher holds its sleep or reads its clock, and only inside the scenario.

Every test runs a fetcher that would really wait (tens to hundreds of seconds) if its waits were not virtual,
under :func:`fetcher_stacks.real_sleeps`, which lists every call of the real ``time.sleep`` and every positive
real ``asyncio.sleep``: the assertion is that the list is empty and that the waits asked for were reported, not
how long the test took.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from time import monotonic, perf_counter
from time import time as wall_clock
from typing import Any

import anyio
import httpx
import pytest

from catalog_guard import fetcher_checks, limits
from catalog_guard.corpus import recorded_hub_models
from catalog_guard.fakes import sleeps
from catalog_guard.fakes.sleeps import virtual_sleeps
from fetcher_stacks import FIRST_PAGE, httpx_async, httpx_sync, real_sleeps, walk

RATE_LIMITED = "rate-limited-then-success"  # requests 1-2 answer 429 with RateLimit t=1


@pytest.fixture(scope="module")
def models() -> list[dict[str, Any]]:
    return recorded_hub_models()


def run(fetcher: Callable[[], Any], models: list[dict[str, Any]], scenario: str = RATE_LIMITED) -> Any:
    with real_sleeps() as slept_for_real:
        result = fetcher_checks.run_scenario(scenario, fetcher, models)
    assert not slept_for_real, slept_for_real
    assert result.passed, [v.message for v in result.violations]
    return result


def get_page(client: httpx.Client) -> Callable[[str], Any]:
    def get(url: str) -> Any:
        response = client.get(url)
        return response.status_code, response.headers, response.content

    return get


# --- the clock ----------------------------------------------------------------------------------------------------


def deadline_fetcher() -> list[Any]:
    """Retries a 429 until a deadline read on ``monotonic`` captured at import, polling every 0.5 s: 60 s of
    virtual time must pass for the deadline to be reached, and the walk itself must still succeed."""
    deadline = monotonic() + 60
    while monotonic() < deadline:
        time.sleep(0.5)
    with httpx.Client() as client:
        return walk(get_page(client))


def test_a_deadline_loop_on_a_captured_monotonic_ends_on_virtual_time(models: list[dict[str, Any]]) -> None:
    result = run(deadline_fetcher, models)
    waited = sum(result.outcome.slept)
    assert 60 <= waited < 60.5 + 4 + 1e-6  # the deadline's 120 polls, then the two 429 waits of the walk (2 s each)
    assert result.outcome.slept.count(0.5) == 120


class RateLimiter:
    """Waits until a wall-clock timestamp (``time.time``) before each request, 30 s apart."""

    def __init__(self) -> None:
        self.next_at = 0.0
        self._sleep = time.sleep  # an instance attribute, set at import (below): the real sleep

    def wait(self) -> None:
        now = wall_clock()
        if now < self.next_at:
            self._sleep(self.next_at - now)
        assert wall_clock() >= self.next_at - 1e-3, "the wait did not move the clock"
        self.next_at = wall_clock() + 30


LIMITER = RateLimiter()


def rate_limited_fetcher() -> list[Any]:
    LIMITER.next_at = 0.0
    with httpx.Client() as client:
        get = get_page(client)

        def limited(url: str) -> Any:
            LIMITER.wait()
            return get(url)

        return walk(limited)


def test_a_rate_limiter_waiting_until_a_timestamp_sees_its_wait_on_the_clock(models: list[dict[str, Any]]) -> None:
    result = run(rate_limited_fetcher, models)
    # one request per 30 s: 4 requests (two 429s, two pages), so three waits of about 30 s besides the 429 waits
    long_waits = [s for s in result.outcome.slept if s > 25]
    assert len(long_waits) == 3, result.outcome.slept
    assert "none slept" in result.report()


_TTL_CACHE: dict[str, tuple[float, list[Any]]] = {}


def ttl_cached_fetcher() -> list[Any]:
    """A TTL cache read on ``perf_counter``: fresh for 300 s. The first call fills it; after a virtual wait of
    301 s the second call must see it expired and fetch again."""
    now = perf_counter()
    if "models" in _TTL_CACHE and now - _TTL_CACHE["models"][0] < 300:
        return _TTL_CACHE["models"][1]
    with httpx.Client() as client:
        models = walk(get_page(client))
    _TTL_CACHE["models"] = (perf_counter(), models)
    return models


def test_a_ttl_cache_expires_on_virtual_time(models: list[dict[str, Any]]) -> None:
    _TTL_CACHE.clear()

    def twice() -> list[Any]:
        ttl_cached_fetcher()
        time.sleep(301)
        return ttl_cached_fetcher()

    with real_sleeps() as slept_for_real:
        result = fetcher_checks.run_scenario("recorded-hub", twice, models)
    assert not slept_for_real, slept_for_real
    assert len(result.outcome.listing()) == 4, "the second call did not see its cache expire"  # 2 pages each


async def loop_deadline_fetcher() -> list[Any]:
    """An async fetcher that waits on its event loop's clock (``anyio.current_time``) with ``anyio.sleep``."""
    deadline = anyio.current_time() + 45
    while anyio.current_time() < deadline:
        await anyio.sleep(1)
    async with httpx.AsyncClient() as client:
        pages = 0
        url: str | None = FIRST_PAGE
        found: list[Any] = []
        while url:
            response = await client.get(url)
            if response.status_code == 429:
                await asyncio.sleep(2)
                continue
            found.extend(response.json())
            url = response.links.get("next", {}).get("url")
            pages += 1
        return found


def test_anyio_sleep_and_the_loop_clock_are_virtual(models: list[dict[str, Any]]) -> None:
    result = run(loop_deadline_fetcher, models)
    assert result.outcome.slept.count(1.0) == 45
    assert result.outcome.slept.count(2.0) == 2  # the two 429s


def test_the_product_and_the_world_after_keep_real_time() -> None:
    """Inside the block the fetcher's clock runs 1,000 s ahead; catalog-guard's own deadline (a ``Meter`` made
    inside the block, whose default clock was rebound) and other threads' event loops read the real clock; after the
    block every reference is the real function again, and a fake kept by an object reads real time."""
    kept: dict[str, Any] = {}
    with virtual_sleeps([]) as clock:
        before = sleeps._REAL_MONOTONIC()
        time.sleep(1000)
        assert monotonic() - before >= 1000
        assert time.monotonic() - before >= 1000
        meter = limits.Meter()  # its default clock, time.monotonic, was rebound to the virtual one
        assert meter.remaining() > meter.limits.deadline - 1  # read by catalog-guard's code: the real clock
        other = asyncio.new_event_loop()
        assert other.time() - sleeps._REAL_MONOTONIC() < 1  # other threads' loops stay real
        other.close()
        kept["clock"], kept["sleep"] = time.monotonic, time.sleep
    assert clock.offset == 1000
    assert time.monotonic is sleeps._REAL_MONOTONIC
    assert monotonic is sleeps._REAL_MONOTONIC
    assert limits.Meter().clock is sleeps._REAL_MONOTONIC
    assert kept["clock"]() - sleeps._REAL_MONOTONIC() < 1


# --- sleeps held where a module scan does not look ---------------------------------------------------------------

NAP = functools.partial(time.sleep)  # a partial made at import


class Client:
    def __init__(self) -> None:
        self._sleep = time.sleep  # captured at construction, before any scenario

    def fetch(self) -> list[Any]:
        with httpx.Client() as client:
            return walk_with(get_page(client), self._sleep)


def walk_with(get: Callable[[str], Any], sleep: Callable[[float], None]) -> list[Any]:
    """The walk of fetcher_stacks with the sleep passed in: 429s waited out with ``sleep``."""
    found: dict[str, Any] = {}
    url: str | None = FIRST_PAGE
    while url:
        status, headers, body = get(url)
        if status == 429:
            sleep(2)
            continue
        for model in httpx.Response(200, content=body).json():
            found.setdefault(model["id"], model)
        url = httpx.Response(200, headers={"link": headers.get("link", "")}).links.get("next", {}).get("url")
    return list(found.values())


MODULE_CLIENT = Client()


def partial_at_module_level() -> list[Any]:
    with httpx.Client() as client:
        return walk_with(get_page(client), NAP)


def partial_in_a_closure() -> Callable[[], list[Any]]:
    nap = functools.partial(time.sleep)

    def fetch() -> list[Any]:
        with httpx.Client() as client:
            return walk_with(get_page(client), nap)

    return fetch


def partial_of_the_fetcher() -> Callable[[], list[Any]]:
    def fetch(sleep: Callable[[float], None]) -> list[Any]:
        with httpx.Client() as client:
            return walk_with(get_page(client), sleep)

    return functools.partial(fetch, time.sleep)


@pytest.mark.parametrize(
    "holder",
    [
        "partial at module level",
        "partial in a closure",
        "partial of the fetcher",
        "instance attribute of a module global",
        "bound method",
        "callable instance",
    ],
)
def test_sleeps_held_in_partials_and_instances_are_virtual(holder: str, models: list[dict[str, Any]]) -> None:
    class CallableClient(Client):
        def __call__(self) -> list[Any]:
            return self.fetch()

    fetchers: dict[str, Callable[[], Any]] = {
        "partial at module level": partial_at_module_level,
        "partial in a closure": partial_in_a_closure(),
        "partial of the fetcher": partial_of_the_fetcher(),
        "instance attribute of a module global": lambda: MODULE_CLIENT.fetch(),
        "bound method": Client().fetch,
        "callable instance": CallableClient(),
    }
    result = run(fetchers[holder], models)
    assert result.outcome.slept == [2.0, 2.0]
    assert NAP.func is time.sleep
    assert MODULE_CLIENT._sleep is time.sleep


def test_sleep_forever_still_waits_until_cancelled() -> None:
    """``anyio.sleep_forever`` (``sleep(inf)``) is not a wait that ends: it is left to the loop, and a timeout
    cancels it as usual."""

    async def main() -> bool:
        with anyio.move_on_after(0.01) as scope:
            await anyio.sleep_forever()
        return scope.cancelled_caught

    with virtual_sleeps([]) as clock:
        assert asyncio.run(main())
    assert clock.waits == []


def test_the_witness_sees_a_real_sleep_however_it_is_reached() -> None:
    """The assertion every test here rests on can fail: a real sleep, through the module attribute, a reference
    captured at import, or a real ``asyncio.sleep``, is listed (1 ms each); the same calls on virtual time are not."""
    real_nap = sleeps._REAL_TIME_SLEEP

    async def nap() -> None:
        await asyncio.sleep(0.001)

    with real_sleeps() as seen:
        time.sleep(0.001)
        real_nap(0.001)
        asyncio.run(nap())
    assert len(seen) == 3, seen
    assert seen[0].startswith("time.sleep called from ")
    assert seen[2].startswith("asyncio.sleep(0.001) from ")
    with real_sleeps() as seen, virtual_sleeps([]) as clock:
        time.sleep(5)
        asyncio.run(nap())
    assert seen == []
    assert clock.waits == [5.0, 0.001]


def test_the_nanosecond_clocks_move_with_the_waits() -> None:
    with virtual_sleeps([]):
        before = (time.monotonic_ns(), time.time_ns(), time.perf_counter_ns())
        time.sleep(7)
        after = (time.monotonic_ns(), time.time_ns(), time.perf_counter_ns())
    assert all(7e9 <= b - a < 8e9 for a, b in zip(before, after, strict=True))


async def concurrent_fetcher() -> list[Any]:
    """The walk under a 10 s ``asyncio.wait_for`` while a sibling task waits 30 s: in real time the walk (two 2 s
    waits for the 429s) ends long before its timeout; the sibling's wait must not make it expire."""
    sibling = asyncio.create_task(asyncio.sleep(30))
    models = await asyncio.wait_for(httpx_async(), timeout=10)
    await sibling
    return models


async def threaded_fetcher() -> list[Any]:
    """A sync walk in a worker thread (``asyncio.to_thread``) under a 10 s timeout, beside a 30 s sibling wait:
    while the thread works the loop must not jump its clock to the sibling's timer."""
    sibling = asyncio.create_task(asyncio.sleep(30))
    models = await asyncio.wait_for(asyncio.to_thread(httpx_sync), timeout=10)
    await sibling
    return models


@pytest.mark.parametrize("fetcher", [concurrent_fetcher, threaded_fetcher], ids=["tasks", "to_thread"])
def test_concurrent_waits_overlap_as_in_real_time(fetcher: Callable[[], Any], models: list[dict[str, Any]]) -> None:
    result = run(fetcher, models)
    assert sorted(result.outcome.slept) == [2.0, 2.0, 30.0]
