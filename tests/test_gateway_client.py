"""The ``/v1/models`` client against a minimal in-test gateway served through ``FakeInternet``.

The gateway here only serves lists of ids in the old or new envelope and rejects bad parameters; the broken
behaviours a test needs are small handlers written next to that test. Expected figures are computed from the
served lists.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog_guard import paging
from catalog_guard.errors import (
    ClientError,
    HtmlErrorPageError,
    IncompleteCatalogError,
    PaginationLoopError,
    TransportError,
)
from catalog_guard.fakes.transport import FakeInternet
from catalog_guard.gateway_client import Envelope, GatewayWalk, awalk_gateway, get_models, walk_gateway
from catalog_guard.retry import NO_RETRY

HOST = "gateway.test"
BASE = f"https://{HOST}"
Handler = Callable[[httpx.Request], httpx.Response]


def model(identifier: str, gateway: str) -> dict[str, Any]:
    return {"id": identifier, "source_gateway": gateway, "name": identifier.rsplit("/", 1)[-1], "context_length": 8192}


def gateway_handler(catalogs: dict[str, list[str]], *, envelope: str = "old", max_limit: int = 1000) -> Handler:
    """``GET /v1/models?gateway=&limit=&offset=``: ``all`` concatenates every gateway; unknown gateway 404;
    negative offset or a limit outside 1..max_limit 400."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path != "/v1/models":
            return httpx.Response(404, json={"detail": "Not Found"})
        params = request.url.params
        gateway = params.get("gateway", "all")
        try:
            limit, offset = int(params.get("limit", "100")), int(params.get("offset", "0"))
        except ValueError:
            return httpx.Response(422, json={"detail": "limit and offset must be integers"})
        if offset < 0 or not 1 <= limit <= max_limit:
            return httpx.Response(400, json={"detail": f"offset must be >= 0 and limit in 1..{max_limit}"})
        if gateway == "all":
            rows = [model(i, g) for g, ids in catalogs.items() for i in ids]
        elif gateway in catalogs:
            rows = [model(i, gateway) for i in catalogs[gateway]]
        else:
            return httpx.Response(404, json={"detail": f"Gateway '{gateway}' not found"})
        page = rows[offset : offset + limit]
        body: dict[str, Any] = {
            "data": page, "total": len(rows), "returned": len(page), "offset": offset, "limit": limit,
            "gateway": gateway, "note": None, "timestamp": "2025-10-17T00:00:00Z",
        }  # fmt: skip
        if envelope == "new":
            more = offset + len(page) < len(rows)
            body.update(object="list", has_more=more, next_offset=offset + len(page) if more else None)
        return httpx.Response(200, json=body)

    return handle


def internet(handler: Handler) -> FakeInternet:
    return FakeInternet({HOST: handler})


def no_sleep(seconds: float) -> None:
    raise AssertionError(f"slept {seconds}s")


ROOMY = paging.WalkSettings(budget=1000)


def ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}/model-{i}" for i in range(n)]


# --- complete walks ---------------------------------------------------------------------------------------


@given(n=st.integers(min_value=0, max_value=120), limit=st.integers(min_value=1, max_value=40),
       envelope=st.sampled_from(["old", "new"]))  # fmt: skip
def test_walk_collects_every_id_in_order(n: int, limit: int, envelope: str) -> None:
    served = ids("hf", n)
    net = internet(gateway_handler({"huggingface": served, "groq": ids("groq", 3)}, envelope=envelope))
    with net.client() as client:
        walk = walk_gateway(client, BASE, "huggingface", limit=limit, settings=ROOMY, sleep=no_sleep)
    pages = max(1, math.ceil(n / limit))  # both envelopes say where the end is
    assert walk.complete, walk.error
    assert walk.error is None
    assert walk.stop_reason == "end"
    assert walk.ids == served
    assert walk.offsets() == [k * limit for k in range(pages)]
    assert walk.page_sizes() == [min(limit, n - k * limit) for k in range(pages)]
    assert walk.requests == len(net.requests) == len(walk.pages) == pages
    assert all(page.status == 200 for page in walk.pages)
    assert {r.url.params["gateway"] for r in net.requests} == {"huggingface"}
    assert [envelope_.kind for envelope_ in walk.envelopes()] == [envelope] * pages
    assert walk.reported_total() == n


