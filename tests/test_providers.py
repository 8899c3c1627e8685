"""Every provider spec against its fake: envelope, pagination, auth style, normalisation, concurrency, failure.

The fakes (``catalog_guard.fakes.providers``) transcribe docs/upstreams.md independently of the specs, so a spec that
drifts from its provider (wrong path, header, envelope, id field, context field) fails here. Expected figures are
computed from the offers a test builds, from the fake (``fake.ids``, ``stated(...)``, page sizes) or from the
universe, never typed in.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import pytest

from catalog_guard import gateways, paging, universe
from catalog_guard.errors import (
    ClientError,
    HtmlErrorPageError,
    IncompleteCatalogError,
    MalformedResponseError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from catalog_guard.fakes.providers import (
    PROFILES,
    DelayedTransport,
    FakeProvider,
    PageNumberFake,
    PageTokenFake,
    ProviderFault,
    TickClock,
    View,
    fake_providers,
    make_fake,
    stated,
)
from catalog_guard.fakes.transport import FakeInternet
from catalog_guard.providers import (
    GATEWAY_SPECS,
    SPECS,
    ProviderResult,
    ProviderSpec,
    fetch_all,
    fetch_provider,
)
from catalog_guard.retry import RetryPolicy
from catalog_guard.universe import Offer

T = TypeVar("T")
ALL = sorted(SPECS)
REQUIRED = sorted(name for name in SPECS if PROFILES[name].auth_required)
OPTIONAL = sorted(name for name in SPECS if not PROFILES[name].auth_required)
CONTEXTS = (None, 8192, 131072, 1_048_576)
# Id conventions of docs/upstreams.md §P0 (so that e.g. Google's ``models/`` prefix and Fireworks' paths are exercised).
ID_SHAPES = {
    "openrouter": "vendor-{i}/model-{i}:free",
    "novita": "vendor-{i}/model-{i}",
    "google": "models/gemini-test-{i}",
    "fireworks": "accounts/fireworks/models/model-v{i}p1",
    "groq": "model-{i}-versatile",
    "cerebras": "model{i}.1-8b",
    "xai": "grok-{i}-0709",
    "portkey": "@provider-{i}/model-{i}",
}


def offers_for(gateway: str, count: int) -> list[Offer]:
    """``count`` offers in the gateway's id convention; some lack a context length, some a Hugging Face id."""
    shape = ID_SHAPES.get(gateway, "Org-{i}/Model-{i}-Instruct")
    return [
        Offer(
            id=shape.format(i=i),
            name=f"Model {i}",
            context_length=CONTEXTS[i % len(CONTEXTS)],
            hugging_face_id=f"Org-{i}/Model-{i}" if i % 3 else None,
            created=1_700_000_000 + i * 86_400,
        )
        for i in range(count)
    ]


def no_sleep(seconds: float) -> None:
    """Walks never sleep for real in tests."""


def token_for(gateway: str) -> str:
    return f"sk-test-{gateway}-0123456789"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def fetch_one(
    fake: FakeProvider, spec: ProviderSpec, *, token: str | None = None, sleeps: list[float] | None = None, **kw: Any
) -> ProviderResult:
    """Fetch ``spec`` from ``fake`` (served at the spec's host); sleeps are recorded, never slept."""
    internet = FakeInternet({spec.host: fake})
    recorder = sleeps if sleeps is not None else []

    async def go() -> ProviderResult:
        async with internet.async_client() as client:
            return await fetch_provider(
                client, spec, token=token_for(spec.name) if token is None else token, sleep=recorder.append, **kw
            )

    result: ProviderResult = run(go())
    return result


# --------------------------------------------------------------------------------------------- registry and specs


def test_a_spec_and_a_fake_for_every_gateway() -> None:
    assert set(GATEWAY_SPECS) == set(gateways.PROVIDERS)
    assert set(SPECS) == set(gateways.PROVIDERS) | {"portkey"}
    assert set(PROFILES) == set(SPECS)
    for name, spec in SPECS.items():
        assert spec.name == name
        assert spec.token_env is not None, name
        assert spec.token_env.endswith("_API_KEY"), name
        assert spec.url.startswith("https://"), name


