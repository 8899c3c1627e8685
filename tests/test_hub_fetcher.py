"""The reference Hub fetcher: the three strategies, retries and typed failures, against FakeHub.

Expected ids come from ``hub_models`` (independent of the fake); retry waits come from ``RetryPolicy`` itself,
so a change of policy changes the expectation instead of breaking a typed-in number.
"""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest

from catalog_guard import universe as universe_module
from catalog_guard.errors import (
    ClientError,
    HtmlErrorPageError,
    IncompleteCatalogError,
    MalformedResponseError,
    PaginationLoopError,
    RequestBudgetExceeded,
    ServerError,
)
from catalog_guard.fakes.hub import FakeHub, HubFault, HubSettings
from catalog_guard.fakes.transport import FakeInternet
from catalog_guard.hub import PAGE_SIZE, HubResult, fetch_hub
from catalog_guard.paging import WalkSettings
from catalog_guard.retry import RetryPolicy
from hub_models import hub_order, make_models, providers_of, served_by

MODELS = make_models(2400, seed=3)
HF = served_by(MODELS, "hf-inference")
ORDER = hub_order(HF)
PAGES = math.ceil(len(HF) / PAGE_SIZE)


@pytest.fixture(autouse=True)
def no_ambient_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's HF_TOKEN must not change what these tests send."""
    monkeypatch.delenv("HF_TOKEN", raising=False)


def run(hub: FakeHub, **options: Any) -> tuple[HubResult, list[float]]:
    slept: list[float] = []
    options.setdefault("sleep", slept.append)
    with FakeInternet({"huggingface.co": hub}).client() as client:
        return fetch_hub(client, **options), slept


def union_oracle(models: list[dict[str, Any]]) -> list[str]:
    ids = hub_order(models, "likes")[:PAGE_SIZE]
    return ids + [i for i in hub_order(models, "downloads")[:PAGE_SIZE] if i not in set(ids)]


def test_sample_is_bigger_than_one_page() -> None:
    assert PAGES >= 2, "the figures below only mean something if the catalog spans pages"


# -- strategies -----------------------------------------------------------------------------------------------


def test_cursor_walks_every_page_in_hub_order() -> None:
    hub = FakeHub(MODELS)
    result, slept = run(hub)
    assert result.complete
    assert result.stop_reason == "end"
    assert result.ids == ORDER
    assert [m["id"] for m in result.models()] == ORDER
    assert result.requests == hub.request_count == PAGES
    assert result.duplicates == 0
    assert not result.truncated
    assert result.error is None
    assert slept == []
    assert all(httpx.URL(r.url).params["limit"] == str(PAGE_SIZE) for r in hub.requests)
    assert all("cursor" in httpx.URL(r.url).params for r in hub.requests[1:])


def test_single_is_one_page_and_knows_it_is_truncated() -> None:
    hub = FakeHub(MODELS)
    result, _ = run(hub, strategy="single")
    assert result.ids == ORDER[:PAGE_SIZE]
    assert result.requests == hub.request_count == 1
    assert result.truncated
    assert not result.complete
    assert result.walks[0].complete, "as a request it worked; as a catalog it is not the whole one"
    with pytest.raises(IncompleteCatalogError) as raised:
        result.models()
    assert raised.value.reason == "truncated"
    assert httpx.URL(hub.requests[0].url).params["full"] == "true"
    assert "author" in result.walks[0].items[0], "full=true shape"


def test_single_on_a_catalog_of_one_page_is_complete() -> None:
    small = make_models(60, seed=8)
    result, _ = run(FakeHub(small), strategy="single")
    assert result.complete
    assert not result.truncated
    assert result.ids == hub_order(served_by(small, "hf-inference"))


def test_sort_union_is_two_first_pages_merged() -> None:
    hub = FakeHub(MODELS)
    result, _ = run(hub, strategy="sort-union")
    expected = union_oracle(HF)
    assert result.ids == expected
    assert result.duplicates == 2 * PAGE_SIZE - len(expected)
    assert result.requests == hub.request_count == 2
    assert [httpx.URL(r.url).params["sort"] for r in hub.requests] == ["likes", "downloads"]
    assert result.truncated
    assert not result.complete
    assert len(expected) < len(HF), "the union misses models the cursor walk finds"
    with pytest.raises(IncompleteCatalogError):
        result.records()


