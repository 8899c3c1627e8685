"""The fetcher judge on prepared outcomes: every verdict and message of :func:`fetcher_checks.judge`, every shape
:func:`fetcher_checks.ids_of` reads or refuses, and what each scenario does to the Hub, without running a fetcher.

tests/test_fetcher_contract.py runs real (reference and historical) fetchers through the scenarios; these cases
pin the boundaries those runs pass through without noticing (a request budget off by one, a wait list shown
whole, the first bypassing client named) and each message word for word. Pure calls: milliseconds each.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from catalog_guard import fetcher_checks
from catalog_guard.corpus import recorded_hub_models
from catalog_guard.fakes.interception import Exchange, unseen_client_advice
from catalog_guard.fetcher_checks import FetchOutcome, UnreadableResult, judge

LISTING = "https://huggingface.co/api/models"


def exchange(url: str = f"{LISTING}?limit=1000", status: int = 200, body: Any = ()) -> Exchange:
    request = httpx.Request("GET", url)
    return Exchange(request, httpx.Response(status, content=json.dumps(list(body)).encode(), request=request))


def pages(count: int) -> list[Exchange]:
    """``count`` listing requests, each with its own cursor and body (no cause a diagnosis could name)."""
    return [exchange(f"{LISTING}?limit=1000&cursor=c{n}", body=[f"page-{n}"]) for n in range(count)]


def outcome(ids: list[str] | None = None, requests: int = 1, **fields: Any) -> FetchOutcome:
    return FetchOutcome(ids=ids, exchanges=pages(requests), **fields)


def said(found: list[Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(v.check, v.message, dict(v.evidence)) for v in found]


# -- judge: what the fetcher did, in words -----------------------------------------------------------------------


def test_a_whole_catalog_once_within_the_budget_passes() -> None:
    assert judge("recorded-hub", outcome(["a", "b"]), {"a", "b"}) == []


def test_a_connection_around_the_seam_names_the_host_and_the_first_client_that_made_it() -> None:
    bypass = FetchOutcome(bypassed=["huggingface.co:443", "cdn.example:80"], clients=[None, "httpcore", "urllib3"])
    assert said(judge("offset-ignored", bypass, {"a"})) == [
        (
            "fetcher:offset-ignored",
            unseen_client_advice("huggingface.co", "httpcore"),
            {"bypassed": ["huggingface.co:443", "cdn.example:80"], "client": "httpcore"},
        )
    ]
    assert "through httpcore, which catalog-guard cannot intercept" in unseen_client_advice(
        "huggingface.co", "httpcore"
    )


def test_a_connection_around_the_seam_without_a_known_client_is_said_so() -> None:
    bypass = FetchOutcome(bypassed=["[::1]:8443"], clients=[None])
    [violation] = judge("recorded-hub", bypass, {"a"})
    assert violation.message == unseen_client_advice("[::1]", None)
    assert violation.evidence == {"bypassed": ["[::1]:8443"], "client": None}


def test_an_unreadable_result_is_named_with_the_scenario_setting_when_the_exchange_shows_no_cause() -> None:
    found = judge("offset-ignored", outcome(unreadable="returned None instead of a catalog"), {"a"})
    assert said(found) == [
        (
            "fetcher:offset-ignored",
            "the fetcher returned None instead of a catalog: in this scenario this Hub caps pages at 100 and ignores "
            "`offset`: only the `Link` cursor reaches every model",
            {"unreadable": "returned None instead of a catalog"},
        )
    ]
    # the recorded Hub has no setting to blame: nothing follows the result
    found = judge("recorded-hub", outcome(unreadable="returned None instead of a catalog"), {"a"})
    assert [v.message for v in found] == ["the fetcher returned None instead of a catalog"]


def test_a_cause_in_the_exchange_is_named_before_the_setting() -> None:
    failed = FetchOutcome(exchanges=[exchange(status=503)], error=RuntimeError("gave up"))
    [violation] = judge("offset-ignored", failed, {"a"})
    assert violation.message == (
        "the fetcher raised RuntimeError: gave up where the whole catalog was available: request 1 "
        f"(GET {LISTING}?limit=1000) answered 503"
    )
    assert violation.evidence == {"error": "RuntimeError('gave up')"}


def test_a_fetcher_that_sent_no_listing_request_answered_from_a_cache() -> None:
    other = exchange("https://huggingface.co/api/whoami-v2")
    found = judge("server-errors", FetchOutcome(ids=["a", "b"], exchanges=[other]), {"a", "b"})
    assert said(found) == [
        (
            "fetcher:server-errors",
            "the fetcher sent no request to huggingface.co/api/models in this scenario and returned 2 entries: it "
            "answered from a cache (functools.cache, a module-level dict) filled before, so this scenario judged "
            "nothing. Clear it between scenarios: give the FetcherContract subclass "
            "`reset = staticmethod(<function that clears the cache>)`",
            {"requests": 0},
        )
    ]


def test_the_listing_is_the_models_path_with_or_without_a_trailing_slash_and_nothing_else() -> None:
    kept = [exchange(f"{LISTING}?limit=1000"), exchange(f"{LISTING}/?cursor=x")]
    others = [exchange("https://huggingface.co/api/whoami-v2"), exchange(f"{LISTING}X")]
    seen = FetchOutcome(exchanges=[*others, *kept])
    assert seen.listing() == kept


@pytest.mark.parametrize(
    "ending",
    [
        pytest.param({"error": RuntimeError("503")}, id="raised"),
        pytest.param({"declared_incomplete": True}, id="declared-incomplete"),
    ],
)
def test_server_errors_are_passed_by_raising_or_declaring_the_result_incomplete(ending: dict[str, Any]) -> None:
    assert judge("server-errors", outcome(**ending), {"a", "b"}) == []


def test_server_errors_fail_a_fetcher_that_returns_what_it_got_as_the_catalog() -> None:
    found = judge("server-errors", outcome(["a", "b", "x"]), {"a", "b", "c", "d"})
    assert said(found) == [
        (
            "fetcher:server-errors",
            "the fetcher returned 3 models (2 of 4) as if that were the catalog: in this scenario every request "
            "after the first answers 503; raise, or mark the result incomplete",
            {"returned": 3, "expected": 4},
        )
    ]


@pytest.mark.parametrize(
    ("ending", "described", "evidence"),
    [
        pytest.param({"error": ValueError("boom")}, "raised ValueError: boom", "ValueError('boom')", id="raised"),
        pytest.param({"declared_incomplete": True}, "returned a result marked incomplete", "None", id="incomplete"),
    ],
)
def test_no_catalog_where_the_whole_catalog_was_available_fails(
    ending: dict[str, Any], described: str, evidence: str
) -> None:
    found = judge("recorded-hub", outcome(**ending), {"a"})
    assert said(found) == [
        (
            "fetcher:recorded-hub",
            f"the fetcher {described} where the whole catalog was available",
            {"error": evidence},
        )
    ]


def test_one_id_listed_twice_is_a_duplicate() -> None:
    found = judge("drifting-sort-keys", outcome(["b", "a", "b"]), {"a", "b"})
    assert said(found) == [
        (
            "fetcher:drifting-sort-keys",
            "3 entries but 2 unique ids (1 repeated, e.g. b): in this scenario counts change between requests, so "
            "models of the first page by one sort reappear later by another",
            {"entries": 3, "unique": 2, "repeated": ["b"]},
        )
    ]


def test_missing_and_extra_ids_are_counted_and_shown() -> None:
    expected = {f"m{n}" for n in range(1_200)}
    got = [*sorted(expected - {"m7", "m8"}), "z1"]
    found = judge("rate-limited-then-success", outcome(got), expected)
    assert said(found) == [
        (
            "fetcher:rate-limited-then-success",
            "got 1,198 of the 1,200 models (2 missing, e.g. m7, m8; 1 not in the catalog, e.g. z1): in this "
            "scenario requests 1-2 answer 429 (RateLimit t=1); waiting and retrying gets everything",
            {"missing": ["m7", "m8"], "extra": ["z1"]},
        )
    ]


def test_missing_ids_alone_and_extra_ids_alone_say_only_what_is_wrong() -> None:
    [missing] = judge("recorded-hub", outcome(["a"]), {"a", "b"})
    assert missing.message == "got 1 of the 2 models (1 missing, e.g. b)"
    assert missing.evidence == {"missing": ["b"], "extra": []}
    [extra] = judge("recorded-hub", outcome(["a", "b", "x"]), {"a", "b"})
    assert extra.message == "got 2 of the 2 models (0 missing; 1 not in the catalog, e.g. x)"
    assert extra.evidence == {"missing": [], "extra": ["x"]}


def test_a_duplicate_and_a_loss_are_two_findings() -> None:
    found = judge("recorded-hub", outcome(["a", "a"]), {"a", "b"})
    assert [v.evidence.get("entries") for v in found] == [2, None]


# -- the request budget: ceil(N / 1000) + slack, exactly ----------------------------------------------------------


@pytest.mark.parametrize(("models", "budget"), [(2_000, 3), (2_001, 4)])
def test_the_request_budget_is_exactly_the_pages_of_1000_plus_the_slack(models: int, budget: int) -> None:
    expected = {f"m{n}" for n in range(models)}
    assert judge("recorded-hub", outcome(sorted(expected), requests=budget), expected) == []
    found = judge("recorded-hub", outcome(sorted(expected), requests=budget + 1), expected)
    assert said(found) == [
        (
            "fetcher:recorded-hub",
            f"{budget + 1} requests for {models:,} models (at most {budget}: pages of 1,000 plus 1)",
            {"requests": budget + 1, "budget": budget},
        )
    ]


def test_the_request_slack_is_the_callers() -> None:
    expected = {f"m{n}" for n in range(1_000)}
    assert judge("recorded-hub", outcome(sorted(expected), requests=2), expected, request_slack=0) != []
    assert judge("recorded-hub", outcome(sorted(expected), requests=4), expected, request_slack=3) == []


def test_the_budget_counts_listing_requests_only_and_only_on_the_recorded_hub() -> None:
    expected = {"a"}
    extra = [exchange("https://huggingface.co/api/whoami-v2")] * 3
    assert judge("recorded-hub", FetchOutcome(ids=["a"], exchanges=[*pages(2), *extra]), expected) == []
    assert judge("offset-ignored", outcome(["a"], requests=30), expected) == []


# -- what a fetcher's outcome says about itself -------------------------------------------------------------------


def test_an_outcome_describes_itself_in_one_phrase() -> None:
    assert FetchOutcome(ids=["a"] * 1_234).described == "returned 1,234 entries"
    assert FetchOutcome().described == "returned 0 entries"
    assert FetchOutcome(declared_incomplete=True).described == "returned a result marked incomplete"
    assert FetchOutcome(unreadable="returned None").described == "returned None"
    assert FetchOutcome(ids=["a"], error=KeyError("x")).described == "raised KeyError: 'x'"


@pytest.mark.parametrize(
    ("slept", "said"),
    [
        ([], "no wait asked for"),
        ([2.0], "1 wait asked for (2 s; 2 s in all), none slept"),
        ([2.0, 4.0], "2 waits asked for (2 s, 4 s; 6 s in all), none slept"),
        ([1.5, 2.0, 3.0, 4.0, 5.0], "5 waits asked for (1.5 s, 2 s, 3 s, 4 s, 5 s; 15.5 s in all), none slept"),
        ([1, 2, 3, 4, 5, 6], "6 waits asked for (1 s, 2 s, 3 s, 4 s, 5 s, ...; 21 s in all), none slept"),
    ],
)
def test_the_waits_asked_for_are_shown_up_to_five_and_summed(slept: list[float], said: str) -> None:
    assert FetchOutcome(slept=slept).waits() == said


def test_a_scenario_result_reports_its_listing_requests_and_waits() -> None:
    result = fetcher_checks.ScenarioResult(
        "fetcher:recorded-hub", "recorded-hub", (), outcome=FetchOutcome(exchanges=pages(1_200), slept=[1.0])
    )
    assert result.report() == (
        "fetcher:recorded-hub: 1,200 listing requests, 1 wait asked for (1 s; 1 s in all), none slept"
    )


# -- ids_of: every shape of a catalog, and what is not one --------------------------------------------------------


class Info:
    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


class Result:
    """A result object: ``complete`` and ``models()`` (what catalog_guard.hub.fetch_hub returns)."""

    def __init__(self, models: Any, complete: bool = True) -> None:
        self._models, self.complete = models, complete

    def models(self) -> Any:
        if isinstance(self._models, Exception):
            raise self._models
        return self._models


class ModelsDict(dict[str, Any]):
    def models(self) -> list[str]:
        return ["not", "these"]


def generated() -> Iterator[str]:
    yield from ("g1", "g2")


@pytest.mark.parametrize(
    ("result", "read"),
    [
        pytest.param(["a", "b"], (["a", "b"], False), id="ids"),
        pytest.param(generated(), (["g1", "g2"], False), id="generator"),
        pytest.param([{"id": "a"}, {"modelId": "b"}, {"id": "", "modelId": "c"}], (["a", "b", "c"], False), id="dicts"),
        pytest.param(
            [Info(id="a"), Info(modelId="b"), Info(id=None, modelId="c")], (["a", "b", "c"], False), id="objects"
        ),
        pytest.param({"a": {}, "b": {}}, (["a", "b"], False), id="dict-by-id"),
        pytest.param(ModelsDict(a=1), (["a"], False), id="a-dict-is-read-by-its-keys-even-with-models"),
        pytest.param(Result(["a"]), (["a"], False), id="result-object"),
        pytest.param(Result(["a"], complete=False), (None, True), id="marked-incomplete"),
        pytest.param(Result(RuntimeError("partial")), (None, True), id="refuses-to-hand-over"),
        pytest.param([], ([], False), id="empty"),
    ],
)
def test_every_shape_of_a_catalog_is_read(result: Any, read: tuple[list[str] | None, bool]) -> None:
    assert fetcher_checks.ids_of(result) == read


@pytest.mark.parametrize(
    ("result", "said"),
    [
        pytest.param(None, "returned None instead of a catalog", id="none"),
        pytest.param(b"[]", "returned a bytes (b'[]') instead of a catalog", id="bytes"),
        pytest.param(Result("abc"), "returned a str ('abc') instead of a catalog", id="models-gives-a-str"),
        pytest.param({"": 1}, "returned a dict whose key '' is not a model id", id="empty-key"),
        pytest.param(
            3.5, "returned float 3.5, not a catalog (a list, generator or dict of models or ids)", id="number"
        ),
        pytest.param(["a", ""], "returned, at position 1, a str without a model id: ''", id="empty-id"),
        pytest.param(["a", {"id": 7}], "returned, at position 1, a dict without a model id: {'id': 7}", id="int-id"),
        pytest.param([Info(name="x")], "returned, at position 0, a Info without a model id: ", id="object"),
    ],
)
def test_what_is_not_a_catalog_is_refused_saying_what_came_back(result: Any, said: str) -> None:
    with pytest.raises(UnreadableResult) as refused:
        fetcher_checks.ids_of(result)
    assert str(refused.value).startswith(said)


def test_a_long_value_is_shown_cut_at_80_characters() -> None:
    exactly = "x" * 78  # its repr, quotes included, is 80 characters: shown whole
    with pytest.raises(UnreadableResult, match=f"^returned a str \\('{exactly}'\\) instead"):
        fetcher_checks.ids_of(exactly)
    longer = "x" * 79
    with pytest.raises(UnreadableResult) as refused:
        fetcher_checks.ids_of(longer)
    assert str(refused.value) == f"returned a str ('{'x' * 76}...) instead of a catalog"


def test_a_coroutine_is_awaited_even_from_inside_a_running_event_loop() -> None:
    async def fetcher() -> list[str]:
        return ["a"]

    async def generator() -> Any:
        yield "b"

    async def inside() -> tuple[Any, Any]:
        return fetcher_checks._call(fetcher), fetcher_checks._call(generator)

    assert asyncio.run(inside()) == (["a"], ["b"])
    assert fetcher_checks._call(lambda: ["c"]) == ["c"]


# -- before each scenario: the fetcher's caches are cleared --------------------------------------------------------


def test_the_reset_hook_and_a_functools_cache_are_both_cleared() -> None:
    calls: list[str] = []
    cached = functools.cache(lambda: calls.append("fetched"))
    cached()
    fetcher_checks.clear_caches(cached, reset=lambda: calls.append("reset"))
    cached()
    assert calls == ["fetched", "reset", "fetched"]
    fetcher_checks.clear_caches(lambda: None)  # neither: nothing to clear, no error


# -- load_fetcher: module:function --------------------------------------------------------------------------------


def test_a_fetcher_is_loaded_from_module_and_dotted_attribute() -> None:
    assert fetcher_checks.load_fetcher("catalog_guard.fetcher_checks:judge") is judge
    assert fetcher_checks.load_fetcher("catalog_guard.fetcher_checks:FetchOutcome.waits") is FetchOutcome.waits


@pytest.mark.parametrize("spec", ["catalog_guard.fetcher_checks", ":judge", "catalog_guard.fetcher_checks:"])
def test_a_spec_without_module_and_function_is_refused(spec: str) -> None:
    said = f"--catalog-guard-fetcher takes module:function, got {spec!r}"
    with pytest.raises(ValueError, match=f"^{re.escape(said)}$"):
        fetcher_checks.load_fetcher(spec)


def test_a_spec_naming_something_not_callable_is_refused() -> None:
    with pytest.raises(TypeError) as refused:
        fetcher_checks.load_fetcher("catalog_guard.fetcher_checks:SCENARIOS")
    assert str(refused.value) == "catalog_guard.fetcher_checks:SCENARIOS is not callable"


# -- the Hub of each scenario ----------------------------------------------------------------------------------------


def ask(hub: Any, url: str = f"{LISTING}?limit=1000") -> httpx.Response:
    response: httpx.Response = hub(httpx.Request("GET", url))
    return response


@pytest.fixture(scope="module")
def models() -> list[dict[str, Any]]:
    return recorded_hub_models()


def test_offset_ignored_caps_pages_at_100_and_serves_the_rest_by_cursor_only(models: list[dict[str, Any]]) -> None:
    hub = fetcher_checks.hub_for("offset-ignored", models)
    first = ask(hub)
    assert len(first.json()) == fetcher_checks.SMALL_PAGE == 100
    assert first.links["next"]["url"]
    assert ask(hub, f"{LISTING}?limit=1000&offset=100").json() == first.json()


def test_rate_limited_answers_429_to_requests_one_and_two_then_pages(models: list[dict[str, Any]]) -> None:
    hub = fetcher_checks.hub_for("rate-limited-then-success", models)
    assert [ask(hub).status_code for _ in range(4)] == [429, 429, 200, 200]


def test_server_errors_answer_the_first_request_and_503_to_every_later_one(models: list[dict[str, Any]]) -> None:
    hub = fetcher_checks.hub_for("server-errors", models)
    assert [ask(hub).status_code for _ in range(4)] == [200, 503, 503, 503]


def test_the_recorded_hub_serves_every_model_in_pages_of_1000(models: list[dict[str, Any]]) -> None:
    hub = fetcher_checks.hub_for("recorded-hub", models)
    assert [ask(hub).status_code for _ in range(3)] == [200, 200, 200]
    assert len(ask(hub).json()) == min(1_000, len(models))


def test_an_unknown_scenario_is_refused(models: list[dict[str, Any]]) -> None:
    with pytest.raises(ValueError, match="unknown scenario 'no-such'; one of recorded-hub, offset-ignored, "):
        fetcher_checks.hub_for("no-such", models)


def test_drifting_sort_keys_sink_a_few_models_of_every_first_half_page_below_all_others(
    models: list[dict[str, Any]],
) -> None:
    """After request 1, up to five models in the first half of the first page (500 of 1,000) by every sort sink
    below every other model by every sort key, so a keyset walk meets them again at its end."""
    keys = ("trendingScore", "likes", "downloads")
    assert len(models) > 1_000  # the first page is a full 1,000: half of it is 500
    tops = [{m["id"] for m in sorted(models, key=lambda m: (-m.get(k, 0), m["_id"]))[:500]} for k in keys]
    on_top = [m["id"] for m in models if all(m["id"] in top for top in tops)]
    assert len(on_top) > fetcher_checks.DRIFTING_MODELS  # so that the cap of five is what chooses
    drift = fetcher_checks._drift(models)
    assert list(drift) == [1]
    assert list(drift[1]) == on_top[: fetcher_checks.DRIFTING_MODELS]
    after = {m["id"]: {k: m.get(k, 0) + drift[1].get(m["id"], {}).get(k, 0) for k in keys} for m in models}
    for key in keys:
        sunk = [after[model][key] for model in drift[1]]
        assert max(sunk) < min(v[key] for model, v in after.items() if model not in drift[1])
        assert sunk == sorted(sunk, reverse=True)  # they keep their order among themselves
    hub = fetcher_checks.hub_for("drifting-sort-keys", models)
    assert hub.drift == drift


def test_a_sleep_held_by_a_fetcher_defined_inside_a_function_is_recorded_not_slept() -> None:
    """A fetcher defined in a function is in no module's namespace: its own default argument is searched too."""
    import time

    def fetcher(pause: Any = time.sleep) -> list[str]:
        pause(2.0)
        return ["a"]

    assert fetcher_checks.invoke(fetcher, fetcher_checks.hub_for("recorded-hub", [])).slept == [2.0]


