"""The fetcher regressions F1-F10 of docs/contract.md §2, as the code real gateways shipped.

These are deliberately *wrong*. Each is written the way the gateway wrote it (module-level ``httpx.get``, a
hand-made loop) so that it can run unchanged under :meth:`FakeInternet.install`. They serve three purposes:
the tests show what each returns next to the reference fetcher's answer, the fake gateway's gallery modes
serve what a gateway built on each would have listed, and teams can see their own code in them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from catalog_guard.retry import parse_ratelimit

Model = dict[str, Any]
HUB_API = "https://huggingface.co/api/models"
HF_INFERENCE: dict[str, Any] = {"inference_provider": "hf-inference"}
TIMEOUT = 30.0

F1_BATCH = 100
F1_MAX_TOTAL = 50_000
F2_STOP_AFTER = 3
F3_BATCH = 100
F4_LIMIT = 1000
F5_SORTS = ("likes", "downloads")
F6_SORT = "trending"  # the valid value is trendingScore
F7_FALLBACK = (
    "meta-llama/Llama-3.3-70B-Instruct", "mistralai/Mistral-7B-Instruct-v0.3", "Qwen/Qwen2.5-7B-Instruct",
    "google/gemma-2-9b-it", "microsoft/Phi-3-mini-4k-instruct", "HuggingFaceH4/zephyr-7b-beta",
    "tiiuae/falcon-7b-instruct", "bigscience/bloom", "openai/whisper-large-v3",
    "sentence-transformers/all-MiniLM-L6-v2",
)  # fmt: skip
F8_ATTEMPTS = 3
F9_PAGE = 200


def f1_offset_paging_without_dedup(api: str = HUB_API, headers: dict[str, str] | None = None) -> list[Model]:
    """Seed 000: ``offset``/``limit`` batches of 100 up to 50,000, no dedup. The Hub ignores ``offset``."""
    models: list[Model] = []
    offset = 0
    while len(models) < F1_MAX_TOTAL:
        params = {**HF_INFERENCE, "limit": F1_BATCH, "offset": offset}
        response = httpx.get(api, params=params, headers=headers, timeout=TIMEOUT)
        response.raise_for_status()
        batch = response.json()
        if not batch:
            break
        models.extend(batch)
        offset += F1_BATCH
    return models


def f2_dedup_and_stop_after_duplicate_batches(api: str = HUB_API, headers: dict[str, str] | None = None) -> list[Model]:
    """The "fix" of F1: dedup by id, and stop after 3 batches in a row that bring nothing new."""
    seen: set[str] = set()
    models: list[Model] = []
    offset = duplicate_batches = 0
    while len(models) < F1_MAX_TOTAL:
        params = {**HF_INFERENCE, "limit": F1_BATCH, "offset": offset}
        batch = httpx.get(api, params=params, headers=headers, timeout=TIMEOUT).json()
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


def f3_stop_on_short_batch(api: str = HUB_API, headers: dict[str, str] | None = None) -> list[Model]:
    """Seed 001: dedup, ``sort=likes``, and stop as soon as a batch brings fewer than ``limit`` new models."""
    seen: set[str] = set()
    models: list[Model] = []
    offset = 0
    while True:
        params = {**HF_INFERENCE, "sort": "likes", "limit": F3_BATCH, "offset": offset}
        batch = httpx.get(api, params=params, headers=headers, timeout=TIMEOUT).json()
        new = [model for model in batch if model["id"] not in seen]
        seen.update(model["id"] for model in new)
        models.extend(new)
        if len(new) < F3_BATCH:
            return models
        offset += F3_BATCH


def f4_one_request(api: str = HUB_API, headers: dict[str, str] | None = None) -> list[Model]:
    """Seed 002: one request, ``limit=1000&full=true``; the ``Link`` to the rest is never read."""
    params = {**HF_INFERENCE, "limit": F4_LIMIT, "full": "true"}
    response = httpx.get(api, params=params, headers=headers, timeout=TIMEOUT)
    response.raise_for_status()
    models: list[Model] = response.json()
    return models


def f5_sort_union(api: str = HUB_API, headers: dict[str, str] | None = None) -> list[Model]:
    """Seed 004, in substance verbatim: the first page of two sorts, merged by id."""
    models: list[Model] = []
    seen_model_ids: set[str] = set()
    for sort_method in F5_SORTS:
        params = {**HF_INFERENCE, "limit": F4_LIMIT, "full": "true", "sort": sort_method}
        batch_models = httpx.get(api, params=params, headers=headers, timeout=TIMEOUT).json()
        for model in batch_models:
            if model["id"] not in seen_model_ids:
                seen_model_ids.add(model["id"])
                models.append(model)
    return models


def f6_invalid_sort_swallowed(api: str = HUB_API, headers: dict[str, str] | None = None) -> list[Model]:
    """``sort=trending`` answered 400, and the error became "no models"."""
    try:
        params = {**HF_INFERENCE, "limit": F4_LIMIT, "full": "true", "sort": F6_SORT}
        response = httpx.get(api, params=params, headers=headers, timeout=TIMEOUT)
        response.raise_for_status()
        models: list[Model] = response.json()
        return models
    except Exception:  # the gateway logged a warning and carried on
        return []


def _f7_fetch(fallback: list[Model], api: str, headers: dict[str, str] | None) -> list[Model]:
    """F7's fetch: one page, and any upstream error turned into ``fallback`` as if it were the catalog."""
    try:
        response = httpx.get(api, params={**HF_INFERENCE, "limit": F4_LIMIT}, headers=headers, timeout=TIMEOUT)
        response.raise_for_status()
        models: list[Model] = response.json()
        return models
    except httpx.HTTPError:
        return fallback