@pytest.mark.parametrize("gateway", ALL)
def test_spec_agrees_with_providers_md(gateway: str) -> None:
    """The spec's path and auth facts equal the fake's transcription of docs/upstreams.md."""
    spec, profile = SPECS[gateway], PROFILES[gateway]
    assert spec.path == profile.path
    assert spec.auth == profile.auth
    assert spec.auth_required == profile.auth_required
    assert spec.id_field == profile.id_field


def test_with_base_url_moves_every_request() -> None:
    offers = offers_for("groq", 3)
    moved = SPECS["groq"].with_base_url("http://127.0.0.1:8765")
    assert (moved.host, moved.url) == ("127.0.0.1", "http://127.0.0.1:8765/openai/v1/models")
    assert SPECS["groq"].host == "api.groq.com"  # the original is untouched (frozen)
    fake = make_fake("groq", offers)
    result = fetch_one(fake, moved)
    assert result.models() == fake.ids
    assert {str(r.url.host) for r in fake.requests} == {"127.0.0.1"}


# ------------------------------------------------------------------------------------------ round trip per spec


@pytest.mark.parametrize("gateway", ALL)
def test_spec_round_trips_its_fake(gateway: str) -> None:
    """Ids as listed, in order; name, context length and Hugging Face id as the row states them; raw kept."""
    offers = offers_for(gateway, 9)
    fake = make_fake(gateway, offers)
    result = fetch_one(fake, SPECS[gateway])
    assert result.complete, result.error
    assert result.stop_reason == "end"
    records = result.records()
    assert [r.id for r in records] == fake.ids
    view = View(authenticated=True, verbose=True)
    for record, offer, row in zip(records, offers, fake.rows(view), strict=True):
        facts = stated(gateway, offer, view)
        assert record.gateway == gateway
        assert (record.id, record.name, record.context_length, record.hugging_face_id) == (
            facts.id,
            facts.name,
            facts.context_length,
            facts.hugging_face_id,
        ), offer
        assert record.raw == row


@pytest.mark.parametrize("gateway", ALL)
def test_fake_serves_the_providers_envelope(gateway: str) -> None:
    """One raw response per fake, read as docs/upstreams.md §P1 describes its family."""
    fake = make_fake(gateway, offers_for(gateway, 4))
    spec = SPECS[gateway]
    with FakeInternet({spec.host: fake}).client() as client:
        response = client.get(spec.url, headers=spec.headers(token_for(gateway)), params=dict(spec.params))
    body = response.json()
    assert response.status_code == 200
    if gateway == "together":
        assert isinstance(body, list)
    elif gateway == "google":
        assert set(body) == {"models"}  # 4 < one page: no nextPageToken
    elif gateway in ("openrouter", "novita", "featherless"):
        assert set(body) == {"data"}  # no "object"
    elif gateway == "portkey":
        assert body["object"] == "list"
        assert body["total"] == len(fake.ids)
    else:
        assert body["object"] == "list"
        assert set(body) == {"object", "data"}
    assert spec.extract(body) == fake.rows(View(authenticated=True))


# Keys docs/upstreams.md lists for each row (required ones where the source has a schema, else the documented ones).
ROW_KEYS = {
    "openrouter": {"id", "canonical_slug", "hugging_face_id", "name", "created", "context_length", "architecture",
                   "pricing", "top_provider", "per_request_limits", "supported_parameters", "default_parameters"},
    "featherless": {"id", "name", "model_class", "max_completion_tokens", "is_gated"},
    "deepinfra": {"id", "object", "created", "owned_by", "root", "parent", "metadata"},
    "together": {"id", "object", "created", "type", "display_name", "organization", "pricing"},
    "chutes": {"id", "object", "created", "owned_by", "root", "parent", "pricing", "quantization"},
    "groq": {"id", "object", "created", "owned_by", "active", "context_window", "public_apps"},
    "fireworks": {"id", "object", "owned_by", "created", "kind", "supports_chat", "supports_tools"},
    "cerebras": {"id", "object", "created", "owned_by"},
    "xai": {"id", "object", "created", "owned_by"},
    "nebius": {"id", "object", "name", "architecture", "pricing"},
    "novita": {"id", "object", "created", "input_token_price_per_m", "output_token_price_per_m", "title"},
    "google": {"name", "displayName", "outputTokenLimit", "supportedGenerationMethods"},
    "portkey": {"id", "slug", "canonical_slug", "object"},
}  # fmt: skip