def test_walk_sends_headers_and_extra_params_to_the_models_path() -> None:
    net = internet(gateway_handler({"together": ids("together", 5)}))
    with net.client() as client:
        walk = walk_gateway(client, BASE + "/", "together", limit=2, headers={"Authorization": "Bearer k"},
                            extra_params={"unique_models": "true"}, sleep=no_sleep)  # fmt: skip
    assert walk.complete
    sent = net.requests_to(HOST, "/v1/models")
    assert len(sent) == len(net.requests) == len(walk.pages)
    assert all(r.headers["authorization"] == "Bearer k" for r in sent)
    assert all(r.url.params["unique_models"] == "true" for r in sent)


def test_models_are_records_with_duplicates_kept() -> None:
    served = ["a/x", "a/y", "a/x"]
    net = internet(gateway_handler({"chutes": served}))
    with net.client() as client:
        walk = walk_gateway(client, BASE, "chutes", limit=2, sleep=no_sleep)
    records = walk.models()
    assert [r.id for r in records] == served
    assert {r.gateway for r in records} == {"chutes"}
    assert [r.name for r in records] == [model(i, "chutes")["name"] for i in served]
    assert records[0].raw == model(served[0], "chutes")


def test_items_without_an_id_are_counted_and_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [{"id": "a"}, {"name": "no id"}, {"id": ""}], "total": 3})

    with internet(handler).client() as client:
        walk = walk_gateway(client, BASE, "novita", sleep=no_sleep)
    assert walk.complete
    assert walk.ids == ["a"]
    assert walk.missing_ids == len(walk.pages[0].items) - len(walk.ids)
    with pytest.raises(IncompleteCatalogError) as caught:
        walk.models()
    assert caught.value.reason == "missing-id"


# --- broken gateways leave a record -----------------------------------------------------------------------


def test_same_page_forever_ends_with_a_recorded_loop() -> None:
    served = ids("hf", 250)
    honest = gateway_handler({"huggingface": served})

    def ignores_offset(request: httpx.Request) -> httpx.Response:
        return honest(httpx.Request("GET", request.url.copy_remove_param("offset")))

    net = internet(ignores_offset)
    limit = 100
    with net.client() as client:
        walk = walk_gateway(client, BASE, "huggingface", limit=limit, sleep=no_sleep)
    assert not walk.complete
    assert isinstance(walk.error, PaginationLoopError)
    assert walk.stop_reason == "PaginationLoopError"
    assert walk.offsets() == [0, limit]
    assert walk.ids == served[:limit] * 2  # what it saw, repeats included, for the checks
    with pytest.raises(IncompleteCatalogError) as caught:
        walk.models()
    assert caught.value.reason == "PaginationLoopError"


def test_empty_second_page_ends_complete_with_what_was_served() -> None:
    """G4: ``offset=100`` answers nothing although ``total`` says more. The walk is complete (the gateway said
    "end"); that 100 is short is the checks' call, and ``reported_total`` is their evidence."""
    upstream = ids("hf", 1377)
    cut = 100
    honest = gateway_handler({"huggingface": upstream[:cut]})

    def truncated(request: httpx.Request) -> httpx.Response:
        response = honest(request)
        body = response.json()
        body["total"] = len(upstream)
        return httpx.Response(response.status_code, json=body)

    with internet(truncated).client() as client:
        walk = walk_gateway(client, BASE, "huggingface", limit=cut, sleep=no_sleep)
    assert walk.complete
    assert walk.ids == upstream[:cut]
    assert walk.page_sizes() == [cut, 0]
    assert walk.reported_total() == len(upstream)


def test_unknown_gateway_404_is_recorded() -> None:
    net = internet(gateway_handler({"together": ids("t", 3)}))
    with net.client() as client:
        walk = walk_gateway(client, BASE, "huggingface", sleep=no_sleep)
    assert not walk.complete
    assert isinstance(walk.error, ClientError)
    assert walk.error.status == 404
    assert "Gateway 'huggingface' not found" in str(walk.error)
    assert walk.pages == []
    assert walk.requests == len(net.requests) == 1


def test_server_error_is_retried_with_recorded_sleep() -> None:
    honest = gateway_handler({"groq": ids("groq", 4)})
    failures = iter([httpx.Response(503, headers={"Retry-After": "2"})])

    def flaky(request: httpx.Request) -> httpx.Response:
        failure = next(failures, None)
        return failure if failure is not None else honest(request)

    slept: list[float] = []
    with internet(flaky).client() as client:
        walk = walk_gateway(client, BASE, "groq", sleep=slept.append)
    assert walk.complete
    assert walk.ids == ids("groq", 4)
    assert slept == [2 + 1]
    assert (walk.requests, walk.retries) == (2, 1)


def test_retries_off_means_first_error_recorded() -> None:
    with internet(lambda request: httpx.Response(503)).client() as client:
        walk = walk_gateway(client, BASE, "groq", settings=paging.WalkSettings(retry=NO_RETRY), sleep=no_sleep)
    assert walk.stop_reason == "ServerError"
    assert walk.requests == 1


