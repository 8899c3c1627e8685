"""The pagination walkers and the guarded walk, against small in-test servers (``httpx.MockTransport``).

Every expected figure is computed from the server's parameters by the rule the pagination documents (an offset
walk without ``total`` ends on an empty page, so it costs one request more than the pages of data; a walk told
``total``/``has_more``/``total_pages`` stops on the last page of data), never typed in.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog_guard import paging
from catalog_guard.errors import (
    ClientError,
    CredentialsInLinkError,
    ForeignHostError,
    HtmlErrorPageError,
    MalformedResponseError,
    PaginationLoopError,
    RateLimitedError,
    RequestBudgetExceeded,
    ServerError,
    TransportError,
)
from catalog_guard.merge import merge
from catalog_guard.records import ModelRecord
from catalog_guard.retry import NO_RETRY, RetryPolicy

HOST = "api.test"
URL = f"https://{HOST}/models"
Handler = Callable[[httpx.Request], httpx.Response]
DATA = paging.field_list("data")


class Server:
    """Wraps a handler and counts the requests it answered."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.seen: list[httpx.URL] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.url)
        return self.handler(request)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


def catalog(n: int) -> list[dict[str, Any]]:
    return [{"id": f"org/model-{i}"} for i in range(n)]


def ids_of(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def no_sleep(seconds: float) -> None:
    raise AssertionError(f"the walk slept {seconds}s where it should not have")


ROOMY = paging.WalkSettings(budget=1000)  # the property tests walk up to 81 pages; the budget has its own test


def run(server: Server, pagination: paging.Pagination, **options: Any) -> paging.Walk:
    options.setdefault("extract", DATA)
    options.setdefault("sleep", no_sleep)
    options.setdefault("settings", ROOMY)
    with server.client() as client:
        return paging.walk(client, URL, pagination=pagination, **options)


# --- servers ---------------------------------------------------------------------------------------------


def offset_server(items: list[dict[str, Any]], *, envelope: str = "bare", cap: int | None = None) -> Server:
    """``offset``/``limit``; ``cap`` is the server's own maximum page size. ``envelope``: ``bare`` (only
    ``data``), ``total`` (old envelope) or ``has_more`` (new envelope)."""

    def handle(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        limit = int(request.url.params["limit"])
        size = min(limit, cap) if cap is not None else limit
        page = items[offset : offset + size]
        body: dict[str, Any] = {"data": page}
        if envelope == "total":
            body.update(total=len(items), returned=len(page), offset=offset, limit=limit)
        elif envelope == "has_more":
            more = offset + len(page) < len(items)
            body.update(object="list", has_more=more, next_offset=offset + len(page) if more else None)
        return httpx.Response(200, json=body)

    return Server(handle)


def chunked_offset_server(items: list[dict[str, Any]], sizes: list[int]) -> Server:
    """An offset server whose pages have the given (irregular, non-zero) sizes, then run empty."""
    starts = {sum(sizes[:k]): size for k, size in enumerate(sizes)}

    def handle(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        size = starts.get(offset, 0)
        return httpx.Response(200, json={"data": items[offset : offset + size]})

    return Server(handle)


def link_server(items: list[dict[str, Any]]) -> Server:
    """The Hub's style: a bare array and ``Link: <…cursor=K…>; rel="next"`` while more remain."""

    def handle(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("cursor", "0"))
        limit = int(request.url.params["limit"])
        end = start + limit
        headers = {}
        if end < len(items):
            headers["Link"] = f'<{URL}?cursor={end}&limit={limit}>; rel="next"'
        return httpx.Response(200, json=items[start:end], headers=headers)

    return Server(handle)


def token_server(items: list[dict[str, Any]]) -> Server:
    """Google's style: ``{"models": [...], "nextPageToken": "…"}`` with an opaque token."""

    def handle(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("pageToken")
        start = int(token.removeprefix("tok-")) if token else 0
        size = int(request.url.params["pageSize"])
        body: dict[str, Any] = {"models": items[start : start + size]}
        if start + size < len(items):
            body["nextPageToken"] = f"tok-{start + size}"
        return httpx.Response(200, json=body)

    return Server(handle)


def page_number_server(items: list[dict[str, Any]], *, with_total_pages: bool) -> Server:
    def handle(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        per_page = int(request.url.params["per_page"])
        body: dict[str, Any] = {"data": items[(page - 1) * per_page : page * per_page]}
        if with_total_pages:
            body["pagination"] = {"total_pages": math.ceil(len(items) / per_page)}
        return httpx.Response(200, json=body)

    return Server(handle)


def scripted(*responses: httpx.Response | Exception) -> Server:
    """Answers with the given responses in order (an exception is raised as a transport failure); the last
    one repeats."""
    script = list(responses)

    def handle(request: httpx.Request) -> httpx.Response:
        answer = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return Server(handle)


def ok_page(n: int) -> httpx.Response:
    return httpx.Response(200, json={"data": catalog(n), "total": n})


# --- every style walks every item exactly once ------------------------------------------------------------

sizes = st.integers(min_value=1, max_value=25)
totals = st.integers(min_value=0, max_value=80)


@given(total=totals, limit=sizes, cap=st.none() | sizes, envelope=st.sampled_from(["bare", "total", "has_more"]))
def test_offset_limit_walks_everything_once(total: int, limit: int, cap: int | None, envelope: str) -> None:
    items = catalog(total)
    server = offset_server(items, envelope=envelope, cap=cap)
    walk = run(server, paging.OffsetLimit(limit))
    page = min(limit, cap) if cap is not None else limit
    data_pages = math.ceil(total / page)
    # Without total/has_more the only end is an empty page, one request after the last page of data.
    expected_requests = data_pages + 1 if envelope == "bare" else max(1, data_pages)
    assert walk.complete, walk.error
    assert walk.error is None
    assert ids_of(walk.items) == ids_of(items)
    assert walk.requests == len(server.seen) == expected_requests
    # offset advances by what was returned: full pages, then (bare envelope) the end of the catalog
    offsets = [min(k * page, total) for k in range(expected_requests)]
    assert [int(url.params["offset"]) for url in server.seen] == offsets


@given(sizes_=st.lists(sizes, max_size=12), limit=st.integers(min_value=25, max_value=30))
def test_offset_limit_short_pages_mid_walk_are_not_the_end(sizes_: list[int], limit: int) -> None:
    items = catalog(sum(sizes_))
    server = chunked_offset_server(items, sizes_)
    walk = run(server, paging.OffsetLimit(limit))
    assert walk.complete
    assert ids_of(walk.items) == ids_of(items)
    assert [len(page.items) for page in walk.pages] == [*sizes_, 0]


def test_server_capping_the_page_below_the_limit_is_walked_to_the_end() -> None:
    limit, cap = 100, 30
    items = catalog(limit + 1)  # the 101-model shape: one short page would have "ended" a naive walk
    walk = run(offset_server(items, envelope="total", cap=cap), paging.OffsetLimit(limit))
    assert walk.complete
    assert ids_of(walk.items) == ids_of(items)
    assert [page.url for page in walk.pages][-1].endswith(f"offset={cap * (len(items) // cap)}")


@given(total=totals, size=sizes)
def test_link_header_walks_everything_once(total: int, size: int) -> None:
    items = catalog(total)
    server = link_server(items)
    walk = run(server, paging.LinkHeader(limit=size), extract=paging.bare_array)
    assert walk.complete
    assert ids_of(walk.items) == ids_of(items)
    assert walk.requests == len(server.seen) == max(1, math.ceil(total / size))


@given(total=totals, size=sizes)
def test_page_token_walks_everything_once(total: int, size: int) -> None:
    items = catalog(total)
    server = token_server(items)
    walk = run(server, paging.PageToken(page_size=size), extract=paging.field_list("models"))
    assert walk.complete
    assert ids_of(walk.items) == ids_of(items)
    assert walk.requests == len(server.seen) == max(1, math.ceil(total / size))


@given(total=totals, size=sizes, with_total_pages=st.booleans())
def test_page_number_walks_everything_once(total: int, size: int, with_total_pages: bool) -> None:
    items = catalog(total)
    server = page_number_server(items, with_total_pages=with_total_pages)
    walk = run(server, paging.PageNumber(per_page=size))
    data_pages = math.ceil(total / size)
    assert walk.complete
    assert ids_of(walk.items) == ids_of(items)
    assert walk.requests == len(server.seen) == (max(1, data_pages) if with_total_pages else data_pages + 1)


def test_offset_limit_follows_next_offset_while_has_more() -> None:
    """``next_offset`` wins over ``offset + returned`` (the checks, not the walker, judge whether it should)."""
    items = catalog(9)
    jump = 4

    def skipping(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        page = items[offset : offset + 2]
        more = offset + jump < len(items)
        return httpx.Response(200, json={"data": page, "has_more": more, "next_offset": offset + jump})

    server = Server(skipping)
    walk = run(server, paging.OffsetLimit(2))
    assert walk.complete
    assert [int(url.params["offset"]) for url in server.seen] == list(range(0, len(items), jump))


def test_boolean_next_offset_is_not_an_offset() -> None:
    """``true`` is an ``int`` to Python; sending ``offset=true`` would be the walker's bug, not the server's."""
    items = catalog(5)

    def bool_next(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        page = items[offset : offset + 2]
        return httpx.Response(200, json={"data": page, "has_more": bool(page), "next_offset": True})

    server = Server(bool_next)
    walk = run(server, paging.OffsetLimit(2))
    assert walk.complete, walk.error
    assert ids_of(walk.items) == ids_of(items)


def test_single_is_one_request() -> None:
    items = catalog(7)
    server = Server(lambda request: httpx.Response(200, json={"data": items}))
    walk = run(server, paging.Single())
    assert walk.complete
    assert ids_of(walk.items) == ids_of(items)
    assert walk.requests == len(server.seen) == 1


# --- the guards -------------------------------------------------------------------------------------------


@given(limit=sizes, extra=st.integers(min_value=1, max_value=40), envelope=st.sampled_from(["bare", "total"]))
def test_server_ignoring_offset_is_a_loop(limit: int, extra: int, envelope: str) -> None:
    items = catalog(limit + extra)  # more than one page, so a correct server would answer offset=limit

    def same_first_page(request: httpx.Request) -> httpx.Response:
        body: dict[str, Any] = {"data": items[:limit]}
        if envelope == "total":
            body["total"] = len(items)
        return httpx.Response(200, json=body)

    server = Server(same_first_page)
    walk = run(server, paging.OffsetLimit(limit))
    assert not walk.complete
    assert isinstance(walk.error, PaginationLoopError)
    assert walk.stop_reason == "PaginationLoopError"
    assert walk.requests == len(server.seen) == 2
    assert [page.ids() for page in walk.pages] == [ids_of(items[:limit])] * 2  # both pages kept for the checks


def test_repeated_next_link_is_a_loop() -> None:
    """Fresh items on every page (so the page-repeat guard stays quiet), but the next link never moves."""
    counter = iter(range(1000))

    def stuck_link(request: httpx.Request) -> httpx.Response:
        page = [{"id": f"fresh-{next(counter)}"}]
        return httpx.Response(200, json=page, headers={"Link": f'<{URL}?cursor=1>; rel="next"'})

    server = Server(stuck_link)
    walk = run(server, paging.LinkHeader(limit=1), extract=paging.bare_array)
    assert isinstance(walk.error, PaginationLoopError)
    assert "already visited" in str(walk.error)
    assert walk.requests == len(server.seen) == 2


def test_repeated_page_token_is_a_loop() -> None:
    counter = iter(range(1000))

    def stuck_token(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"models": [{"name": f"m{next(counter)}"}], "nextPageToken": "same"})

    walk = run(Server(stuck_token), paging.PageToken(page_size=1), extract=paging.field_list("models"))
    assert isinstance(walk.error, PaginationLoopError)
    assert walk.requests == 2


def test_next_link_to_another_host_is_refused() -> None:
    def foreign(request: httpx.Request) -> httpx.Response:
        if request.url.host != HOST:
            raise AssertionError("the walk followed a link to a foreign host")
        return httpx.Response(200, json=catalog(1), headers={"Link": '<https://evil.test/models?c=2>; rel="next"'})

    server = Server(foreign)
    walk = run(server, paging.LinkHeader(limit=1), extract=paging.bare_array)
    assert isinstance(walk.error, ForeignHostError)
    assert walk.requests == len(server.seen) == 1
    assert walk.pages[0].next_url == "https://evil.test/models?c=2"


@pytest.mark.parametrize("userinfo", ["user:Plant3dLinkPassw0rd@", "Plant3dLinkPassw0rd@", "user:@"])
def test_a_same_host_next_link_with_credentials_is_refused_naming_the_link(userinfo: str) -> None:
    """httpx turns URL userinfo into ``Authorization: Basic``, replacing the caller's bearer token: never follow."""
    sent: list[str] = []

    def credentialed(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("authorization", ""))
        link = f'<https://{userinfo}{HOST}/models?c=2>; rel="next"'
        return httpx.Response(200, json=catalog(1), headers={"Link": link})

    server = Server(credentialed)
    with server.client() as client:
        walk = paging.walk(
            client, URL, pagination=paging.LinkHeader(limit=1), extract=paging.bare_array, sleep=no_sleep,
            headers={"authorization": "Bearer caller-token-0123456789"},
        )  # fmt: skip
    assert isinstance(walk.error, CredentialsInLinkError)
    assert walk.requests == len(server.seen) == 1
    assert sent == ["Bearer caller-token-0123456789"]
    assert f"next link https://<REDACTED>@{HOST}/models?c=2 carries credentials" in str(walk.error)
    assert walk.pages[0].next_url == f"https://<REDACTED>@{HOST}/models?c=2"
    assert "Plant3dLinkPassw0rd" not in str(walk.error) + str(walk.pages[0].next_url)


def test_foreign_hosts_followed_only_when_allowed() -> None:
    def two_hosts(request: httpx.Request) -> httpx.Response:
        if request.url.host == HOST:
            return httpx.Response(200, json=[{"id": "a"}], headers={"Link": '<https://mirror.test/m>; rel="next"'})
        return httpx.Response(200, json=[{"id": "b"}])

    settings = paging.WalkSettings(allow_foreign_hosts=True)
    walk = run(Server(two_hosts), paging.LinkHeader(limit=1), extract=paging.bare_array, settings=settings)
    assert walk.complete
    assert ids_of(walk.items) == ["a", "b"]


@given(budget=st.integers(min_value=1, max_value=6), limit=sizes)
def test_request_budget(budget: int, limit: int) -> None:
    items = catalog(limit * (budget + 1))  # needs more pages than the budget allows
    server = offset_server(items, envelope="total")
    walk = run(server, paging.OffsetLimit(limit), settings=paging.WalkSettings(budget=budget))
    assert isinstance(walk.error, RequestBudgetExceeded)
    assert walk.requests == len(server.seen) == len(walk.pages) == budget
    assert ids_of(walk.items) == ids_of(items[: budget * limit])


# --- retries, with recorded (never real) sleeps -----------------------------------------------------------


@pytest.fixture
def forbid_real_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "sleep", no_sleep)


@pytest.mark.usefixtures("forbid_real_sleep")
def test_rate_limit_reset_is_waited_then_the_walk_completes() -> None:
    reset = 7
    server = scripted(
        httpx.Response(429, headers={"RateLimit": f'"api";r=0;t={reset}'}, json={"error": "slow down"}),
        ok_page(3),
    )
    slept: list[float] = []
    walk = run(server, paging.OffsetLimit(10), sleep=slept.append)
    assert walk.complete
    assert slept == [reset + 1]  # huggingface_hub's rule: the reset, plus one second
    assert (walk.requests, walk.retries, walk.slept) == (2, 1, reset + 1)
    assert len(walk.pages) == 1


@pytest.mark.usefixtures("forbid_real_sleep")
@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(status: int) -> None:
    after = 3
    server = scripted(httpx.Response(status, headers={"Retry-After": str(after)}), ok_page(2))
    slept: list[float] = []
    walk = run(server, paging.OffsetLimit(10), sleep=slept.append)
    assert walk.complete
    assert slept == [after + 1]


def test_rate_limit_reset_beyond_give_up_is_not_waited() -> None:
    settings = paging.WalkSettings(give_up_after=60)
    reset = int(settings.give_up_after) * 2
    server = scripted(httpx.Response(429, headers={"RateLimit": f"r=0;t={reset}"}), ok_page(1))
    walk = run(server, paging.OffsetLimit(10), settings=settings)
    assert isinstance(walk.error, RateLimitedError)
    assert walk.requests == 1


@given(max_retries=st.integers(min_value=0, max_value=6))
def test_server_error_storm_gives_up_after_max_retries(max_retries: int) -> None:
    policy = RetryPolicy(max_retries=max_retries)
    server = scripted(httpx.Response(503, json={"error": "overloaded"}))
    slept: list[float] = []
    walk = run(server, paging.OffsetLimit(10), settings=paging.WalkSettings(retry=policy), sleep=slept.append)
    assert isinstance(walk.error, ServerError)
    assert walk.error.status == 503
    assert "overloaded" in str(walk.error)
    assert walk.requests == len(server.seen) == max_retries + 1
    expected = [min(policy.base_wait * 2**k, policy.max_wait) for k in range(max_retries)]
    assert slept == expected
    assert walk.pages == []


def test_client_error_is_not_retried() -> None:
    server = scripted(httpx.Response(400, json={"error": {"message": "invalid sort"}}))
    walk = run(server, paging.OffsetLimit(10))
    assert isinstance(walk.error, ClientError)
    assert "invalid sort" in str(walk.error)
    assert walk.requests == 1


def test_transport_errors_are_retried_then_succeed() -> None:
    server = scripted(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), ok_page(4))
    slept: list[float] = []
    walk = run(server, paging.OffsetLimit(10), sleep=slept.append)
    assert walk.complete
    assert len(slept) == walk.retries == 2
    assert len(walk.items) == 4


@given(max_retries=st.integers(min_value=0, max_value=5))
def test_transport_errors_outliving_the_policy(max_retries: int) -> None:
    server = scripted(httpx.ConnectError("refused"))
    slept: list[float] = []
    settings = paging.WalkSettings(retry=RetryPolicy(max_retries=max_retries))
    walk = run(server, paging.OffsetLimit(10), settings=settings, sleep=slept.append)
    assert isinstance(walk.error, TransportError)
    assert walk.requests == len(server.seen) == max_retries + 1
    assert len(slept) == max_retries


# --- unusable bodies --------------------------------------------------------------------------------------

BROKEN_BODIES = {
    "malformed json": (httpx.Response(200, text='{"data": [', headers={"content-type": "application/json"}),
                       MalformedResponseError),
    "html page": (httpx.Response(200, text="<html><body>502 Bad Gateway</body></html>",
                                 headers={"content-type": "text/html"}), HtmlErrorPageError),
    "html as json": (httpx.Response(200, text="  <!doctype html><p>maintenance</p>",
                                    headers={"content-type": "application/json"}), HtmlErrorPageError),
    "no data field": (httpx.Response(200, json={"models": []}), MalformedResponseError),
    "non-object rows": (httpx.Response(200, json={"data": ["a", "b"]}), MalformedResponseError),
    "empty body": (httpx.Response(200, text=""), MalformedResponseError),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BROKEN_BODIES))
def test_unusable_body_is_a_typed_error(case: str) -> None:
    response, error_type = BROKEN_BODIES[case]
    walk = run(scripted(response), paging.OffsetLimit(10))
    assert not walk.complete
    assert type(walk.error) is error_type
    assert walk.pages == []


FAILURES: dict[str, tuple[Callable[[], Server], type[Exception]]] = {
    "loop": (lambda: Server(lambda r: httpx.Response(200, json={"data": catalog(10)})), PaginationLoopError),
    "503": (lambda: scripted(httpx.Response(503)), ServerError),
    "404": (lambda: scripted(httpx.Response(404)), ClientError),
    "html": (lambda: scripted(httpx.Response(200, text="<html/>")), HtmlErrorPageError),
    "transport": (lambda: scripted(httpx.ConnectError("down")), TransportError),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_walk_never_raises_and_iter_pages_does(case: str) -> None:
    make, error_type = FAILURES[case]
    settings = paging.WalkSettings(retry=NO_RETRY)
    walk = run(make(), paging.OffsetLimit(10), settings=settings)
    assert walk.complete is False
    assert isinstance(walk.error, error_type)
    assert walk.stop_reason == error_type.__name__
    with make().client() as client, pytest.raises(error_type):
        for _ in paging.iter_pages(
            client, URL, pagination=paging.OffsetLimit(10), extract=DATA, settings=settings, sleep=no_sleep
        ):
            pass


# --- drifting sort keys -----------------------------------------------------------------------------------


def test_drifting_keyset_completes_and_dedup_removes_the_repeats() -> None:
    """A keyset server (``after=<score>``) whose scores change between requests: a model already returned
    sinks below the cursor and is listed again. No page repeats, so the walk completes; the repeat is the
    caller's to remove, and the merge's dedup does."""
    size = 3
    scores = {f"m{i}": 100 - 10 * i for i in range(10)}
    sinker = "m1"  # on the first page, then drops between m3 and m4
    requests = 0

    def keyset(request: httpx.Request) -> httpx.Response:
        nonlocal requests
        requests += 1
        if requests == 2:
            scores[sinker] = (scores["m3"] + scores["m4"]) // 2
        after = request.url.params.get("after")
        ranked = sorted(scores.items(), key=lambda pair: -pair[1])
        rows = [name for name, score in ranked if after is None or score < int(after)][:size]
        headers = {}
        if len(rows) == size and rows[-1] != ranked[-1][0]:
            headers["Link"] = f'<{URL}?after={scores[rows[-1]]}>; rel="next"'
        return httpx.Response(200, json=[{"id": name} for name in rows], headers=headers)

    walk = run(Server(keyset), paging.LinkHeader(limit=size), extract=paging.bare_array)
    ids = ids_of(walk.items)
    assert walk.complete, walk.error
    assert ids.count(sinker) == 2
    assert set(ids) == set(scores)
    merged = merge({"hub": [ModelRecord(id=i, gateway="hub") for i in ids]})
    assert merged.ids() == sorted(scores)
    assert merged.stats.duplicates["hub"] == len(ids) - len(scores)


# --- async driver -----------------------------------------------------------------------------------------


def test_async_walk_matches_sync_walk() -> None:
    items = catalog(23)
    server = offset_server(items, envelope="has_more", cap=5)
    sync = run(server, paging.OffsetLimit(10))

    async def go() -> paging.Walk:
        async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as client:
            return await paging.awalk(client, URL, pagination=paging.OffsetLimit(10), extract=DATA)

    result = asyncio.run(go())
    assert result.complete
    assert ids_of(result.items) == ids_of(sync.items) == ids_of(items)
    assert [page.url for page in result.pages] == [page.url for page in sync.pages]


def test_pages_keep_status_headers_and_body() -> None:
    server = Server(lambda r: httpx.Response(200, json={"data": catalog(2), "total": 2}, headers={"ETag": '"v1"'}))
    walk = run(server, paging.OffsetLimit(10))
    (page,) = walk.pages
    assert page.status == 200
    assert page.headers["etag"] == '"v1"'
    assert json.loads(json.dumps(page.body)) == {"data": catalog(2), "total": 2}
    assert page.next_url is None