@pytest.mark.parametrize("gateway", ALL)
def test_rows_have_the_providers_shape_and_render_deterministically(gateway: str) -> None:
    offers = offers_for(gateway, 12)
    first, second = make_fake(gateway, offers), make_fake(gateway, offers)
    rows = first.rows()
    for row in rows:
        assert ROW_KEYS[gateway] <= set(row), sorted(ROW_KEYS[gateway] - set(row))
    assert json.dumps(rows) == json.dumps(second.rows())  # same offers, same bytes


def test_provider_specific_field_forms() -> None:
    """The unit and naming quirks of docs/upstreams.md §P1.4 and §P2, checked on rendered rows."""
    offer = Offer(id="meta-llama/Llama-3.3-70B-Instruct", name="Llama 3.3 70B", context_length=131072)
    openrouter = make_fake("openrouter", [offer]).rows()[0]
    assert isinstance(openrouter["pricing"]["prompt"], str)
    assert Decimal(openrouter["pricing"]["prompt"]) > 0
    assert "e" not in openrouter["pricing"]["prompt"].lower()  # a plain decimal string, as OpenRouter sends
    assert openrouter["canonical_slug"] == offer.id
    assert (
        make_fake("openrouter", [dataclasses.replace(offer, id=offer.id + ":free")]).rows()[0]["canonical_slug"]
        == offer.id
    )
    novita = make_fake("novita", [offer]).rows()[0]
    assert isinstance(novita["input_token_price_per_m"], int)
    assert novita["context_size"] == offer.context_length
    groq = make_fake("groq", [offer]).rows()[0]
    assert groq["context_window"] == offer.context_length
    assert "context_length" not in groq
    deepinfra = make_fake("deepinfra", [offer]).rows()[0]
    assert deepinfra["root"] == offer.id
    assert deepinfra["metadata"]["context_length"] == offer.context_length
    google = make_fake("google", [dataclasses.replace(offer, id="gemini-2.5-flash")]).rows()[0]
    assert google["name"] == "models/gemini-2.5-flash"
    assert google["inputTokenLimit"] == offer.context_length
    assert "generateContent" in google["supportedGenerationMethods"]
    featherless = make_fake("featherless", [offer]).rows()[0]
    assert featherless["name"] == offer.id
    assert featherless["model_class"].endswith(f"-{131072 // 1024}k")
    assert make_fake("together", [offer]).rows()[0]["display_name"] == offer.name


def test_nebius_needs_verbose_for_names_and_context() -> None:
    """Without ``verbose=true`` Nebius is OpenAI-minimal: the spec's parameter is what makes the fields appear."""
    offers = offers_for("nebius", 4)
    spec = SPECS["nebius"]
    assert ("verbose", "true") in spec.params
    verbose = fetch_one(make_fake("nebius", offers), spec).records()
    plain = fetch_one(make_fake("nebius", offers), dataclasses.replace(spec, params=())).records()
    assert [r.name for r in verbose] == [o.name for o in offers]
    assert [r.name for r in plain] == [None] * len(offers)
    assert [r.context_length for r in plain] == [None] * len(offers)


def test_featherless_plan_flag_only_when_authenticated() -> None:
    offers = offers_for("featherless", 5)
    with_token = fetch_one(make_fake("featherless", offers), SPECS["featherless"]).records()
    without = fetch_one(make_fake("featherless", offers), SPECS["featherless"], token="").records()
    assert all("available_on_current_plan" in r.raw for r in with_token)
    assert not any("available_on_current_plan" in r.raw for r in without)
    assert [r.id for r in with_token] == [r.id for r in without]


def test_a_row_without_its_id_makes_the_catalog_incomplete() -> None:
    spec = SPECS["groq"]
    rows = [{"id": "ok-model", "object": "model"}, {"object": "model", "context_window": 8192}]
    internet = FakeInternet({spec.host: lambda request: httpx.Response(200, json={"object": "list", "data": rows})})

    async def go() -> ProviderResult:
        async with internet.async_client() as client:
            return await fetch_provider(client, spec, token="t")

    result: ProviderResult = run(go())
    assert not result.complete
    assert isinstance(result.error, MalformedResponseError)
    assert "'id'" in str(result.error)
    with pytest.raises(IncompleteCatalogError):
        result.records()