def f7_error_becomes_empty(api: str = HUB_API, headers: dict[str, str] | None = None) -> list[Model]:
    """Any upstream error turned into an empty catalog."""
    return _f7_fetch([], api, headers)


def f7_error_becomes_fallback(api: str = HUB_API, headers: dict[str, str] | None = None) -> list[Model]:
    """Any upstream error turned into a short hard-coded list that looks like a catalog."""
    return _f7_fetch([{"id": model_id} for model_id in F7_FALLBACK], api, headers)


def _f8_walk(
    wait: Callable[[httpx.Response], float], sleep: Callable[[float], object], api: str, headers: dict[str, str] | None
) -> list[Model]:
    """F8's walk: follows ``rel="next"``, retries a 429 after ``wait(response)`` seconds, and ends at any other
    non-200, keeping what it has ("partial results are better than none")."""
    models: list[Model] = []
    url: str | None = api
    params: dict[str, Any] | None = {**HF_INFERENCE, "limit": F4_LIMIT}
    while url:
        for _ in range(F8_ATTEMPTS):
            response = httpx.get(url, params=params, headers=headers, timeout=TIMEOUT)
            if response.status_code != 429:
                break
            sleep(wait(response))
        if response.status_code != 200:
            break
        models.extend(response.json())
        url, params = response.links.get("next", {}).get("url"), None
    return models


def f8_follows_link_but_retries_only_429(
    sleep: Callable[[float], object], api: str = HUB_API, headers: dict[str, str] | None = None
) -> list[Model]:
    """Waits out a 429 properly (``RateLimit t=`` + 1), but one transient 503 loses every later page."""

    def until_reset(response: httpx.Response) -> float:
        _, reset = parse_ratelimit(response.headers.get("ratelimit"))
        return (reset or 1) + 1

    return _f8_walk(until_reset, sleep, api, headers)


def f8_ignores_the_reset(
    sleep: Callable[[float], object], api: str = HUB_API, headers: dict[str, str] | None = None
) -> list[Model]:
    """Same walk, but a 429 is retried after a fixed second, whatever ``RateLimit t=`` says."""
    return _f8_walk(lambda _response: 1.0, sleep, api, headers)


def f9_offset_loop(url: str, *, page_size: int = F9_PAGE, max_requests: int = 200) -> list[Model]:
    """F9 (Featherless, Portkey, DeepInfra): page with limit/offset, stop on a short page or after
    ``max_requests``. An upstream that ignores both returns its whole catalog every time."""
    models: list[Model] = []
    offset = 0
    for _ in range(max_requests):
        response = httpx.get(url, params={"limit": page_size, "offset": offset}, timeout=TIMEOUT)
        response.raise_for_status()
        batch = response.json()["data"]
        models.extend(batch)
        if len(batch) < page_size:
            break
        offset += page_size
    return models


def f10_first_page_only(url: str, key: str) -> list[str]:
    """F10: Google's list in one request, ``nextPageToken`` ignored: at most one default page (50)."""
    response = httpx.get(url, headers={"x-goog-api-key": key}, timeout=TIMEOUT)
    response.raise_for_status()
    return [model["name"] for model in response.json()["models"]]
