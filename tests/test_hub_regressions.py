"""The historical Hub fetcher bugs F1-F8 (gateway-contract.md §2), replayed against FakeHub.

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
import ssl
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from catalog_guard.errors import ClientError, IncompleteCatalogError, ServerError
from catalog_guard.fakes.hub import FakeHub, Fault, HubSettings
from catalog_guard.fakes.transport import FakeInternet
from catalog_guard.hub import PAGE_SIZE, HubResult, fetch_hub
from catalog_guard.paging import WalkSettings
from catalog_guard.retry import RetryPolicy, parse_ratelimit
from catalog_guard.universe import Universe, build
from hub_models import hub_order, served_by, synthetic_universe, with_drift

API = "https://huggingface.co/api/models"
TOKEN = "hf_regression_token"  # the gateway sent its HF_API_KEY (seed 000)
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
PROVIDER = {"inference_provider": "hf-inference"}

Model = dict[str, Any]


# -- the buggy fetchers, as the gateway wrote them -------------------------------------------------------------

F1_BATCH = 100
F1_MAX_TOTAL = 50_000


def f1_offset_paging_without_dedup() -> list[Model]:
    """Seed 000: ``offset``/``limit`` batches of 100 up to 50,000, no dedup. The Hub ignores ``offset``."""
    models: list[Model] = []
    offset = 0
    while len(models) < F1_MAX_TOTAL:
        params = {**PROVIDER, "limit": F1_BATCH, "offset": offset}
        response = httpx.get(API, params=params, headers=HEADERS, timeout=30.0)
        response.raise_for_status()
        batch = response.json()
        if not batch:
            break
        models.extend(batch)
        offset += F1_BATCH
    return models


F2_STOP_AFTER = 3


def f2_dedup_and_stop_after_duplicate_batches() -> list[Model]:
    """The "fix" of F1: dedup by id, and stop after 3 batches in a row that bring nothing new."""
    seen: set[str] = set()
    models: list[Model] = []
    offset = duplicate_batches = 0
    while len(models) < F1_MAX_TOTAL:
        params = {**PROVIDER, "limit": F1_BATCH, "offset": offset}
        batch = httpx.get(API, params=params, headers=HEADERS, timeout=30.0).json()
        if not batch:
            break
        new = [model for model in batch if model["id"] not in seen]
        duplicate_batches = 0 if new else duplicate_batches + 1
        if duplicate_batches >= F2_STOP_AFTER:
            break
        seen.update(model["id"] for model in new)
        models.extend(new)
        offset += F1_BATCH
    return models


F3_BATCH = 100


def f3_stop_on_short_batch() -> list[Model]:
    """Seed 001: dedup, ``sort=likes``, and stop as soon as a batch brings fewer than ``limit`` new models."""
    seen: set[str] = set()
    models: list[Model] = []
    offset = 0
    while True:
        params = {**PROVIDER, "sort": "likes", "limit": F3_BATCH, "offset": offset}
        batch = httpx.get(API, params=params, headers=HEADERS, timeout=30.0).json()
        new = [model for model in batch if model["id"] not in seen]
        seen.update(model["id"] for model in new)
        models.extend(new)
        if len(new) < F3_BATCH:
            return models
        offset += F3_BATCH


F4_LIMIT = 1000


def f4_one_request() -> list[Model]:
    """Seed 002: one request, ``limit=1000&full=true``; the ``Link`` to the rest is never read."""
    params = {**PROVIDER, "limit": F4_LIMIT, "full": "true"}
    response = httpx.get(API, params=params, headers=HEADERS, timeout=30.0)
    response.raise_for_status()
    models: list[Model] = response.json()
    return models


F5_SORTS = ("likes", "downloads")


def f5_sort_union() -> list[Model]:
    """Seed 004, verbatim in substance: the first page of two sorts, merged by id."""
    models: list[Model] = []
    seen_model_ids: set[str] = set()
    for sort_method in F5_SORTS:
        params = {**PROVIDER, "limit": F4_LIMIT, "full": "true", "sort": sort_method}
        batch_models = httpx.get(API, params=params, headers=HEADERS, timeout=30.0).json()
        for model in batch_models:
            if model["id"] not in seen_model_ids:
                seen_model_ids.add(model["id"])
                models.append(model)
    return models


def f6_invalid_sort_swallowed() -> list[Model]:
    """``sort=trending`` (valid is ``trendingScore``) answered 400, and the error became "no models"."""
    try:
        params = {**PROVIDER, "limit": F4_LIMIT, "full": "true", "sort": "trending"}
        response = httpx.get(API, params=params, headers=HEADERS, timeout=30.0)
        response.raise_for_status()
        models: list[Model] = response.json()
        return models
    except Exception:  # the gateway logged a warning and carried on
        return []


F7_FALLBACK = (
    "meta-llama/Llama-3.3-70B-Instruct", "mistralai/Mistral-7B-Instruct-v0.3", "Qwen/Qwen2.5-7B-Instruct",
    "google/gemma-2-9b-it", "microsoft/Phi-3-mini-4k-instruct", "HuggingFaceH4/zephyr-7b-beta",
    "tiiuae/falcon-7b-instruct", "bigscience/bloom", "openai/whisper-large-v3",
    "sentence-transformers/all-MiniLM-L6-v2",
)  # fmt: skip


def f7_error_becomes_empty() -> list[Model]:
    """Any upstream error turned into an empty catalog."""
    try:
        response = httpx.get(API, params={**PROVIDER, "limit": F4_LIMIT}, headers=HEADERS, timeout=30.0)
        response.raise_for_status()
        models: list[Model] = response.json()
        return models
    except httpx.HTTPError:
        return []


def f7_error_becomes_fallback() -> list[Model]:
    """Any upstream error turned into a short hard-coded list that looks like a catalog."""
    try:
        response = httpx.get(API, params={**PROVIDER, "limit": F4_LIMIT}, headers=HEADERS, timeout=30.0)
        response.raise_for_status()
        models: list[Model] = response.json()
        return models
    except httpx.HTTPError:
        return [{"id": model_id} for model_id in F7_FALLBACK]


F8_ATTEMPTS = 3


def f8_follows_link_but_retries_only_429(sleep: Callable[[float], object]) -> list[Model]:
    """Follows ``rel="next"`` and waits out a 429 properly, but any other status ends the walk, keeping what it
    has: one transient 503 loses every later page."""
    models: list[Model] = []
    url: str | None = API
    params: dict[str, Any] | None = {**PROVIDER, "limit": PAGE_SIZE}
    while url:
        for _ in range(F8_ATTEMPTS):
            response = httpx.get(url, params=params, headers=HEADERS, timeout=30.0)
            if response.status_code != 429:
                break
            _, reset = parse_ratelimit(response.headers.get("ratelimit"))
            sleep((reset or 1) + 1)
        if response.status_code != 200:
            break  # "partial results are better than none"
        models.extend(response.json())
        url, params = response.links.get("next", {}).get("url"), None
    return models


def f8_ignores_the_reset(sleep: Callable[[float], object]) -> list[Model]:
    """Same walk, but a 429 is retried after a fixed second, whatever ``RateLimit t=`` says."""
    models: list[Model] = []
    url: str | None = API
    params: dict[str, Any] | None = {**PROVIDER, "limit": PAGE_SIZE}
    while url:
        for _ in range(F8_ATTEMPTS):
            response = httpx.get(url, params=params, headers=HEADERS, timeout=30.0)
            if response.status_code != 429:
                break
            sleep(1)
        if response.status_code != 200:
            break
        models.extend(response.json())
        url, params = response.links.get("next", {}).get("url"), None
    return models


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


_create_default_context = ssl.create_default_context


@functools.cache
def _shared_context(purpose: ssl.Purpose, cafile: str | None, capath: str | None, cadata: Any) -> ssl.SSLContext:
    return _create_default_context(purpose, cafile=cafile, capath=capath, cadata=cadata)


def _reused_default_context(
    purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH,
    *,
    cafile: str | None = None,
    capath: str | None = None,
    cadata: Any = None,
) -> ssl.SSLContext:
    return _shared_context(purpose, cafile, capath, cadata)


def buggy_run(hub: FakeHub, fetcher: Callable[[], list[Model]]) -> list[Model]:
    """Run ``fetcher`` with every httpx request answered by ``hub``.

    Each module-level ``httpx.get`` builds a client, and each client loads the CA bundle into a new SSL context
    (~65 ms): 500 of them made F1 take half a minute. The context is never used (no socket is opened), so while a
    buggy fetcher runs, contexts are shared; the calls themselves stay exactly as the gateway wrote them.
    """
    with pytest.MonkeyPatch.context() as patch, FakeInternet({"huggingface.co": hub}).install():
        patch.setattr(ssl, "create_default_context", _reused_default_context)
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
    hub = FakeHub.from_universe(world).inject(Fault.server_error(503))
    assert ids_of(buggy_run(hub, fetcher)) == expected
    assert hub.request_count == 1
    policy = RetryPolicy()
    result, slept = reference_run(FakeHub.from_universe(world).inject(Fault.server_error(503)))
    assert isinstance(result.error, ServerError)
    assert not result.complete
    assert result.requests == policy.max_retries + 1
    assert slept == [policy.backoff(n) for n in range(1, policy.max_retries + 1)]
    with pytest.raises(IncompleteCatalogError) as raised:
        result.models()
    assert raised.value.reason == "ServerError"


def test_f8_a_transient_503_on_page_two_loses_the_rest(world: Universe, reference: HubResult) -> None:
    def hub() -> FakeHub:
        return FakeHub.from_universe(world).inject(Fault.server_error(503), match="cursor=", times=1)

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