def test_duplicates_within_a_gateway_are_reported_not_hidden() -> None:
    offers = offers_for("deepinfra", 6)
    listed = [*offers, offers[1], offers[4], offers[1]]
    result = fetch_one(make_fake("deepinfra", listed), SPECS["deepinfra"])
    counts = Counter(o.id for o in listed)
    assert result.duplicates == {model_id: n for model_id, n in counts.items() if n > 1}
    assert len(result.records()) == len(listed)
    assert result.models() == list(dict.fromkeys(o.id for o in listed))
    assert result.summary()["duplicated_ids"] == len(result.duplicates)


# ------------------------------------------------------------------------------------------------------ pagination


def test_google_walks_every_page_by_next_page_token() -> None:
    spec = SPECS["google"]
    fake = make_fake("google", offers_for("google", 71))
    assert isinstance(spec.pagination, paging.PageToken)
    assert isinstance(fake, PageTokenFake)
    page_size = spec.pagination.page_size or fake.default_page_size
    result = fetch_one(fake, spec)
    pages = result.walk.pages
    assert len(pages) == math.ceil(len(fake.ids) / page_size) >= 2
    assert result.models() == fake.ids
    for before, after in itertools.pairwise(pages):
        assert httpx.URL(after.url).params["pageToken"] == before.body["nextPageToken"]
    assert "nextPageToken" not in pages[-1].body
    assert [len(p.items) for p in pages[:-1]] == [page_size] * (len(pages) - 1)


def test_google_fake_page_size_default_and_cap() -> None:
    offers = offers_for("google", 40)
    fake = make_fake("google", offers, default_page_size=15, max_page_size=25)
    assert isinstance(fake, PageTokenFake)
    spec = SPECS["google"]
    with FakeInternet({spec.host: fake}).client(headers=spec.headers("k")) as client:
        default = client.get(spec.url).json()
        capped = client.get(spec.url, params={"pageSize": 1000}).json()
        bad = client.get(spec.url, params={"pageToken": "not-a-token"})
    assert len(default["models"]) == fake.default_page_size
    assert len(capped["models"]) == fake.max_page_size
    assert bad.status_code == 400


