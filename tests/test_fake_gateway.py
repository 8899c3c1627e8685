"""FakeGateway keeps the ``/v1/models`` contract, and each regression mode G1..G13 shows the failure it names.

Every expected figure is computed here from the universe (the day's provider catalogs and the Hub's order), never
read back from the fake: a test that asked the fake for its own numbers could not fail.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest

from catalog_guard import gateway_client as gc
from catalog_guard import paging
from catalog_guard import universe as u
from catalog_guard.errors import ClientError, PaginationLoopError, ServerError
from catalog_guard.fakes.clock import SimulatedClock
from catalog_guard.fakes.gateway import (
    G7_LEFT_OUT,
    GATEWAY_ORDER,
    FakeGateway,
    GatewayState,
    Regression,
    asgi_app,
    fake_gateway,
)
from catalog_guard.fakes.transport import FakeInternet
from catalog_guard.gateways import GATEWAY_HOST, GATEWAY_URL, PROVIDERS
from catalog_guard.retry import NO_RETRY
from catalog_guard.serve import serving

UNIVERSE = u.build()
HUB = u.hub_order(UNIVERSE.hub_models)
HF = "huggingface"
ORDER = (*PROVIDERS, HF)
EXPECTED: dict[str, list[str]] = {g: [offer.id for offer in UNIVERSE.catalogs[u.DAY_1][g]] for g in PROVIDERS}
EXPECTED[HF] = [model["id"] for model in HUB]
ALL_IDS = [model_id for gateway in ORDER for model_id in EXPECTED[gateway]]
SETTINGS = paging.WalkSettings(budget=200, retry=NO_RETRY)
MODEL_KEYS = {"id", "source_gateway", "name", "provider_slug", "context_length", "pricing", "description"}


def no_sleep(seconds: float) -> None:
    raise AssertionError(f"the walk tried to sleep {seconds}s")


@pytest.fixture(scope="module")
def correct() -> FakeGateway:
    return fake_gateway()


def serve(gateway: FakeGateway) -> httpx.Client:
    return FakeInternet({GATEWAY_HOST: gateway}).client()


def walk(gateway: FakeGateway, name: str, limit: int = 100, **params: Any) -> gc.GatewayWalk:
    with serve(gateway) as client:
        return gc.walk_gateway(
            client, GATEWAY_URL, name, limit=limit, settings=SETTINGS, extra_params=params, sleep=no_sleep
        )


def get(
    gateway: FakeGateway, params: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> gc.GatewayResponse:
    with serve(gateway) as client:
        return gc.get_models(client, GATEWAY_URL, params, headers=headers)


def chat(gateway: FakeGateway, model: str, key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    with serve(gateway) as client:
        return client.post(f"{GATEWAY_URL}/v1/chat/completions", json={"model": model, "messages": []}, headers=headers)


def chunks(count: int, limit: int) -> list[int]:
    return [min(limit, count - start) for start in range(0, count, limit)]


def assert_pages_keep_the_envelope(result: gc.GatewayWalk) -> None:
    for page, envelope in zip(result.pages, result.envelopes(), strict=True):
        assert envelope.kind == "new", page.url
        assert envelope.malformed == (), page.url
        assert envelope.returned == len(page.items) <= (envelope.limit or 0)
        assert envelope.offset is not None
        assert envelope.total is not None
        assert envelope.returned is not None
        assert envelope.has_more == (envelope.offset + envelope.returned < envelope.total)
        assert envelope.next_offset == (envelope.offset + envelope.returned if envelope.has_more else None)


def providers_by_id() -> dict[str, list[str]]:
    found: dict[str, set[str]] = {}
    for gateway in ORDER:
        for model_id in EXPECTED[gateway]:
            found.setdefault(model_id, set()).add(gateway)
    return {model_id: sorted(gateways) for model_id, gateways in found.items()}


# ---------------------------------------------------------------------------------------------------------------
# The correct gateway.


def test_gateway_order_is_the_universe_gateways_then_huggingface() -> None:
    assert GATEWAY_ORDER == ORDER


@pytest.mark.parametrize("limit", [100, 1000])
@pytest.mark.parametrize("gateway", ORDER)
def test_walk_lists_each_gateway_whole(correct: FakeGateway, gateway: str, limit: int) -> None:
    result = walk(correct, gateway, limit)
    assert result.complete, result.error
    assert result.ids == EXPECTED[gateway]
    assert result.page_sizes() == chunks(len(EXPECTED[gateway]), limit)
    assert result.reported_total() == len(EXPECTED[gateway])
    assert {envelope.gateway for envelope in result.envelopes()} == {gateway}
    assert_pages_keep_the_envelope(result)


def test_huggingface_is_the_whole_hub_listing(correct: FakeGateway) -> None:
    result = walk(correct, HF, 1000)
    assert len(result.ids) == u.HUB_TOTAL
    assert result.page_sizes() == [u.TOP, u.HUB_TOTAL - u.TOP]


def test_all_lists_every_gateway_in_the_fixed_order(correct: FakeGateway) -> None:
    result = walk(correct, "all", 1000)
    assert result.complete, result.error
    assert result.ids == ALL_IDS
    assert result.reported_total() == sum(len(EXPECTED[gateway]) for gateway in ORDER)
    assert all(set(EXPECTED[gateway]) <= set(result.ids) for gateway in ORDER)
    assert {envelope.fields["note"] for envelope in result.envelopes()} == {None}
    assert_pages_keep_the_envelope(result)


def test_unique_models_gives_one_row_per_exact_id_with_its_providers(correct: FakeGateway) -> None:
    expected = providers_by_id()
    result = walk(correct, "all", 1000, unique_models="true")
    assert result.complete, result.error
    assert len(result.ids) == len(set(result.ids)) == len(set(ALL_IDS)) == result.reported_total()
    assert set(result.ids) == set(ALL_IDS)
    rows = [item for page in result.pages for item in page.items]
    assert {row["id"]: row["providers"] for row in rows} == expected
    assert expected[u.BGE] == sorted(["together", "chutes", "deepinfra", HF])


def test_alias_hug_gives_the_huggingface_listing(correct: FakeGateway) -> None:
    hug, full = walk(correct, "hug", 1000), walk(correct, HF, 1000)
    assert hug.complete
    assert full.complete
    assert hug.ids == full.ids == EXPECTED[HF]
    assert [page.body for page in hug.pages] == [page.body for page in full.pages]


def test_defaults_are_all_limit_100_offset_0(correct: FakeGateway) -> None:
    response = get(correct, {})
    assert response.ok, response.error
    envelope = response.envelope()
    assert (envelope.gateway, envelope.limit, envelope.offset) == ("all", 100, 0)
    assert response.ids() == ALL_IDS[:100]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("offset", "-1"),
        ("offset", "abc"),
        ("offset", "1.5"),
        ("limit", "0"),
        ("limit", "1001"),
        ("limit", "-3"),
        ("limit", "ten"),
        ("gateway", "nope"),
        ("gateway", "HuggingFace"),
        ("unique_models", "maybe"),
    ],
)
def test_bad_parameters_are_rejected_with_a_message(correct: FakeGateway, param: str, value: str) -> None:
    response = get(correct, {"gateway": "openrouter", param: value})
    assert response.status == 400
    assert isinstance(response.error, ClientError)
    error = response.body["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert value in error["message"]
    assert response.headers["content-type"] == "application/json"


def test_an_empty_catalog_is_503_not_an_empty_list() -> None:
    gateway = fake_gateway(state=fake_gateway().state.with_catalog("groq", []))
    response = get(gateway, {"gateway": "groq"})
    assert response.status == 503
    assert response.body == {
        "error": {"message": "catalog for groq is empty or unavailable", "type": "upstream_unavailable"}
    }
    result = walk(gateway, "groq")
    assert not result.complete
    assert isinstance(result.error, ServerError)
    listing = get(gateway, {"gateway": "all", "limit": 1})
    assert listing.envelope().total == len(ALL_IDS) - len(EXPECTED["groq"])
    assert "groq" in listing.body["note"]


def test_day_2_has_no_featherless() -> None:
    state = GatewayState.from_universe(UNIVERSE, u.DAY_2, HUB)
    gateway = fake_gateway(state=state)
    assert get(gateway, {"gateway": "featherless"}).status == 503
    listing = get(gateway, {"gateway": "all", "limit": 1})
    expected = sum(len(UNIVERSE.catalogs[u.DAY_2][g]) for g in UNIVERSE.catalogs[u.DAY_2]) + len(HUB)
    assert listing.envelope().total == expected
    assert listing.body["note"] == "left out, catalog empty or unavailable: featherless"
    assert listing.body["timestamp"] == state.snapshot_time


def test_identical_requests_give_identical_bytes_and_a_stable_etag(correct: FakeGateway) -> None:
    params = {"gateway": "openrouter", "limit": 50, "offset": 50}
    with serve(correct) as client, serve(fake_gateway()) as other:
        first, second = (client.get(f"{GATEWAY_URL}/v1/models", params=params) for _ in range(2))
        fresh = other.get(f"{GATEWAY_URL}/v1/models", params=params)
        etag = first.headers["etag"]
        assert first.content == second.content == fresh.content
        assert etag == second.headers["etag"] == fresh.headers["etag"]
        assert etag == f'"{hashlib.sha256(first.content).hexdigest()}"'
        for validator in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            cached = client.get(f"{GATEWAY_URL}/v1/models", params=params, headers={"If-None-Match": validator})
            assert cached.status_code == 304, validator
            assert cached.content == b""
            assert cached.headers["etag"] == etag
        stale = client.get(f"{GATEWAY_URL}/v1/models", params=params, headers={"If-None-Match": '"stale"'})
        assert stale.status_code == 200
        moved = client.get(f"{GATEWAY_URL}/v1/models", params={**params, "offset": 51})
        assert moved.headers["etag"] != etag


def test_model_objects_carry_the_documented_fields(correct: FakeGateway) -> None:
    rows = get(correct, {"gateway": "all", "limit": 1000}).items
    rows += get(correct, {"gateway": HF, "limit": 5}).items
    for row in rows:
        assert set(row) >= MODEL_KEYS, row
        assert isinstance(row["id"], str)
        assert row["id"]
        assert row["source_gateway"] in ORDER
        assert set(row["pricing"]) == {"prompt", "completion"}
        assert all(isinstance(price, str) and float(price) > 0 for price in row["pricing"].values())
    assert rows[-1]["source_gateway"] == HF
    assert rows[-1]["hugging_face_id"] == rows[-1]["id"]


def test_chat_completion_401_for_a_listed_model_404_for_an_unlisted_one(correct: FakeGateway) -> None:
    for model in (u.ARCH_ROUTER, EXPECTED["openrouter"][0], u.G12_PAIR[1]):
        response = chat(correct, model)
        assert response.status_code == 401, model
        assert response.json() == {"detail": "Not authenticated"}
        completed = chat(correct, model, key="sk-test")
        assert completed.status_code == 200
        assert completed.json()["model"] == model
    missing = chat(correct, "nobody/not-a-model")
    assert missing.status_code == 404
    assert "nobody/not-a-model" in missing.json()["error"]["message"]
    assert chat(correct, "nobody/not-a-model", key="sk-test").status_code == 404


def test_anything_else_is_a_json_404(correct: FakeGateway) -> None:
    with serve(correct) as client:
        for method, path in (("GET", "/v1/nothing"), ("POST", "/v1/models"), ("GET", "/v1/chat/completions")):
            response = client.request(method, f"{GATEWAY_URL}{path}")
            assert response.status_code == 404, (method, path)
            assert response.headers["content-type"] == "application/json"
            assert response.json() == {"detail": "Not Found"}


# ---------------------------------------------------------------------------------------------------------------
# The regression modes, one per row of docs/contract.md §2 "Endpoint side".


def test_every_row_has_a_documented_mode() -> None:
    contract_rows = [f"G{number}" for number in range(1, 14)]
    unlisted = [f"U{number}" for number in range(1, 12)]  # issue 11: regressions the contract does not name
    assert [mode.name for mode in Regression] == contract_rows + unlisted
    assert all(mode.value for mode in Regression)
    assert fake_gateway(Regression.G3).modes == {Regression.G3}
    assert fake_gateway().modes == frozenset()


def test_g1_huggingface_and_its_alias_are_404() -> None:
    gateway = fake_gateway(Regression.G1)
    for name in (HF, "hug"):
        assert get(gateway, {"gateway": name}).status == 404
        result = walk(gateway, name)
        assert not result.complete
        assert isinstance(result.error, ClientError)
        assert result.error.status == 404
    assert walk(gateway, "openrouter").ids == EXPECTED["openrouter"]


def test_g2_limit_50000_is_the_first_100_repeated_500_times() -> None:
    gateway = fake_gateway(Regression.G2)
    first_100 = EXPECTED[HF][: u.SEED_TOP]
    asked = 50_000  # the request seed 000 made
    response = get(gateway, {"gateway": HF, "limit": asked})
    assert response.ok, response.error
    assert len(response.items) == asked == response.envelope().total
    assert response.ids() == first_100 * (asked // len(first_100))
    assert len(set(response.ids())) == 100
    result = walk(gateway, HF, 100)
    assert isinstance(result.error, PaginationLoopError)
    assert result.page_sizes() == [100, 100]
    assert get(gateway, {"gateway": HF, "limit": 50_001}).status == 400
    assert get(fake_gateway(), {"gateway": HF, "limit": asked}).status == 400
    everything = get(gateway, {"gateway": "all", "limit": 1})
    providers = [model_id for gateway_name in PROVIDERS for model_id in EXPECTED[gateway_name]]
    assert everything.envelope().total == len(providers) + asked
    merged = walk(gateway, "all", 1000, unique_models="true")
    assert len(merged.ids) == len(set(providers) | set(first_100))


def test_g3_walk_stops_at_101() -> None:
    gateway = fake_gateway(Regression.G3)
    sizes = [len(get(gateway, {"gateway": HF, "limit": 100, "offset": offset}).items) for offset in (0, 100, 200)]
    assert sizes == [100, 1, 0]
    result = walk(gateway, HF, 100)
    assert result.complete
    assert result.page_sizes() == [100, 1]
    assert result.reported_total() == 101
    assert result.ids == EXPECTED[HF][:101]
    assert result.ids[-1] == HUB[100]["id"]


def test_g4_walk_stops_at_100() -> None:
    gateway = fake_gateway(Regression.G4)
    sizes = [len(get(gateway, {"gateway": HF, "limit": 100, "offset": offset}).items) for offset in (0, 100)]
    assert sizes == [100, 0]
    result = walk(gateway, HF, 100)
    assert result.page_sizes() == [100]
    assert result.reported_total() == 100 < u.HUB_TOTAL


def test_g5_huggingface_total_is_1000_then_the_1204_sort_union() -> None:
    first = walk(fake_gateway(Regression.G5), HF, 1000)
    assert first.reported_total() == u.TOP
    assert first.ids == EXPECTED[HF][: u.TOP]
    assert walk(fake_gateway(Regression.G5, hub_limit=u.SEED_TOP), HF, 1000).reported_total() == u.SEED_TOP

    likes = u.hub_order(UNIVERSE.hub_models, "likes")[: u.TOP]
    downloads = u.hub_order(UNIVERSE.hub_models, "downloads")[: u.TOP]
    seen = {model["id"] for model in likes}
    union = likes + [model for model in downloads if model["id"] not in seen]
    state = GatewayState.from_universe(UNIVERSE, u.DAY_2, union)
    later = walk(fake_gateway(Regression.G5, state=state, hub_limit=None), HF, 1000)
    assert later.complete
    assert later.reported_total() == len(seen | {model["id"] for model in downloads})
    assert set(later.ids) < set(EXPECTED[HF])


def test_g6_limit_is_ignored_for_single_gateways() -> None:
    gateway = fake_gateway(Regression.G6)
    featherless = EXPECTED["featherless"]
    response = get(gateway, {"gateway": "featherless", "limit": 100, "offset": 100})
    envelope = response.envelope()
    assert response.ids() == featherless[100:]
    assert envelope.returned == len(featherless) - 100 > envelope.limit == 100
    result = walk(gateway, "featherless", 100)
    assert result.page_sizes() == [len(featherless)]
    assert len(get(gateway, {"gateway": "all", "limit": 100}).items) == 100


def test_g7_all_silently_leaves_out_six_gateways() -> None:
    result = walk(fake_gateway(Regression.G7), "all", 1000)
    assert result.complete
    listed = set(result.ids)
    left_out = [gateway for gateway in ORDER if not set(EXPECTED[gateway]) <= listed]
    assert len(left_out) == 6
    assert HF in left_out
    assert set(left_out) == set(G7_LEFT_OUT)
    kept = [gateway for gateway in ORDER if gateway not in left_out]
    assert result.ids == [model_id for gateway in kept for model_id in EXPECTED[gateway]]
    note = result.pages[0].body["note"]
    assert all(gateway in note for gateway in left_out)


def test_g8_negative_offset_slices_from_the_end() -> None:
    response = get(fake_gateway(Regression.G8), {"gateway": "openrouter", "offset": -5})
    assert response.status == 200
    assert response.ids() == EXPECTED["openrouter"][-5:]
    envelope = response.envelope()
    assert (envelope.offset, envelope.has_more, envelope.next_offset) == (-5, True, 0)


def test_g9_unknown_gateway_and_empty_catalog_answer_200_empty() -> None:
    state = fake_gateway().state.with_catalog("groq", [])
    gateway = fake_gateway(Regression.G9, state=state)
    for name in ("nope", "groq"):
        response = get(gateway, {"gateway": name})
        assert response.status == 200, name
        assert response.items == []
        assert response.envelope().total == 0
        result = walk(gateway, name)
        assert result.complete
        assert result.ids == []


def test_g10_the_documented_unique_flag_is_silently_ignored() -> None:
    gateway = fake_gateway(Regression.G10)
    ignored = walk(gateway, "all", 1000, unique="true")
    assert ignored.ids == ALL_IDS
    assert len(ignored.ids) > len(set(ignored.ids))
    implemented = walk(gateway, "all", 1000, unique_models="true")
    assert len(implemented.ids) == len(set(implemented.ids)) == len(set(ALL_IDS))


def test_the_reference_honours_both_names_of_the_flag(correct: FakeGateway) -> None:
    documented = walk(correct, "all", 1000, unique="true")
    implemented = walk(correct, "all", 1000, unique_models="true")
    assert documented.ids == implemented.ids
    assert len(documented.ids) == len(set(ALL_IDS))


def test_g11_identical_requests_get_different_etags() -> None:
    gateway = fake_gateway(Regression.G11)
    params = {"gateway": "groq"}
    with serve(gateway) as client:
        first, second = (client.get(f"{GATEWAY_URL}/v1/models", params=params) for _ in range(2))
        assert first.content == second.content
        assert first.headers["etag"] != second.headers["etag"]
        revalidated = client.get(
            f"{GATEWAY_URL}/v1/models", params=params, headers={"If-None-Match": first.headers["etag"]}
        )
        assert revalidated.status_code == 200


def test_g12_unique_merge_on_stripped_ids_loses_a_model() -> None:
    def stripped(model_id: str) -> str:
        return model_id.replace(".", "").replace("/", "")

    kept, lost = u.G12_PAIR
    assert kept in EXPECTED["openrouter"]
    assert lost in EXPECTED["novita"]
    assert stripped(kept) == stripped(lost)
    result = walk(fake_gateway(Regression.G12), "all", 1000, unique_models="true")
    assert len(result.ids) == len({stripped(model_id) for model_id in ALL_IDS}) < len(set(ALL_IDS))
    assert kept in result.ids
    assert lost not in result.ids
    row = next(item for page in result.pages for item in page.items if item["id"] == kept)
    assert row["providers"] == ["novita", "openrouter"]


def test_g13_a_listed_model_answers_404_instead_of_401() -> None:
    gateway = fake_gateway(Regression.G13)
    assert u.ARCH_ROUTER in walk(gateway, HF, 1000).ids
    assert chat(gateway, u.ARCH_ROUTER).status_code == 404
    assert chat(fake_gateway(), u.ARCH_ROUTER).status_code == 401


def test_modes_combine_like_the_seed_003_morning() -> None:
    gateway = fake_gateway({Regression.G1, Regression.G4, Regression.G13})
    assert get(gateway, {"gateway": "hug"}).status == 404
    assert chat(gateway, u.ARCH_ROUTER).status_code == 404
    gateway.modes = frozenset({Regression.G4})
    assert get(gateway, {"gateway": "hug"}).envelope().total == 100
    assert chat(gateway, u.ARCH_ROUTER).status_code == 401


# ---------------------------------------------------------------------------------------------------------------
# One state, shared: what gateways derive from it is kept on it (per the modes that change it).

SHARED_QUERIES = (
    "gateway=all&limit=1000&offset=2000",
    "gateway=all&limit=1000&unique_models=true",
    "gateway=huggingface&limit=1000&offset=1000",
    "gateway=hug&limit=7&offset=95&unique=true",
    "gateway=google&limit=1000",
    "gateway=groq&limit=1000&unique_models=true",
    "gateway=cerebras&limit=3&offset=-5",
)


def answers(state: GatewayState, mode: Regression | None, hub_limit: int | None = 1000) -> list[tuple[Any, ...]]:
    gateway = FakeGateway(state, mode, hub_limit=hub_limit, clock=SimulatedClock())  # U10 spends simulated time
    seen = []
    for query in SHARED_QUERIES:
        response = gateway(httpx.Request("GET", f"{GATEWAY_URL}/v1/models?{query}"))
        seen.append((query, response.status_code, response.headers.get("etag"), response.content))
    return seen


def test_a_state_is_immutable_and_hands_out_copies() -> None:
    state = fake_gateway().state
    with pytest.raises(TypeError):
        state.catalogs["groq"] = []  # type: ignore[index]
    rows = state.catalog("groq")
    rows.clear()
    assert [row["id"] for row in state.catalog("groq")] == EXPECTED["groq"]
    given = {"id": "x/café", "source_gateway": "groq"}
    replaced = state.with_catalog("groq", [given, given], name="twice")
    given["id"] = "changed"
    assert [row["id"] for row in replaced.catalog("groq")] == ["x/café", "x/café"]
    assert (replaced.name, state.name) == ("twice", "current")
    assert [row["id"] for row in state.catalog("groq")] == EXPECTED["groq"]
    for query in ("gateway=groq&unique_models=true", f"gateway=all&offset={ALL_IDS.index(EXPECTED['groq'][0])}"):
        body = FakeGateway(replaced)(httpx.Request("GET", f"{GATEWAY_URL}/v1/models?{query}")).content
        assert "x/café".encode() in body
        assert body == compact_json(body)


def compact_json(body: bytes) -> bytes:
    """``body`` as json.dumps writes it compact, keys in their order, non-ASCII as UTF-8 (what the pages are)."""
    return json.dumps(json.loads(body), ensure_ascii=False, separators=(",", ":")).encode()


def test_every_mode_over_a_shared_state_answers_as_over_a_fresh_one_whatever_came_before() -> None:
    """Listings are derived once per state and set of modes that change them: each mode, after the ones before
    it used the shared state (a listing kept under too coarse a key would be served to a later mode), answers
    the bytes of a state made anew, that nothing was derived from yet (it shares the rows' JSON texts, which no
    mode changes, except groq's: its rows are copies). Pages are the compact JSON of their envelope (ASCII or
    not, with a note or without, a negative offset), and no mode wrote a row of the state."""
    shared = fake_gateway().state
    modes: list[Regression | None] = [None, *Regression]
    for mode, hub_limit in [*((mode, 1000) for mode in modes), (Regression.G5, None)]:
        fresh = shared.with_catalog("groq", shared.catalog("groq"))
        seen = answers(shared, mode, hub_limit)
        assert seen == answers(fresh, mode, hub_limit), mode
        if mode in (None, Regression.G7, Regression.G8, Regression.U7):
            for query, status, _, body in seen:
                assert status != 200 or body == compact_json(body), (mode, query)
    rendered = GatewayState.from_universe(UNIVERSE, u.DAY_1, HUB)
    assert {g: list(rows) for g, rows in shared.catalogs.items()} == {g: list(r) for g, r in rendered.catalogs.items()}


# ---------------------------------------------------------------------------------------------------------------
# The same handler over ASGI: in process and over a real socket.


def test_asgi_app_through_httpx_asgi_transport(correct: FakeGateway) -> None:
    async def scenario() -> tuple[gc.GatewayWalk, httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=asgi_app(correct))
        async with httpx.AsyncClient(transport=transport) as client:
            result = await gc.awalk_gateway(client, f"http://{GATEWAY_HOST}", HF, limit=1000, settings=SETTINGS)
            etag = result.pages[0].headers["etag"]
            cached = await client.get(
                f"http://{GATEWAY_HOST}/v1/models",
                params={"gateway": HF, "limit": 1000, "offset": 0},
                headers={"If-None-Match": etag},
            )
            denied = await client.post(f"http://{GATEWAY_HOST}/v1/chat/completions", json={"model": u.ARCH_ROUTER})
            return result, cached, denied

    result, cached, denied = asyncio.run(scenario())
    assert result.complete
    assert result.ids == EXPECTED[HF]
    assert cached.status_code == 304
    assert denied.status_code == 401


def uvicorn_serving(gateway: FakeGateway) -> AbstractContextManager[str]:
    return serving(lambda _base_url: asgi_app(gateway))


def test_uvicorn_serves_the_gateway_on_a_real_socket(correct: FakeGateway) -> None:
    with uvicorn_serving(correct) as base_url, httpx.Client() as client:
        result = gc.walk_gateway(client, base_url, HF, limit=1000, settings=SETTINGS, sleep=no_sleep)
        bad = gc.get_models(client, base_url, {"gateway": HF, "offset": -1})
        denied = client.post(f"{base_url}/v1/chat/completions", json={"model": u.ARCH_ROUTER})
        over_socket = client.get(f"{base_url}/v1/models", params={"gateway": "groq"})
    with serve(correct) as client:
        in_process = client.get(f"{GATEWAY_URL}/v1/models", params={"gateway": "groq"})
    assert result.complete
    assert result.ids == EXPECTED[HF]
    assert result.page_sizes() == [u.TOP, u.HUB_TOTAL - u.TOP]
    assert over_socket.content == in_process.content
    assert over_socket.headers["etag"] == in_process.headers["etag"]
    assert bad.status == 400
    assert bad.body["error"]["param"] == "offset"
    assert denied.status_code == 401
