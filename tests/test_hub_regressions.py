"""The historical Hub fetcher bugs F1-F8 (docs/contract.md §2), replayed against FakeHub.

Each bug is a small function below that calls module-level ``httpx.get`` the way the gateway's code did, run
under ``FakeInternet.install()`` so that no client has to be handed in. Next to each, the reference fetcher
(``catalog_guard.hub.fetch_hub``) runs on an identical hub, so every test shows what the bug returned and what the
catalog really was.

Expected figures are computed, never typed: from the universe's model dicts through the ``hub_models`` oracle
(the Hub's order, the likes/downloads overlap), or, where the figure *is* the story (500 requests, 3 duplicate
batches, a 10-model fallback), from the buggy fetcher's own parameters. Every test runs on two worlds: the seed
universe (``universe.build()``) and a synthetic one of a different size, so a bug's mechanics are shown not to
depend on one data set. The seed's own names are checked once, on the seed universe only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

from catalog_guard import regressions
from catalog_guard.errors import ClientError, IncompleteCatalogError, ServerError
from catalog_guard.fakes.hub import FakeHub, HubFault, HubSettings
from catalog_guard.fakes.transport import FakeInternet
from catalog_guard.hub import PAGE_SIZE, HubResult, fetch_hub
from catalog_guard.paging import WalkSettings
from catalog_guard.regressions import (
    F1_BATCH,
    F1_MAX_TOTAL,
    F2_STOP_AFTER,
    F3_BATCH,
    F4_LIMIT,
    F5_SORTS,
    F7_FALLBACK,
    F8_ATTEMPTS,
)
from catalog_guard.retry import RetryPolicy
from catalog_guard.universe import Universe, build
from hub_models import hub_order, served_by, synthetic_universe, with_drift

API = "https://huggingface.co/api/models"
TOKEN = "hf_regression_token"  # the gateway sent its HF_API_KEY (seed 000)
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
PROVIDER = {"inference_provider": "hf-inference"}

Model = dict[str, Any]


# -- the buggy fetchers, as the gateway wrote them (catalog_guard.regressions), sending its HF token ----------

f1_offset_paging_without_dedup = functools.partial(regressions.f1_offset_paging_without_dedup, headers=HEADERS)
f2_dedup_and_stop_after_duplicate_batches = functools.partial(
    regressions.f2_dedup_and_stop_after_duplicate_batches, headers=HEADERS
)
f3_stop_on_short_batch = functools.partial(regressions.f3_stop_on_short_batch, headers=HEADERS)
f4_one_request = functools.partial(regressions.f4_one_request, headers=HEADERS)
f5_sort_union = functools.partial(regressions.f5_sort_union, headers=HEADERS)
f6_invalid_sort_swallowed = functools.partial(regressions.f6_invalid_sort_swallowed, headers=HEADERS)
f7_error_becomes_empty = functools.partial(regressions.f7_error_becomes_empty, headers=HEADERS)
f7_error_becomes_fallback = functools.partial(regressions.f7_error_becomes_fallback, headers=HEADERS)
f8_follows_link_but_retries_only_429 = functools.partial(
    regressions.f8_follows_link_but_retries_only_429, headers=HEADERS
)
f8_ignores_the_reset = functools.partial(regressions.f8_ignores_the_reset, headers=HEADERS)


# -- worlds and the reference ---------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["seed-universe", "synthetic"])
def world(request: pytest.FixtureRequest) -> Universe:
    return build() if request.param == "seed-universe" else synthetic_universe()


@pytest.fixture(scope="module")
def hf(world: Universe) -> list[Model]:
    """The hf-inference listing as the Hub holds it (unordered); ``universe.hub_ids()`` holds other models too."""
    return [dict(model) for model in served_by(world.hub_models, "hf-inference")]


@pytest.fixture(scope="module")
def reference(world: Universe) -> HubResult:
    result, _ = reference_run(FakeHub.from_universe(world))
    return result


def reference_run(hub: FakeHub, **options: Any) -> tuple[HubResult, list[float]]:
    slept: list[float] = []
    options.setdefault("sleep", slept.append)
    with FakeInternet({"huggingface.co": hub}).client() as client:
        return fetch_hub(client, token=TOKEN, **options), slept


def buggy_run(hub: FakeHub, fetcher: Callable[[], list[Model]]) -> list[Model]:
    """Run ``fetcher`` with every httpx request answered by ``hub`` (module-level ``httpx.get`` included)."""
    with FakeInternet({"huggingface.co": hub}).install():
        return fetcher()


def ids_of(models: list[Model]) -> list[str]:
    return [model["id"] for model in models]


@pytest.fixture(autouse=True)
def no_ambient_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)


def test_reference_is_the_whole_listing(reference: HubResult, hf: list[Model]) -> None:
    assert reference.complete
    assert reference.ids == hub_order(hf)
    assert reference.requests == -(-len(hf) // PAGE_SIZE)
    assert len(hf) > PAGE_SIZE, "every bug below needs a catalog longer than one page"


# -- F1-F8 ----------------------------------------------------------------------------------------------------


def test_f1_offset_paging_repeats_the_first_page(world: Universe, reference: HubResult) -> None:
    hub = FakeHub.from_universe(world)
    models = buggy_run(hub, f1_offset_paging_without_dedup)
    ids = ids_of(models)
    pages = F1_MAX_TOTAL // F1_BATCH
    assert len(models) == F1_MAX_TOTAL
    assert hub.request_count == pages
    assert len(set(ids)) == F1_BATCH
    assert ids == reference.ids[:F1_BATCH] * pages, "the same first page, every time"
    assert set(hub.authorizations) == {f"Bearer {TOKEN}"}
    assert len(reference.ids) - len(set(ids)) == len(set(reference.ids) - set(ids))


def test_f2_dedup_stops_at_the_first_page(world: Universe, reference: HubResult) -> None:
    hub = FakeHub.from_universe(world)
    ids = ids_of(buggy_run(hub, f2_dedup_and_stop_after_duplicate_batches))
    assert ids == reference.ids[:F1_BATCH]
    assert hub.request_count == 1 + F2_STOP_AFTER
    assert len(ids) < len(reference.ids)


def test_f3_short_batch_stop_under_drift(world: Universe, hf: list[Model]) -> None:
    hub = FakeHub.from_universe(world, with_drift=True)
    ids = ids_of(buggy_run(hub, f3_stop_on_short_batch))
    initial = [world.drift[0]] if 0 in world.drift else []
    first = hub_order(with_drift(hf, *initial), "likes")[:F3_BATCH]
    second = hub_order(with_drift(hf, *initial, world.drift.get(1, {})), "likes")[:F3_BATCH]
    newcomers = [model_id for model_id in second if model_id not in first]
    assert 0 < len(newcomers) < F3_BATCH, "the drift lets a few models in, too few to look like a full page"
    assert ids == first + newcomers
    assert len(ids) == F3_BATCH + len(newcomers)
    assert hub.request_count == 2, "the first batch short of new models is the second one"
    # The reference on the same drifting Hub: the risen model was already on its first 1,000-item page.
    result, _ = reference_run(FakeHub.from_universe(world, with_drift=True), params={**PROVIDER, "sort": "likes"})
    assert result.complete
    assert sorted(result.ids) == sorted(model["id"] for model in hf)


def test_f4_one_request_is_one_page(world: Universe, reference: HubResult) -> None:
    hub = FakeHub.from_universe(world)
    ids = ids_of(buggy_run(hub, f4_one_request))
    assert ids == reference.ids[:F4_LIMIT]
    assert hub.request_count == 1
    single, _ = reference_run(FakeHub.from_universe(world), strategy="single")
    assert single.ids == ids
    assert single.truncated
    assert not single.complete
    with pytest.raises(IncompleteCatalogError):
        single.models()


def test_f5_sort_union_misses_what_neither_first_page_holds(
    world: Universe, hf: list[Model], reference: HubResult
) -> None:
    hub = FakeHub.from_universe(world)
    ids = ids_of(buggy_run(hub, f5_sort_union))
    by_likes = hub_order(hf, "likes")[:F4_LIMIT]
    by_downloads = hub_order(hf, "downloads")[:F4_LIMIT]
    overlap = set(by_likes) & set(by_downloads)
    assert ids == by_likes + [model_id for model_id in by_downloads if model_id not in overlap]
    assert len(ids) == 2 * F4_LIMIT - len(overlap)
    assert hub.request_count == len(F5_SORTS)
    assert set(ids) < set(reference.ids)
    union, _ = reference_run(FakeHub.from_universe(world), strategy="sort-union")
    assert union.ids == ids
    assert union.truncated
    assert not union.complete


def test_f6_invalid_sort_is_a_400_not_an_empty_catalog(world: Universe) -> None:
    hub = FakeHub.from_universe(world)
    assert buggy_run(hub, f6_invalid_sort_swallowed) == []
    assert [request.status for request in hub.requests] == [400]
    result, _ = reference_run(FakeHub.from_universe(world), params={**PROVIDER, "sort": "trending"})
    assert isinstance(result.error, ClientError)
    assert result.error.status == 400
    assert "Invalid sort parameter" in str(result.error)
    with pytest.raises(IncompleteCatalogError):
        result.models()


@pytest.mark.parametrize(
    ("fetcher", "expected"),
    [(f7_error_becomes_empty, []), (f7_error_becomes_fallback, list(F7_FALLBACK))],
    ids=["empty", "fallback"],
)
def test_f7_an_outage_is_not_a_short_catalog(
    world: Universe, fetcher: Callable[[], list[Model]], expected: list[str]
) -> None:
    hub = FakeHub.from_universe(world).inject(HubFault.server_error(503))
    assert ids_of(buggy_run(hub, fetcher)) == expected
    assert hub.request_count == 1
    policy = RetryPolicy()
    result, slept = reference_run(FakeHub.from_universe(world).inject(HubFault.server_error(503)))
    assert isinstance(result.error, ServerError)
    assert not result.complete
    assert result.requests == policy.max_retries + 1
    assert slept == [policy.backoff(n) for n in range(1, policy.max_retries + 1)]
    with pytest.raises(IncompleteCatalogError) as raised:
        result.models()
    assert raised.value.reason == "ServerError"


def test_f8_a_transient_503_on_page_two_loses_the_rest(world: Universe, reference: HubResult) -> None:
    def hub() -> FakeHub:
        return FakeHub.from_universe(world).inject(HubFault.server_error(503), match="cursor=", times=1)

    buggy_hub = hub()
    ids = ids_of(buggy_run(buggy_hub, lambda: f8_follows_link_but_retries_only_429(buggy_hub.advance)))
    assert ids == reference.ids[:PAGE_SIZE]
    assert [request.status for request in buggy_hub.requests] == [200, 503]
    result, slept = reference_run(hub())
    assert result.complete
    assert result.ids == reference.ids
    assert slept == [RetryPolicy().backoff(1)]
    assert result.requests == reference.requests + 1


def test_f8_ignoring_the_ratelimit_reset_loses_the_rest(world: Universe, reference: HubResult) -> None:
    window = 300
    settings = HubSettings(quota_token=1, window=window)
    buggy_hub = FakeHub.from_universe(world, settings=settings)
    ids = ids_of(buggy_run(buggy_hub, lambda: f8_ignores_the_reset(buggy_hub.advance)))
    assert ids == reference.ids[:PAGE_SIZE]
    assert [request.status for request in buggy_hub.requests] == [200] + [429] * F8_ATTEMPTS
    hub = FakeHub.from_universe(world, settings=settings)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        hub.advance(seconds)

    result, _ = reference_run(hub, sleep=sleep, settings=WalkSettings(give_up_after=window + 1))
    assert result.complete
    assert result.ids == reference.ids
    assert slept == [window + 1] * (reference.requests - 1)


# -- the seed's own names (seed universe only) ----------------------------------------------------------------


def test_the_seed_universe_tells_the_seed_story() -> None:
    """The named models of seeds 000/001: trending starts with FLUX.1-dev, likes with embeddinggemma, and the
    likes drift after request 1 lets exactly ``jhgan/ko-sbert-sts`` in (the 101st model of F3)."""
    world = build()
    hf = served_by(world.hub_models, "hf-inference")
    assert hub_order(hf)[:2] == ["black-forest-labs/FLUX.1-dev", "google/embeddinggemma-300m"]
    before = hub_order(hf, "likes")
    assert before[:3] == [
        "google/embeddinggemma-300m",
        "sentence-transformers/all-MiniLM-L6-v2",
        "katanemo/Arch-Router-1.5B",
    ]
    after = hub_order(with_drift(hf, world.drift[1]), "likes")
    assert [model_id for model_id in after[:F3_BATCH] if model_id not in before[:F3_BATCH]] == ["jhgan/ko-sbert-sts"]
    hub = FakeHub.from_universe(world, with_drift=True)
    assert ids_of(buggy_run(hub, f3_stop_on_short_batch))[-1] == "jhgan/ko-sbert-sts"