def test_limit_must_be_positive() -> None:
    with internet(gateway_handler({})).client() as client, pytest.raises(ValueError, match="limit"):
        walk_gateway(client, BASE, "groq", limit=0)


# --- single requests and probes ---------------------------------------------------------------------------


@pytest.fixture
def net() -> FakeInternet:
    hf = ids("hf", 7)
    return internet(gateway_handler({"huggingface": hf, "hug": hf, "groq": ids("groq", 2)}, envelope="new"))


def test_get_models_single_large_request(net: FakeInternet) -> None:
    with net.client() as client:
        response = get_models(client, BASE, {"gateway": "huggingface", "limit": 1000})
    assert response.ok
    assert response.status == 200
    assert response.ids() == ids("hf", 7)
    assert response.envelope().kind == "new"
    assert response.envelope().has_more is False
    assert response.envelope().total == len(response.items)
    assert httpx.URL(response.url).params["limit"] == "1000"


@pytest.mark.parametrize(
    ("params", "status"),
    [({"gateway": "groq", "offset": -5}, 400), ({"gateway": "groq", "limit": 50000}, 400), ({"gateway": "nope"}, 404)],
)
def test_get_models_returns_4xx_without_raising(net: FakeInternet, params: dict[str, Any], status: int) -> None:
    with net.client() as client:
        response = get_models(client, BASE, params)
    assert response.status == status
    assert isinstance(response.error, ClientError)
    assert not response.ok
    assert response.items == []
    assert isinstance(response.body, dict)
    assert response.body["detail"] in str(response.error)


def test_get_models_all_and_alias(net: FakeInternet) -> None:
    with net.client() as client:
        everything = get_models(client, BASE, {"gateway": "all", "limit": 1000})
        alias = get_models(client, BASE, {"gateway": "hug", "limit": 1000})
        full = get_models(client, BASE, {"gateway": "huggingface", "limit": 1000})
        groq = get_models(client, BASE, {"gateway": "groq", "limit": 1000})
    assert alias.ids() == full.ids()
    assert set(full.ids()) | set(groq.ids()) <= set(everything.ids())


def test_get_models_keeps_an_html_page(net: FakeInternet) -> None:
    page = "<html><body>Bad gateway</body></html>"
    net.add(HOST, lambda request: httpx.Response(200, text=page, headers={"content-type": "text/html"}))
    with net.client() as client:
        response = get_models(client, BASE, {"gateway": "groq"})
    assert isinstance(response.error, HtmlErrorPageError)
    assert (response.status, response.text, response.body) == (200, page, None)
    assert response.headers["content-type"] == "text/html"


def test_get_models_unreachable_is_a_finding_not_an_exception() -> None:
    """observe() promises never to raise for a misbehaving gateway: a request without an answer comes back with
    status 0 and the typed error, a finding on that request."""
    with FakeInternet().client() as client:
        response = get_models(client, BASE, {"gateway": "groq"})
    assert isinstance(response.error, TransportError)
    assert (response.status, response.items, response.ok) == (0, [], False)


# --- envelopes --------------------------------------------------------------------------------------------


def test_envelope_tells_absent_from_wrong() -> None:
    old = Envelope.of({"data": [], "total": 3, "returned": 0, "offset": 0, "limit": 100, "note": None})
    assert old.kind == "old"
    assert old.malformed == ()
    assert old.has_more is None
    assert old.total == 3

    wrong = Envelope.of({"data": [], "total": "101", "has_more": 1, "next_offset": True, "object": "list"})
    assert wrong.kind == "new"
    assert set(wrong.malformed) == {"total", "has_more", "next_offset"}
    assert (wrong.total, wrong.has_more, wrong.next_offset) == (None, None, None)
    assert "returned" not in wrong.present

    assert Envelope.of(["bare", "list"]).kind == "none"


# --- async twin -------------------------------------------------------------------------------------------


def test_async_walk_matches_sync_walk() -> None:
    net = internet(gateway_handler({"deepinfra": ids("di", 23)}, envelope="new"))
    with net.client() as client:
        sync = walk_gateway(client, BASE, "deepinfra", limit=5, sleep=no_sleep)

    async def go() -> GatewayWalk:
        async with net.async_client() as client:
            return await awalk_gateway(client, BASE, "deepinfra", limit=5)

    result = asyncio.run(go())
    assert result.complete
    assert result.ids == sync.ids == ids("di", 23)
    assert result.offsets() == sync.offsets()