def test_unknown_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown strategy"):
        run(FakeHub(MODELS), strategy="offset")


def test_list_params_become_repeated_keys() -> None:
    hub = FakeHub(MODELS)
    result, _ = run(hub, params={"inference_provider": ["hf-inference", "together"]})
    wanted = [m for m in MODELS if providers_of(m) & {"hf-inference", "together"}]
    assert result.ids == hub_order(wanted)
    assert httpx.URL(hub.requests[0].url).params.get_list("inference_provider") == ["hf-inference", "together"]


def test_records_are_huggingface_model_records() -> None:
    result, _ = run(FakeHub(MODELS))
    records = result.records()
    assert [r.id for r in records] == ORDER
    assert {r.gateway for r in records} == {"huggingface"}
    assert all(r.hugging_face_id == r.id and r.raw["id"] == r.id for r in records)


# -- auth -----------------------------------------------------------------------------------------------------


def test_token_argument_is_sent_as_bearer_on_every_page() -> None:
    hub = FakeHub(MODELS)
    run(hub, token="hf_argument")
    assert hub.authorizations == ["Bearer hf_argument"] * PAGES


def test_token_defaults_to_hf_token_and_empty_sends_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_from_env")
    from_env = FakeHub(MODELS)
    run(from_env)
    assert set(from_env.authorizations) == {"Bearer hf_from_env"}
    anonymous = FakeHub(MODELS)
    run(anonymous, token="")
    assert set(anonymous.authorizations) == {None}


# -- retries --------------------------------------------------------------------------------------------------


def test_429_then_200_waits_the_ratelimit_reset_plus_one() -> None:
    reset = 17
    hub = FakeHub(MODELS).inject(HubFault.rate_limited(reset=reset), at=2)
    result, slept = run(hub)
    assert result.complete
    assert result.ids == ORDER
    assert slept == [reset + 1]
    assert result.requests == hub.request_count == PAGES + 1
    assert sum(w.retries for w in result.walks) == 1


def test_spent_quota_recovers_after_sleeping_into_the_next_window() -> None:
    """The quota is real here: the 429 lasts until the virtual clock passes the reset, and the only thing that
    moves the clock is the fetcher's own sleep."""
    window = 60
    hub = FakeHub(MODELS, settings=HubSettings(quota_anonymous=1, window=window))
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        hub.advance(seconds)

    result, _ = run(hub, sleep=sleep)
    assert result.complete
    assert result.ids == ORDER
    assert slept == [window + 1] * (PAGES - 1)
    assert [r.status for r in hub.requests].count(429) == PAGES - 1


def test_a_503_storm_ends_in_server_error_within_the_budget() -> None:
    policy, budget = RetryPolicy(), 50
    hub = FakeHub(MODELS).inject(HubFault.server_error(503))
    result, slept = run(hub, settings=WalkSettings(budget=budget, retry=policy))
    assert isinstance(result.error, ServerError)
    assert result.error.status == 503
    assert result.requests == hub.request_count == policy.max_retries + 1 <= budget
    assert slept == [policy.backoff(n) for n in range(1, policy.max_retries + 1)]
    assert not result.complete
    assert result.ids == []
    with pytest.raises(IncompleteCatalogError) as raised:
        result.models()
    assert raised.value.reason == "ServerError"


def test_a_storm_longer_than_the_budget_is_a_budget_error() -> None:
    budget = 3
    hub = FakeHub(MODELS).inject(HubFault.server_error(502))
    result, _ = run(hub, settings=WalkSettings(budget=budget))
    assert isinstance(result.error, RequestBudgetExceeded)
    assert hub.request_count == budget


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_transient_5xx_on_page_two_is_retried(status: int) -> None:
    hub = FakeHub(MODELS).inject(HubFault.server_error(status), match="cursor=", times=1)
    result, slept = run(hub)
    assert result.complete
    assert result.ids == ORDER
    assert slept == [RetryPolicy().backoff(1)]