def test_drift_counts_a_missing_sort_key_as_zero_and_sinks_below_zero() -> None:
    """On a Hub where counts are 0 or absent, the drifting models still sink below every other model."""
    keys = ("trendingScore", "likes", "downloads")
    models = [{"id": f"m{n}", "_id": f"{n:02d}", **dict.fromkeys(keys, 0)} for n in range(8)]
    models[0] = {"id": "bare", "_id": "99"}  # no counts at all: it ties at 0 and sorts last by _id
    del models[1]["likes"]  # a missing count is 0: m1 still ties with the others, first by _id
    drift = fetcher_checks._drift(models)
    assert list(drift[1]) == ["m1", "m2", "m3", "m4"]  # the first half (4 of 8) by every sort
    for model in models:
        for key in keys:
            delta = drift[1].get(model["id"], {}).get(key, 0)
            if model["id"] in drift[1]:
                assert model.get(key, 0) + delta < 0  # every other model stays at 0


def test_the_request_slack_given_to_a_scenario_reaches_its_judge(models: list[dict[str, Any]]) -> None:
    from catalog_guard.hub import fetch_hub

    def one_request_more() -> Any:
        with httpx.Client() as client:
            client.get(LISTING, params={"limit": 1})  # a probe before the walk: one listing request over the pages
            return fetch_hub(client, token="", sleep=lambda _seconds: None)

    assert fetcher_checks.run_scenario("recorded-hub", one_request_more, models).passed  # the default slack of 1
    strict = fetcher_checks.run_scenario("recorded-hub", one_request_more, models, request_slack=0)
    assert [v.evidence.get("budget") for v in strict.violations] == [-(-len(models) // 1000)]


# -- a fetcher that failed before it asked for the listing --------------------------------------------------------


def test_a_fetcher_that_raised_before_asking_for_the_listing_judged_nothing_and_says_what_it_asked() -> None:
    other = exchange("https://huggingface.co/api/agent-harnesses", status=404)
    error = RuntimeError("no harness")
    found = judge("recorded-hub", FetchOutcome(error=error, exchanges=[other]), {"a"})
    assert said(found) == [
        (
            "fetcher:recorded-hub",
            "the fetcher raised RuntimeError: no harness before asking for the listing (huggingface.co/api/models), "
            "after 1 request to other endpoints (the first, GET https://huggingface.co/api/agent-harnesses, "
            "answered 404), so this scenario judged nothing",
            {"error": "RuntimeError('no harness')", "requests": 0},
        )
    ]
    [twice] = judge("recorded-hub", FetchOutcome(error=error, exchanges=[other, other]), {"a"})
    assert "after 2 requests to other endpoints (the first, GET" in twice.message
    [none] = judge("recorded-hub", FetchOutcome(error=error), {"a"})
    assert none.message == (
        "the fetcher raised RuntimeError: no harness before asking for the listing (huggingface.co/api/models), "
        "so this scenario judged nothing"
    )


def test_only_the_listing_reaches_the_scenario_hub_and_every_other_endpoint_is_a_404() -> None:
    hub = fetcher_checks.hub_for("rate-limited-then-success", [])
    handle = fetcher_checks.listing_only(hub)
    other = handle(httpx.Request("GET", "https://huggingface.co/api/agent-harnesses"))
    assert (other.status_code, other.headers["x-error-message"], other.json()) == (
        404,
        "Not Found",
        {"error": "Not Found"},
    )
    assert other.headers["content-type"] == "application/json; charset=utf-8"
    assert handle(httpx.Request("GET", f"{LISTING}X")).status_code == 404  # not the listing, though close
    assert handle(httpx.Request("GET", f"{LISTING}/")).status_code == 429  # the Hub's first listing request


def test_a_coroutine_runs_on_the_loop_the_scenario_makes_inside_or_outside_a_running_loop() -> None:
    made: list[asyncio.AbstractEventLoop] = []

    def factory() -> asyncio.AbstractEventLoop:
        made.append(asyncio.new_event_loop())
        return made[-1]

    async def fetcher() -> Any:
        return asyncio.get_running_loop()

    assert fetcher_checks._call(fetcher, factory) is made[0]

    async def inside() -> Any:
        return fetcher_checks._call(fetcher, factory)

    assert asyncio.run(inside()) is made[1]


def test_a_coroutine_fetcher_runs_on_the_scenarios_virtual_clock() -> None:
    async def fetcher() -> list[str]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.sleep(5)
        return [f"waited {loop.time() - started:.0f} s"]

    outcome = fetcher_checks.invoke(fetcher, fetcher_checks.hub_for("recorded-hub", []))
    assert (outcome.ids, outcome.slept) == (["waited 5 s"], [5.0])