def test_portkey_offset_walk_stops_at_total() -> None:
    spec = SPECS["portkey"]
    assert isinstance(spec.pagination, paging.OffsetLimit)
    limit = spec.pagination.limit
    fake = make_fake("portkey", offers_for("portkey", 2 * limit + limit // 2))
    result = fetch_one(fake, spec)
    assert result.models() == fake.ids
    expected_requests = math.ceil(len(fake.ids) / limit)
    assert result.walk.requests == expected_requests
    assert [int(r.url.params["offset"]) for r in fake.requests] == [limit * k for k in range(expected_requests)]
    assert {r.url.params["limit"] for r in fake.requests} == {str(limit)}


def test_featherless_pages_with_per_page_and_floors_it() -> None:
    fake = make_fake("featherless", offers_for("featherless", 230))
    assert isinstance(fake, PageNumberFake)
    spec = SPECS["featherless"]
    with FakeInternet({spec.host: fake}).client() as client:
        floored = client.get(spec.url, params={"per_page": 10, "page": 1}).json()
        whole = client.get(spec.url, params={"limit": 10, "offset": 100}).json()  # ignored, as F9 learnt
    assert len(floored["data"]) == fake.min_per_page
    assert floored["pagination"] == {
        "current_page": 1,
        "total_pages": math.ceil(len(fake.ids) / fake.min_per_page),
        "total_items": len(fake.ids),
    }
    assert floored["total"] == len(fake.ids)
    assert [row["id"] for row in whole["data"]] == fake.ids
    per_page = fake.min_per_page
    walked = fetch_one(fake, dataclasses.replace(spec, pagination=paging.PageNumber(per_page=per_page)))
    assert walked.models() == fake.ids
    assert walked.walk.requests == math.ceil(len(fake.ids) / per_page)


# ---------------------------------------------------------------------------------------------------------- auth

EXPECTED_HEADER = {"google": "x-goog-api-key", "portkey": "x-portkey-api-key"}  # docs/upstreams.md §P0; else Bearer


@pytest.mark.parametrize("gateway", ALL)
def test_auth_header_style(gateway: str) -> None:
    fake = make_fake(gateway, offers_for(gateway, 3), valid_tokens=[token_for(gateway)])
    result = fetch_one(fake, SPECS[gateway])
    assert result.complete, result.error
    assert result.authenticated
    header = EXPECTED_HEADER.get(gateway, "authorization")
    value = token_for(gateway) if header != "authorization" else f"Bearer {token_for(gateway)}"
    assert fake.auth_headers == [{header: value}] * len(fake.requests)
    assert all(token_for(gateway) not in str(request.url) for request in fake.requests)  # never ?key=


@pytest.mark.parametrize("gateway", REQUIRED)
def test_missing_required_token_is_a_401_and_an_incomplete_catalog(gateway: str) -> None:
    fake = make_fake(gateway, offers_for(gateway, 3))
    result = fetch_one(fake, SPECS[gateway], token="")
    assert not result.authenticated
    assert fake.auth_headers == [{}]
    assert isinstance(result.error, ClientError)
    assert result.error.status == 401
    with pytest.raises(IncompleteCatalogError) as raised:
        result.models()
    assert raised.value.reason == "ClientError"


@pytest.mark.parametrize("gateway", OPTIONAL)
def test_optional_token_lists_without_credentials(gateway: str) -> None:
    fake = make_fake(gateway, offers_for(gateway, 3))
    result = fetch_one(fake, SPECS[gateway], token="")
    assert result.models() == fake.ids
    assert fake.auth_headers == [{}]


def test_an_invalid_key_is_refused_even_where_auth_is_optional() -> None:
    fake = make_fake("deepinfra", offers_for("deepinfra", 3), valid_tokens=["the-right-one"])
    result = fetch_one(fake, SPECS["deepinfra"], token="a-wrong-one")
    assert isinstance(result.error, ClientError)
    assert result.error.status == 401


def test_token_defaults_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = SPECS["google"]
    assert spec.token_env is not None
    monkeypatch.setenv(spec.token_env, "from-the-environment")
    fake = make_fake("google", offers_for("google", 2))
    internet = FakeInternet({spec.host: fake})

    async def go(token: str | None) -> ProviderResult:
        async with internet.async_client() as client:
            return await fetch_provider(client, spec, token=token)

    assert run(go(None)).complete
    monkeypatch.delenv(spec.token_env)
    assert not run(go(None)).complete
    assert fake.auth_headers == [{"x-goog-api-key": "from-the-environment"}, {}]


def test_tokens_stay_out_of_results_and_errors() -> None:
    secret = "sk-very-secret-value-42"
    spec = SPECS["groq"]
    good = fetch_one(make_fake("groq", offers_for("groq", 3)), spec, token=secret)
    refused = fetch_one(make_fake("groq", offers_for("groq", 3), valid_tokens=["other"]), spec, token=secret)
    for result in (good, refused):
        text = " ".join([repr(result), json.dumps(result.summary()), str(result.error)])
        text += " ".join(json.dumps(p.headers) + p.url for p in result.walk.pages)
        assert secret not in text
    assert good.complete
    assert not refused.complete


# --------------------------------------------------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (ProviderFault.server_error(503), ServerError),
        (ProviderFault.server_error(502), ServerError),
        (ProviderFault.rate_limited(retry_after=7), RateLimitedError),
        (ProviderFault.malformed(), MalformedResponseError),
        (ProviderFault.html(200), HtmlErrorPageError),
        (ProviderFault.html(502), ServerError),
    ],
)
def test_persistent_faults_make_the_gateway_incomplete(fault: ProviderFault, error: type[Exception]) -> None:
    fake = make_fake("chutes", offers_for("chutes", 5), always=fault)
    result = fetch_one(fake, SPECS["chutes"])
    assert isinstance(result.error, error)
    assert not result.complete
    assert result.listed == ()
    retries = RetryPolicy().max_retries if RetryPolicy().is_retryable(fault.status) else 0
    assert result.walk.requests == len(fake.requests) == retries + 1
    with pytest.raises(IncompleteCatalogError):
        result.records()