def test_sort_union_stops_at_the_first_failed_walk() -> None:
    hub = FakeHub(MODELS).inject(HubFault.server_error(500), match="sort=likes")
    result, _ = run(hub, strategy="sort-union", settings=WalkSettings(retry=RetryPolicy(max_retries=0)))
    assert isinstance(result.error, ServerError)
    assert len(result.walks) == 1
    assert all("sort=likes" in r.url for r in hub.requests)


# -- broken pages ---------------------------------------------------------------------------------------------


def test_a_link_loop_is_a_pagination_loop_error() -> None:
    hub = FakeHub(MODELS).inject(HubFault.link_loop(), at=PAGES)
    result, _ = run(hub)
    assert isinstance(result.error, PaginationLoopError)
    assert not result.complete
    assert result.requests == PAGES, "the loop is caught before the repeated URL is fetched"


def test_a_malformed_page_is_a_malformed_response_error() -> None:
    result, _ = run(FakeHub(MODELS).inject(HubFault.malformed(), at=2))
    assert type(result.error) is MalformedResponseError
    assert result.requests == 2, "a 200 with a broken body is not retried"
    assert result.stop_reason == "MalformedResponseError"


def test_an_html_page_is_an_html_error_page_error() -> None:
    result, _ = run(FakeHub(MODELS).inject(HubFault.html(), at=1))
    assert isinstance(result.error, HtmlErrorPageError)
    assert not result.complete


def test_an_invalid_sort_is_a_client_error_not_an_empty_catalog() -> None:
    result, slept = run(FakeHub(MODELS), params={"inference_provider": "hf-inference", "sort": "trending"})
    assert isinstance(result.error, ClientError)
    assert result.error.status == 400
    assert "Invalid sort parameter" in str(result.error)
    assert slept == []
    with pytest.raises(IncompleteCatalogError):
        result.models()


def test_a_model_without_an_id_makes_the_result_incomplete() -> None:
    models = make_models(5, seed=11, providers=("hf-inference",))

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[{"_id": "x"}, *({"id": m["id"]} for m in models)])

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        result = fetch_hub(client, sleep=lambda _: None)
    assert isinstance(result.error, MalformedResponseError)
    assert not result.complete
    assert result.ids == [m["id"] for m in models]


# -- drift ----------------------------------------------------------------------------------------------------


def test_a_model_repeated_by_drift_is_counted_once() -> None:
    top = ORDER[0]
    score = next(m["trendingScore"] for m in HF if m["id"] == top)
    hub = FakeHub(MODELS, drift={1: {top: {"trendingScore": -score - 1}}})
    result, _ = run(hub)
    assert result.complete
    assert result.duplicates == 1
    assert sorted(result.ids) == sorted(ORDER)
    assert len(result.walks[0].items) == len(ORDER) + 1


# -- the universe's figures (need universe.build()) ------------------------------------------------------------


@pytest.fixture(scope="module")
def universe() -> universe_module.Universe:
    return universe_module.build()


def universe_hf(universe: universe_module.Universe) -> list[dict[str, Any]]:
    return [dict(m) for m in served_by(universe.hub_models, "hf-inference")]


def test_universe_cursor_gets_every_model_in_ceil_n_over_1000_requests(universe: universe_module.Universe) -> None:
    hf = universe_hf(universe)
    result, _ = run(FakeHub.from_universe(universe))
    assert result.complete
    assert sorted(result.ids) == sorted(m["id"] for m in hf)
    assert result.requests == math.ceil(len(hf) / PAGE_SIZE)


def test_universe_sort_union_and_single(universe: universe_module.Universe) -> None:
    hf = universe_hf(universe)
    union, _ = run(FakeHub.from_universe(universe), strategy="sort-union")
    single, _ = run(FakeHub.from_universe(universe), strategy="single")
    assert union.ids == union_oracle(hf)
    assert union.requests == 2
    assert single.ids == hub_order(hf)[:PAGE_SIZE]
    assert single.requests == 1
    assert len(single.ids) < len(union.ids) < len(hf)
    assert union.truncated
    assert single.truncated
