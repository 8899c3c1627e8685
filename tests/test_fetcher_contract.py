"""Meta-tests for FetcherContract: the reference fetcher passes every scenario; each historical buggy fetcher
fails the scenario that describes its bug.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from syrupy.assertion import SnapshotAssertion

from catalog_guard import fetcher_checks, regressions
from catalog_guard.corpus import recorded_hub_models
from catalog_guard.hub import fetch_hub
from fetcher_stacks import real_sleeps

pytest_plugins = ["pytester"]


def reference_fetcher() -> Any:
    """What a backend should ship: the cursor walk (module-level clients are fine; FakeInternet answers)."""
    with httpx.Client() as client:
        return fetch_hub(client, token="", sleep=lambda _seconds: None)


BUGGY: dict[str, tuple[Callable[[], Any], set[str]]] = {
    "F1": (regressions.f1_offset_paging_without_dedup, {"recorded-hub", "offset-ignored"}),
    "F2": (regressions.f2_dedup_and_stop_after_duplicate_batches, {"recorded-hub", "offset-ignored"}),
    "F3": (regressions.f3_stop_on_short_batch, {"recorded-hub", "offset-ignored"}),
    "F4": (regressions.f4_one_request, {"recorded-hub", "server-errors"}),
    "F5": (regressions.f5_sort_union, {"recorded-hub", "drifting-sort-keys"}),
    "F6": (regressions.f6_invalid_sort_swallowed, {"recorded-hub"}),
    "F7": (regressions.f7_error_becomes_fallback, {"recorded-hub", "server-errors"}),
    "F8": (functools.partial(regressions.f8_follows_link_but_retries_only_429, lambda _s: None), {"server-errors"}),
}


@pytest.fixture(scope="module")
def models() -> list[dict[str, Any]]:
    return recorded_hub_models()


@pytest.mark.parametrize("scenario", fetcher_checks.SCENARIOS)
def test_reference_fetcher_passes(scenario: str, models: list[dict[str, Any]]) -> None:
    result = fetcher_checks.run_scenario(scenario, reference_fetcher, models)
    assert result.passed, [v.message for v in result.violations]
    assert (result.name, result.title) == (f"fetcher:{scenario}", scenario)


@pytest.mark.parametrize("code", sorted(BUGGY))
def test_buggy_fetchers_fail_their_scenarios(
    code: str, models: list[dict[str, Any]], snapshot_json: SnapshotAssertion
) -> None:
    fetcher, expected = BUGGY[code]
    results = [fetcher_checks.run_scenario(s, fetcher, models) for s in fetcher_checks.SCENARIOS]
    failed = {r.title for r in results if not r.passed}
    assert expected <= failed, f"{code} failed {sorted(failed)}, expected at least {sorted(expected)}"
    # what each scenario says, word for word (the product's output): a reworded cause is a reviewed snapshot change
    said = {r.name: [{"message": v.message, "evidence": dict(v.evidence)} for v in r.violations] for r in results}
    assert said == snapshot_json


def test_fetcher_contract_class_via_pytester(pytester: pytest.Pytester) -> None:
    """The class a team subclasses, with its fetcher given on the command line
    (`--catalog-guard-fetcher module:function`)."""
    pytester.makepyfile(
        shipped="""
import httpx
from catalog_guard.hub import fetch_hub
from fetcher_stacks import real_sleeps

def good():
    with httpx.Client() as client:
        return fetch_hub(client, token="", sleep=lambda s: None)
""",
        test_contract="""
from catalog_guard.contract import FetcherContract

class TestShipped(FetcherContract):
    pass