def test_a_429_with_retry_after_is_waited_out() -> None:
    fault = ProviderFault.rate_limited(retry_after=4)
    fake = make_fake("together", offers_for("together", 5), faults={1: fault})
    sleeps: list[float] = []
    result = fetch_one(fake, SPECS["together"], sleeps=sleeps)
    assert result.models() == fake.ids
    assert sleeps == [RetryPolicy().delay(fault.response(), 1)]
    assert sleeps[0] == (fault.retry_after or 0) + 1
    assert result.walk.retries == 1
    assert len(fake.requests) == 2


def test_a_fault_mid_walk_is_retried_on_the_page_it_hit() -> None:
    fake = make_fake("google", offers_for("google", 71), faults={2: ProviderFault.server_error(504)})
    result = fetch_one(fake, SPECS["google"])
    assert result.models() == fake.ids
    assert fake.requests[1].url == fake.requests[2].url  # the second page, asked again


# ----------------------------------------------------------------------------------------------------- fetch_all


def small_internet(specs: Mapping[str, ProviderSpec], **per_gateway: Any) -> tuple[FakeInternet, dict[str, Any]]:
    """One small fake per spec: 71 Google models (two pages), 150 Portkey ones (two pages), 7 elsewhere."""
    sizes = {"google": 71, "portkey": 150}
    fakes = {name: make_fake(name, offers_for(name, sizes.get(name, 7)), **per_gateway.get(name, {})) for name in specs}
    return FakeInternet({specs[name].host: fake for name, fake in fakes.items()}), fakes


def tokens() -> dict[str, str | None]:
    return {name: token_for(name) for name in SPECS}


def test_fetch_all_overlaps_the_gateways() -> None:
    """With a per-host latency in virtual ticks, fetch_all takes the slowest gateway's time, not the sum; all
    gateways are in flight at once. A sequential loop, measured the same way, takes the sum (so the clock can
    tell the two apart)."""
    internet, _ = small_internet(SPECS)
    delays = {spec.host: 10 * (rank + 1) for rank, spec in enumerate(SPECS.values())}

    async def measure(go: Callable[[httpx.AsyncClient], Any]) -> tuple[int, DelayedTransport, Any]:
        clock = TickClock()
        transport = DelayedTransport(internet.handle, delays, sleep=clock.sleep, clock=clock)
        async with clock.running(), httpx.AsyncClient(transport=transport) as client:
            start = clock.now
            outcome = await go(client)
            return clock.now - start, transport, outcome

    async def alone(spec: ProviderSpec, client: httpx.AsyncClient) -> dict[str, ProviderResult]:
        return await fetch_all([spec], client=client, tokens=tokens())

    async def sequential(client: httpx.AsyncClient) -> list[ProviderResult]:
        return [await fetch_provider(client, spec, token=token_for(spec.name)) for spec in SPECS.values()]

    async def main() -> tuple[dict[str, int], tuple[int, DelayedTransport, Any], int]:
        singles: dict[str, int] = {}
        for spec in SPECS.values():
            singles[spec.name], _, _ = await measure(functools.partial(alone, spec))
        together = await measure(lambda c: fetch_all(SPECS, client=c, tokens=tokens()))
        in_turn, _, _ = await measure(sequential)
        return singles, together, in_turn

    singles, (elapsed, transport, results), in_turn = run(main())
    assert all(result.complete for result in results.values())
    # Each gateway's own latency: its per-request delay times the requests its walk needed (two for Google's and
    # Portkey's two pages), computed from the fakes' walks.
    latency = {name: delays[SPECS[name].host] * result.walk.requests for name, result in results.items()}
    slack = len(SPECS)  # a tick or so of event-loop bookkeeping per gateway
    for name, ticks in singles.items():
        assert latency[name] <= ticks <= latency[name] + slack, name
    assert transport.max_in_flight == len(SPECS)
    assert max(latency.values()) <= elapsed <= max(singles.values()) + slack
    assert in_turn >= sum(latency.values())
    assert sum(latency.values()) > 3 * elapsed


