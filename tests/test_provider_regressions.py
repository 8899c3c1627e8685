"""Fetcher regressions F7, F9 and F10 (docs/contract.md §2), each as a small buggy fetcher and the reference.

The buggy fetchers are written the way real gateway code was: module-level ``httpx.get`` with a hand-made loop,
run under ``FakeInternet(...).install()`` so that they talk to the fakes without knowing it. Each test shows the
buggy figure (derived from the fake's catalog and the bug's own parameters) and that the reference code either
gets the whole catalog or says, with a typed error, that it could not.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence

import httpx
import pytest

from catalog_guard import paging, regressions, universe
from catalog_guard.errors import IncompleteCatalogError, PaginationLoopError, ServerError
from catalog_guard.fakes.providers import FakeProvider, PageTokenFake, ProviderFault, make_fake
from catalog_guard.fakes.transport import FakeInternet
from catalog_guard.providers import SPECS, ProviderResult, ProviderSpec, fetch_provider
from catalog_guard.retry import RetryPolicy
from catalog_guard.universe import Offer

TOKEN = "sk-regression-test"


def offers(prefix: str, count: int) -> list[Offer]:
    return [Offer(id=f"{prefix}/Model-{i}", name=f"Model {i}", context_length=8192) for i in range(count)]


def reference(internet: FakeInternet, spec: ProviderSpec, sleeps: list[float] | None = None) -> ProviderResult:
    async def go() -> ProviderResult:
        async with internet.async_client() as client:
            return await fetch_provider(client, spec, token=TOKEN, sleep=(sleeps if sleeps is not None else []).append)

    result: ProviderResult = asyncio.run(go())
    return result


# ---------------------------------------------------------------------------------------------------------- F9


buggy_offset_loop = regressions.f9_offset_loop


def check_f9(fake: FakeProvider, spec: ProviderSpec, max_requests: int) -> None:
    internet = FakeInternet({spec.host: fake})
    with internet.install():
        fetched = buggy_offset_loop(spec.url, max_requests=max_requests)
    catalog = fake.ids
    page_size = 200
    assert len(catalog) >= page_size, "the bug needs a catalog of at least one page to loop"
    # The upstream ignores limit/offset: every request returns the whole catalog, so the loop never sees a short
    # page and runs until its request cap.
    assert len(fake.requests) == max_requests
    assert len(fetched) == max_requests * len(catalog)
    assert len({row["id"] for row in fetched}) == len(catalog)

    # The reference, as specified (one request, no pagination): the catalog, once.
    single = reference(internet, spec)
    assert single.models() == catalog
    assert len(single.records()) == len(catalog)
    assert single.walk.requests == 1

    # The reference walk made to page by offset stops on the second, identical page instead of looping.
    offset = reference(internet, dataclasses.replace(spec, pagination=paging.OffsetLimit(limit=page_size)))
    assert isinstance(offset.error, PaginationLoopError)
    assert offset.walk.requests == 2
    assert len(offset.listed) == 2 * len(catalog)  # what was read is kept for the report ...
    with pytest.raises(IncompleteCatalogError) as raised:  # ... but never handed on as a catalog
        offset.models()
    assert raised.value.reason == "PaginationLoopError"


@pytest.mark.parametrize("gateway", ["featherless", "deepinfra"])
def test_f9_offset_loop_multiplies_the_catalog(gateway: str) -> None:
    """Featherless (and DeepInfra's OpenAI list) ignore limit/offset; gateway history saw this on both."""
    fake = make_fake(gateway, offers("Vendor", 450))
    # The history's loop ran 200 requests (6,452 x 200); 12 show the same multiplication at a fraction of the time
    # (each module-level httpx.get builds a client and its TLS context).
    check_f9(fake, SPECS[gateway], max_requests=12)


def test_f9_on_the_universes_featherless(world: universe.Universe) -> None:
    catalog = world.catalogs[universe.DAY_1]["featherless"]
    check_f9(make_fake("featherless", catalog), SPECS["featherless"], max_requests=12)


# --------------------------------------------------------------------------------------------------------- F10


buggy_google = regressions.f10_first_page_only


def check_f10(catalog: Sequence[Offer]) -> None:
    spec = SPECS["google"]
    fake = make_fake("google", catalog)
    internet = FakeInternet({spec.host: fake})
    with internet.install():
        first_page_only = buggy_google(spec.url, TOKEN)
    assert isinstance(fake, PageTokenFake)
    page_size = fake.default_page_size
    assert len(fake.ids) > page_size, "F10 needs more than one default page"
    assert first_page_only == fake.ids[:page_size]
    assert len(first_page_only) == min(page_size, len(fake.ids))

    result = reference(internet, spec)
    assert result.models() == fake.ids
    assert len(result.walk.pages) >= 2
    assert set(result.models()) - set(first_page_only) == set(fake.ids[page_size:])


def test_f10_google_next_page_token_ignored() -> None:
    check_f10([Offer(id=f"models/gemini-test-{i}", name=f"Gemini {i}") for i in range(71)])


def test_f10_on_the_universes_google(world: universe.Universe) -> None:
    catalog = world.catalogs[universe.DAY_1]["google"]
    check_f10(catalog)


# ---------------------------------------------------------------------------------------------------------- F7

FALLBACK = [f"fallback-model-{i}" for i in range(10)]  # the short hard-coded list a gateway fell back to


def buggy_groq(url: str, key: str, *, fallback: list[str]) -> list[str]:
    """F7: any upstream error becomes "no models" (or a short hard-coded list)."""
    try:
        response = httpx.get(url, headers={"authorization": f"Bearer {key}"}, timeout=30)
        response.raise_for_status()
        return [model["id"] for model in response.json()["data"]]
    except Exception:
        return list(fallback)


@pytest.mark.parametrize("fallback", [[], FALLBACK], ids=["empty", "fallback"])
def test_f7_503_becomes_a_short_list(fallback: list[str]) -> None:
    spec = SPECS["groq"]
    fake = make_fake("groq", offers("groq-vendor", 19), always=ProviderFault.server_error(503))
    internet = FakeInternet({spec.host: fake})
    with internet.install():
        silently = buggy_groq(spec.url, TOKEN, fallback=fallback)
    assert silently == fallback  # no exception, a list that looks like a catalog
    assert len(silently) < len(fake.ids)

    sleeps: list[float] = []
    result = reference(internet, spec, sleeps)
    policy = RetryPolicy()
    assert isinstance(result.error, ServerError)
    assert result.error.status == 503
    assert not result.complete
    assert result.walk.requests == policy.max_retries + 1
    assert sleeps == [policy.backoff(retry) for retry in range(1, policy.max_retries + 1)]
    with pytest.raises(IncompleteCatalogError) as raised:
        result.models()
    assert raised.value.reason == "ServerError"


def test_f7_a_transient_503_is_retried_not_replaced() -> None:
    """One 503, then the catalog: the buggy fetcher already gave up; the reference retries and gets it all."""
    spec = SPECS["groq"]
    buggy_fake = make_fake("groq", offers("groq-vendor", 19), faults={1: ProviderFault.server_error(503)})
    with FakeInternet({spec.host: buggy_fake}).install():
        silently = buggy_groq(spec.url, TOKEN, fallback=FALLBACK)
    assert silently == FALLBACK

    fake = make_fake("groq", offers("groq-vendor", 19), faults={1: ProviderFault.server_error(503)})
    result = reference(FakeInternet({spec.host: fake}), spec)
    assert result.models() == fake.ids
    assert result.walk.retries == 1