""",
    )
    pytester.syspathinsert()
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "--catalog-guard-fetcher", "shipped:good")
    result.assert_outcomes(passed=len(fetcher_checks.SCENARIOS))


def test_fetcher_contract_without_a_fetcher_fails_clearly(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        "from catalog_guard.contract import FetcherContract\n\nclass TestX(FetcherContract):\n    pass\n"
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(errors=len(fetcher_checks.SCENARIOS))
    result.stdout.fnmatch_lines(["*FetcherContract needs a fetcher*"])


def test_a_client_the_seam_cannot_see_is_named_with_the_fix_and_no_socket_opens(models: list[dict[str, Any]]) -> None:
    """httpcore used directly is below every patched client: the netguard refuses the connection before any lookup,
    and the message names the library and says what to use instead."""
    import httpcore

    def httpcore_fetcher() -> list[dict[str, Any]]:
        with httpcore.ConnectionPool() as pool:
            response = pool.request("GET", "https://huggingface.co/api/models?limit=1000")
            return list(json.loads(response.content))

    result = fetcher_checks.run_scenario("recorded-hub", httpcore_fetcher, models)
    assert not result.passed
    assert result.outcome.bypassed == ["huggingface.co:443"]
    message = result.violations[0].message
    assert (
        "opened its own connection to huggingface.co through httpcore, which catalog-guard cannot intercept" in message
    )
    assert "Make the request with httpx, httpx2, requests, urllib3, aiohttp or urllib.request" in message


def test_urllib_is_seen_by_the_seam(models: list[dict[str, Any]]) -> None:
    import urllib.request

    def urllib_fetcher() -> list[dict[str, Any]]:
        with urllib.request.urlopen("https://huggingface.co/api/models?limit=1000") as response:
            return list(json.load(response))

    result = fetcher_checks.run_scenario("recorded-hub", urllib_fetcher, models)
    assert [e.status for e in result.outcome.exchanges] == [200]
    assert "which was never requested" in result.violations[0].message


def first_page() -> list[dict[str, Any]]:
    return list(httpx.get("https://huggingface.co/api/models", params={"limit": 1000}).json())


@pytest.mark.parametrize(
    ("returned", "said"),
    [
        (None, "the fetcher returned None instead of a catalog"),
        (42, "the fetcher returned int 42, not a catalog"),
        ("oops", "the fetcher returned a str ('oops') instead of a catalog"),
        ([{"name": "no id"}], "the fetcher returned, at position 0, a dict without a model id"),
        ({1: "x"}, "the fetcher returned a dict whose key 1 is not a model id"),
    ],
)
def test_a_result_that_is_not_a_catalog_is_refused_with_a_message_about_the_fetcher(
    returned: Any, said: str, models: list[dict[str, Any]]
) -> None:
    def fetcher() -> Any:
        first_page()
        return returned

    result = fetcher_checks.run_scenario("recorded-hub", fetcher, models)
    assert len(result.violations) == 1
    assert result.violations[0].message.startswith(said), result.violations[0].message
    assert "TypeError" not in result.violations[0].message


def test_none_after_a_400_names_the_request_that_failed(models: list[dict[str, Any]]) -> None:
    def swallowed() -> list[dict[str, Any]] | None:
        response = httpx.get("https://huggingface.co/api/models", params={"sort": "trending", "limit": 1000})
        return response.json() if response.status_code == 200 else None

    message = fetcher_checks.run_scenario("recorded-hub", swallowed, models).violations[0].message
    assert message.startswith("the fetcher returned None instead of a catalog: request 1 (GET ")
    assert "sort=trending" in message
    assert "answered 400" in message


class ModelInfo:
    """What huggingface_hub yields: an object with ``.id``."""

    def __init__(self, model_id: str) -> None:
        self.id = model_id


@pytest.mark.parametrize(
    "shape",
    ["list of dicts", "generator of ids", "dict keyed by id", "objects with .id", "coroutine", "async generator"],
)
def test_every_shape_of_a_whole_catalog_is_read(shape: str, models: list[dict[str, Any]]) -> None:
    def whole() -> list[dict[str, Any]]:
        with httpx.Client() as client:
            return list(fetch_hub(client, token="", sleep=lambda _s: None).models())

    async def coroutine() -> list[dict[str, Any]]:
        return whole()

    async def async_generator() -> Any:
        for model in whole():
            yield model

    shapes: dict[str, Callable[[], Any]] = {
        "list of dicts": whole,
        "generator of ids": lambda: (m["id"] for m in whole()),
        "dict keyed by id": lambda: {m["id"]: m for m in whole()},
        "objects with .id": lambda: [ModelInfo(m["id"]) for m in whole()],
        "coroutine": coroutine,
        "async generator": async_generator,
    }
    result = fetcher_checks.run_scenario("recorded-hub", shapes[shape], models)
    assert result.passed, [v.message for v in result.violations]
    assert result.outcome.ids is not None
    assert len(result.outcome.ids) == len(models)


_CACHE: dict[str, list[dict[str, Any]]] = {}


def cached_fetcher() -> list[dict[str, Any]]:
    """A module-level dict as a cache, as every real version had."""
    if "models" not in _CACHE:
        _CACHE["models"] = list(reference_fetcher().models())
    return _CACHE["models"]


def test_a_cached_fetcher_is_named_and_reset_clears_it(models: list[dict[str, Any]]) -> None:
    _CACHE.clear()
    fetcher_checks.run_scenario("recorded-hub", cached_fetcher, models)
    cached = fetcher_checks.run_scenario("server-errors", cached_fetcher, models)
    assert [v.message.split(":")[0] for v in cached.violations] == [
        "the fetcher sent no request to huggingface.co/api/models in this scenario and returned "
        f"{len(models):,} entries"
    ]
    assert "reset = staticmethod(" in cached.violations[0].message
    reset = fetcher_checks.run_scenario("server-errors", cached_fetcher, models, reset=_CACHE.clear)
    assert reset.passed, [v.message for v in reset.violations]  # the 503s reached it: it raised


def test_a_functools_cache_is_cleared_without_a_hook(models: list[dict[str, Any]]) -> None:
    cached = functools.cache(lambda: list(reference_fetcher().models()))
    for scenario in ("recorded-hub", "offset-ignored"):
        result = fetcher_checks.run_scenario(scenario, cached, models)
        assert result.passed, [v.message for v in result.violations]


@pytest.mark.parametrize("scenario", fetcher_checks.SCENARIOS)
def test_sleeps_held_as_default_arguments_are_virtual(scenario: str, models: list[dict[str, Any]]) -> None:
    """The product's own reference fetcher, ``fetch_hub(sleep=time.sleep)``, takes the real sleep as a default
    argument (it once really waited 4 s in the 429 scenario and 23 s in the 5xx one): in every scenario the waits
    are recorded and reported, and the real sleep is never called."""

    def default_sleep() -> Any:
        with httpx.Client() as client:
            return fetch_hub(client, token="")

    with real_sleeps() as slept_for_real:
        result = fetcher_checks.run_scenario(scenario, default_sleep, models)
    assert result.passed, [v.message for v in result.violations]
    assert not slept_for_real, slept_for_real
    if scenario == "rate-limited-then-success":
        assert len(result.outcome.slept) == 2  # the two scripted 429s
    if scenario in ("rate-limited-then-success", "server-errors"):
        assert result.report().endswith("none slept")


@pytest.mark.parametrize(
    ("code", "cause"),
    [
        ("F1", "the upstream ignores `offset`: requests 2-"),
        ("F3", "the upstream ignores `offset`"),
        ("F4", 'rel="next"`, which was never requested (the fetcher stopped after 1 request)'),
        ("F6", "answered 400"),
        ("F7", 'rel="next"`, which was never requested'),
    ],
)
def test_buggy_fetchers_are_told_their_cause(code: str, cause: str, models: list[dict[str, Any]]) -> None:
    fetcher, _ = BUGGY[code]
    messages = [v.message for v in fetcher_checks.run_scenario("recorded-hub", fetcher, models).violations]
    assert any(cause in message for message in messages), messages


def test_server_errors_name_the_503_the_fetcher_gave_up_on(models: list[dict[str, Any]]) -> None:
    fetcher, _ = BUGGY["F8"]
    message = fetcher_checks.run_scenario("server-errors", fetcher, models).violations[0].message
    assert "as if that were the catalog: request 2 (GET https://huggingface.co/api/models?" in message
    assert "answered 503" in message


def side_call_first() -> Any:
    """A client that asks another endpoint before the listing (huggingface_hub 1.x asks /api/agent-harnesses once
    per process), then walks the listing with the reference fetcher."""
    with httpx.Client() as client:
        assert client.get("https://huggingface.co/api/whoami-v2").status_code == 404
        return fetch_hub(client, token="")


def test_calls_to_other_endpoints_do_not_shift_the_scenario(models: list[dict[str, Any]]) -> None:
    """Faults are scheduled by listing request: the first two listing requests get the 429s and page 1 of the
    5xx scenario is served, whatever the client asked before (the side call is still in the exchange)."""
    limited = fetcher_checks.run_scenario("rate-limited-then-success", side_call_first, models)
    assert limited.passed, [v.message for v in limited.violations]
    assert [e.status for e in limited.outcome.listing()] == [429, 429, 200, 200]
    assert limited.outcome.exchanges[0].url == "https://huggingface.co/api/whoami-v2"
    failing = fetcher_checks.run_scenario("server-errors", side_call_first, models)
    assert [e.status for e in failing.outcome.listing()][:2] == [200, 503]


def test_a_fetcher_that_raises_before_the_listing_is_not_called_cached(models: list[dict[str, Any]]) -> None:
    def broken() -> Any:
        with httpx.Client() as client:
            client.get("https://huggingface.co/api/whoami-v2").raise_for_status()

    message = fetcher_checks.run_scenario("recorded-hub", broken, models).violations[0].message
    assert message.startswith("the fetcher raised HTTPStatusError: Client error '404 Not Found' for url ")
    assert (
        "before asking for the listing (huggingface.co/api/models), after 1 request to other endpoints (the first, "
        "GET https://huggingface.co/api/whoami-v2, answered 404), so this scenario judged nothing"
    ) in message
    assert "cache" not in message