def test_one_failing_gateway_does_not_cost_the_others() -> None:
    internet, fakes = small_internet(GATEWAY_SPECS, groq={"always": ProviderFault.server_error(503)})
    sleeps: list[float] = []

    async def go() -> dict[str, ProviderResult]:
        async with internet.async_client() as client:
            return await fetch_all(GATEWAY_SPECS, client=client, tokens=tokens(), sleep=sleeps.append)

    results = run(go())
    assert set(results) == set(GATEWAY_SPECS)
    failed = results["groq"]
    assert isinstance(failed.error, ServerError)
    assert failed.error.status == 503
    policy = RetryPolicy()
    assert failed.walk.requests == policy.max_retries + 1
    assert sleeps == [policy.backoff(retry) for retry in range(1, policy.max_retries + 1)]
    with pytest.raises(IncompleteCatalogError):
        failed.models()
    for name, result in results.items():
        if name != "groq":
            assert result.models() == fakes[name].ids, name


def test_fetch_all_opens_its_own_client_under_installed_fakes() -> None:
    chosen = [SPECS["xai"], SPECS["cerebras"], SPECS["together"]]
    internet, fakes = small_internet({s.name: s for s in chosen})
    with internet.install():
        results = run(fetch_all(chosen, tokens=tokens()))
    assert {name: r.models() for name, r in results.items()} == {name: f.ids for name, f in fakes.items()}


def test_an_unserved_gateway_is_reported_not_empty() -> None:
    internet, _ = small_internet({"xai": SPECS["xai"]})

    async def go() -> dict[str, ProviderResult]:
        async with internet.async_client() as client:
            return await fetch_all([SPECS["xai"], SPECS["novita"]], client=client, tokens=tokens(), sleep=no_sleep)

    results = run(go())
    assert results["xai"].complete
    assert isinstance(results["novita"].error, TransportError)
    with pytest.raises(IncompleteCatalogError):
        results["novita"].records()


def test_fetch_all_refuses_two_specs_with_one_name() -> None:
    with pytest.raises(ValueError, match="groq"):
        run(fetch_all([SPECS["groq"], SPECS["groq"].with_base_url("http://127.0.0.1:1")]))


def test_fake_providers_refuses_two_gateways_on_one_host() -> None:
    world = universe.Universe(seed=0, hub_models=(), catalogs={"d": {"groq": (), "xai": ()}})
    local = {name: spec.with_base_url("http://127.0.0.1:9") for name, spec in SPECS.items()}
    with pytest.raises(ValueError, match=re.escape("127.0.0.1")):
        fake_providers(world, "d", specs=local)
    assert set(fake_providers(world, "d")) == {SPECS["groq"].host, SPECS["xai"].host}


# ------------------------------------------------------------------------------------------------ the universe


def fetch_day(world: universe.Universe, day: str, names: Iterable[str]) -> tuple[dict[str, ProviderResult], Any]:
    fakes = fake_providers(world, day)
    internet = FakeInternet(fakes)

    async def go() -> dict[str, ProviderResult]:
        async with internet.async_client() as client:
            return await fetch_all([SPECS[n] for n in names], client=client, tokens=tokens(), sleep=no_sleep)

    return run(go()), {fake.gateway: fake for fake in fakes.values()}


@pytest.mark.parametrize("day", universe.DAYS)
def test_every_gateway_of_a_day_round_trips(world: universe.Universe, day: str) -> None:
    catalogs = world.catalogs[day]
    results, fakes = fetch_day(world, day, catalogs)
    assert set(results) == set(catalogs)
    for name, offers in catalogs.items():
        result = results[name]
        assert [r.id for r in result.records()] == [stated(name, o).id for o in offers] == fakes[name].ids
        counts = Counter(r.id for r in result.records())
        assert result.duplicates == {i: n for i, n in counts.items() if n > 1}
    google = results["google"]
    pagination = SPECS["google"].pagination
    assert isinstance(pagination, paging.PageToken)
    assert pagination.page_size is not None
    page_size = pagination.page_size
    assert len(google.walk.pages) == math.ceil(len(catalogs["google"]) / page_size) >= 2
    total = sum(len(result.records()) for result in results.values())
    assert total == sum(len(offers) for offers in catalogs.values())


def test_a_gateway_absent_from_a_day_is_incomplete_that_day(world: universe.Universe) -> None:
    missing = sorted(set(gateways.PROVIDERS) - set(world.catalogs[universe.DAY_2]))
    assert missing, "the second seed day serves fewer gateways than the first"
    results, _ = fetch_day(world, universe.DAY_2, missing)
    for name in missing:
        assert isinstance(results[name].error, TransportError)
        assert not results[name].complete
