"""Pagination walkers with guards.

A *pagination* says two things: the URL of the first page and, given a page, the URL of the next one (or
``None``). Five are needed for the upstreams a gateway reads:

- :class:`LinkHeader`: the Hub's cursor in ``Link: <...>; rel="next"`` (parsed by httpx itself);
- :class:`OffsetLimit`: ``offset``/``limit`` (a gateway's ``/v1/models``, Portkey);
- :class:`PageToken`: ``pageToken``/``nextPageToken`` (Google, Fireworks' control plane);
- :class:`PageNumber`: ``page``/``per_page`` (Featherless, 2026 docs);
- :class:`Single`: one response holds everything.

The *walk* drives any of them and enforces what real gateway code got wrong: a request budget, a page whose ids
equal an earlier page's (the Hub ignores ``offset``: the same first page forever), a next URL seen before, a next
link to another host (credentials would follow it), and a short page that is not the end (no early stop). Every
upstream failure becomes a typed error; :func:`walk` turns one into an explicit incomplete :class:`Walk`, never
into a shorter list.

The walk itself is written once, sans-IO, as a generator of actions (send this URL, sleep this long, here is a
page); :func:`iter_pages` and :func:`aiter_pages` are the sync and async drivers around it.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, Required, TypedDict, Unpack

import httpx

from catalog_guard.errors import (
    CatalogGuardError,
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
    UpstreamError,
)
from catalog_guard.records import any_id
from catalog_guard.retry import RetryPolicy

Item = dict[str, Any]
Extract = Callable[[Any], list[Item]]
IdOf = Callable[[Mapping[str, Any]], str | None]
Sleep = Callable[[float], object]


def bare_array(body: Any) -> list[Item]:
    """Envelope of the Hub, Together and DeepInfra's native list: the body *is* the list."""
    if not isinstance(body, list):
        raise MalformedResponseError(f"expected a JSON array, got {type(body).__name__}")
    return _objects(body)


def field_list(name: str) -> Extract:
    """Envelope ``{"<name>": [...]}``: ``data`` for OpenAI-style lists, ``models`` for Google-style ones."""

    def extract(body: Any) -> list[Item]:
        if not isinstance(body, dict) or not isinstance(body.get(name), list):
            raise MalformedResponseError(f"expected an object with a {name!r} array")
        return _objects(body[name])

    extract.__name__ = f"field_list_{name}"
    return extract


def _objects(rows: list[Any]) -> list[Item]:
    if not all(isinstance(row, dict) for row in rows):
        raise MalformedResponseError("expected every list entry to be a JSON object")
    return rows


class Pagination(Protocol):
    """First URL, and next URL given the page just read."""

    name: ClassVar[str]

    def first_url(self, url: httpx.URL) -> httpx.URL: ...

    def next_url(self, url: httpx.URL, response: httpx.Response, body: Any, items: list[Item]) -> httpx.URL | None: ...


@dataclass(frozen=True)
class Single:
    """One response is the whole catalog."""

    name: ClassVar[str] = "single"

    def first_url(self, url: httpx.URL) -> httpx.URL:
        return url

    def next_url(self, url: httpx.URL, response: httpx.Response, body: Any, items: list[Item]) -> httpx.URL | None:
        return None


@dataclass(frozen=True)
class LinkHeader:
    """Follow ``Link: <url>; rel="next"`` verbatim until it is absent (huggingface_hub's ``paginate``)."""

    limit: int | None = 1000
    limit_param: str = "limit"
    name: ClassVar[str] = "link"

    def first_url(self, url: httpx.URL) -> httpx.URL:
        return url.copy_set_param(self.limit_param, self.limit) if self.limit is not None else url

    def next_url(self, url: httpx.URL, response: httpx.Response, body: Any, items: list[Item]) -> httpx.URL | None:
        target = response.links.get("next", {}).get("url")
        return url.join(target) if target else None


@dataclass(frozen=True)
class OffsetLimit:
    """``offset`` advances by the number of items actually returned; the walk ends on an empty page, on
    ``has_more: false``, or when ``total`` is reached. A short page is not an end (that was the 101-model bug)."""

    limit: int = 100
    limit_param: str = "limit"
    offset_param: str = "offset"
    name: ClassVar[str] = "offset"

    def first_url(self, url: httpx.URL) -> httpx.URL:
        return url.copy_set_param(self.limit_param, self.limit).copy_set_param(self.offset_param, 0)

    def next_url(self, url: httpx.URL, response: httpx.Response, body: Any, items: list[Item]) -> httpx.URL | None:
        if not items:
            return None
        offset = int_param(url, self.offset_param) or 0
        following = offset + len(items)
        if isinstance(body, dict):
            if body.get("has_more") is False:
                return None
            next_offset = body.get("next_offset")
            if body.get("has_more") is True and isinstance(next_offset, int) and not isinstance(next_offset, bool):
                following = next_offset
            total = body.get("total")
            if isinstance(total, int) and not isinstance(total, bool) and following >= total:
                return None
        return url.copy_set_param(self.offset_param, following)


@dataclass(frozen=True)
class PageToken:
    """Google AIP-158 paging: send ``pageToken`` from the previous body's ``nextPageToken``."""

    page_size: int | None = None
    size_param: str = "pageSize"
    token_param: str = "pageToken"
    token_field: str = "nextPageToken"
    name: ClassVar[str] = "page-token"

    def first_url(self, url: httpx.URL) -> httpx.URL:
        return url.copy_set_param(self.size_param, self.page_size) if self.page_size is not None else url

    def next_url(self, url: httpx.URL, response: httpx.Response, body: Any, items: list[Item]) -> httpx.URL | None:
        token = body.get(self.token_field) if isinstance(body, dict) else None
        return url.copy_set_param(self.token_param, token) if token else None


@dataclass(frozen=True)
class PageNumber:
    """``page``/``per_page``; ends on an empty page or at ``pagination.total_pages`` when the body says it."""

    per_page: int = 100
    page_param: str = "page"
    size_param: str = "per_page"
    first_page: int = 1
    name: ClassVar[str] = "page-number"

    def first_url(self, url: httpx.URL) -> httpx.URL:
        return url.copy_set_param(self.size_param, self.per_page).copy_set_param(self.page_param, self.first_page)

    def next_url(self, url: httpx.URL, response: httpx.Response, body: Any, items: list[Item]) -> httpx.URL | None:
        if not items:
            return None
        requested = int_param(url, self.page_param)
        page = requested if requested is not None else self.first_page
        meta = body.get("pagination") if isinstance(body, dict) else None
        total_pages = meta.get("total_pages") if isinstance(meta, dict) else None
        if isinstance(total_pages, int) and page - self.first_page + 1 >= total_pages:
            return None
        return url.copy_set_param(self.page_param, page + 1)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """Scheme, host and effective port: a next link may not change any of them (an ``http://`` link from an
    ``https://`` walk would send the bearer token in clear)."""
    return url.scheme, url.host, url.port or {"https": 443, "http": 80}.get(url.scheme)


def without_userinfo(url: httpx.URL) -> str:
    """``url`` as text, any ``user:password@`` replaced by ``<REDACTED>@``: the form a link is named in."""
    if not url.userinfo:
        return str(url)
    return str(url.copy_with(username=None, password=None)).replace("://", "://<REDACTED>@", 1)


def int_param(url: httpx.URL, name: str, default: int | None = 0) -> int | None:
    """An integer query parameter, ``default`` when absent or not an integer."""
    value = url.params.get(name)
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


@dataclass(frozen=True)
class Page:
    """One response of a walk, kept whole so that contract checks can look at status, headers and body."""

    index: int
    url: str
    status: int
    headers: dict[str, str]
    body: Any
    items: list[Item]
    next_url: str | None
    elapsed: float | None = None  # seconds from sending the request to its body read (the try that succeeded)

    def ids(self, id_of: IdOf = any_id) -> list[str | None]:
        return [id_of(item) for item in self.items]


@dataclass
class Walk:
    """Everything a walk saw. ``complete`` is true only if the pagination itself said "no next page"."""

    pagination: str
    pages: list[Page] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    slept: float = 0.0
    complete: bool = False
    error: CatalogGuardError | None = None

    @property
    def items(self) -> list[Item]:
        return [item for page in self.pages for item in page.items]

    @property
    def stop_reason(self) -> str:
        return stop_reason(self.complete, self.error)


def stop_reason(complete: bool, error: CatalogGuardError | None, *, truncated: bool = False) -> str:
    """Why a walk (or a fetch made of walks) ended, the one wording every result uses: ``end`` when complete, else
    the class name of the error that ended it (``PaginationLoopError``, ``ServerError``, ...), else ``truncated``
    when a next page was ignored, else ``unfinished``."""
    if complete:
        return "end"
    if error is not None:
        return type(error).__name__
    return "truncated" if truncated else "unfinished"


@dataclass(frozen=True)
class WalkSettings:
    """The knobs of a walk that do not depend on the upstream."""

    budget: int = 50
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    give_up_after: float = 300.0
    allow_foreign_hosts: bool = False
    detect_repeated_pages: bool = True


@dataclass(frozen=True)
class _Send:
    url: httpx.URL


@dataclass(frozen=True)
class _Sleep:
    seconds: float


@dataclass(frozen=True)
class _Yield:
    page: Page


_Action = _Send | _Sleep | _Yield
_Reply = httpx.Response | httpx.RequestError | TransportError | None
Clock = Callable[[], float]
ELAPSED = "catalog_guard.elapsed"  # the extension a driver stores a response's measured latency under


def timed_get(
    client: httpx.Client, url: httpx.URL | str, headers: Mapping[str, str] | None, clock: Clock
) -> httpx.Response:
    """``client.get`` with the seconds it took (to the last byte of the body) stored in the response's
    extensions, read on ``clock`` (``time.perf_counter``, or a simulated clock in tests)."""
    started = clock()
    response = client.get(url, headers=dict(headers or {}))
    response.extensions[ELAPSED] = clock() - started
    return response


def elapsed_of(response: httpx.Response) -> float | None:
    value = response.extensions.get(ELAPSED)
    return float(value) if isinstance(value, (int, float)) else None


def _walk_protocol(
    start: httpx.URL,
    pagination: Pagination,
    extract: Extract,
    id_of: IdOf,
    settings: WalkSettings,
    walk: Walk,
) -> Generator[_Action, _Reply, None]:
    """The whole walk as a sans-IO generator: it yields what to do and receives what happened."""
    url = pagination.first_url(start)
    seen_urls: set[str] = set()
    seen_pages: dict[tuple[str | None, ...], int] = {}
    index = 0
    while True:
        seen_urls.add(str(url))
        response = yield from _fetch_with_retry(url, settings, walk)
        body, items = interpret(response, extract)
        following = pagination.next_url(url, response, body, items)
        page = Page(
            index=index,
            url=str(url),
            status=response.status_code,
            headers={key.lower(): value for key, value in response.headers.items()},
            body=body,
            items=items,
            next_url=without_userinfo(following) if following is not None else None,
            elapsed=elapsed_of(response),
        )
        walk.pages.append(page)
        yield _Yield(page)
        ids = tuple(page.ids(id_of))
        if settings.detect_repeated_pages and ids:
            if ids in seen_pages:
                raise PaginationLoopError(
                    f"page {index} ({url}) repeats the {len(ids)} ids of page {seen_pages[ids]}: "
                    "the upstream ignores this pagination parameter",
                )
            seen_pages[ids] = index
        if following is None:
            walk.complete = True
            return
        if following.userinfo:
            raise CredentialsInLinkError(
                f"next link {without_userinfo(following)} carries credentials; refusing to send them in place of "
                "the caller's own"
            )
        if _origin(following) != _origin(start) and not settings.allow_foreign_hosts:
            raise ForeignHostError(
                f"next link {following} leaves {start.scheme}://{start.netloc.decode()}; refusing to send "
                "credentials to another scheme, host or port"
            )
        if str(following) in seen_urls:
            raise PaginationLoopError(f"next link {following} was already visited")
        url = following
        index += 1


def _fetch_with_retry(url: httpx.URL, settings: WalkSettings, walk: Walk) -> Generator[_Action, _Reply, httpx.Response]:
    retry = 0
    while True:
        if walk.requests >= settings.budget:
            raise RequestBudgetExceeded(f"request budget of {settings.budget} spent before {url} could be read")
        walk.requests += 1
        reply = yield _Send(url)
        if isinstance(reply, httpx.Response) and reply.is_success:
            return reply
        retry += 1
        if isinstance(reply, httpx.RequestError | TransportError):
            delay = settings.retry.delay_after_transport_error(retry)
            if delay is None:
                if isinstance(reply, TransportError):
                    raise reply
                raise TransportError(f"{type(reply).__name__} for {url}: {reply}", url=str(url)) from reply
        else:
            assert reply is not None
            delay = settings.retry.delay(reply, retry)
            if delay is None or delay > settings.give_up_after:
                raise status_error(reply, retries=retry - 1, wanted_delay=delay)
        walk.retries += 1
        walk.slept += delay
        yield _Sleep(delay)


def interpret(response: httpx.Response, extract: Extract) -> tuple[Any, list[Item]]:
    """Parse a successful response into ``(body, items)`` or raise the typed error that says why not.

    JSON is parsed from the bytes (JSON is UTF-8), so no decoded copy of a large body is kept beside it; a body
    nested too deep for the parser (``RecursionError``) is malformed, like any other unusable body.
    """
    content = response.content
    content_type = response.headers.get("content-type", "")
    if "html" in content_type or content.lstrip()[:1] == b"<":
        raise HtmlErrorPageError(
            f"{response.request.url} answered {response.status_code} with an HTML page, not JSON",
            url=str(response.request.url),
            status=response.status_code,
        )
    try:
        body = parse_json(content)
    except ValueError as error:
        raise MalformedResponseError(
            f"{response.request.url} answered {response.status_code} with malformed JSON: {error}",
            url=str(response.request.url),
            status=response.status_code,
        ) from error
    try:
        return body, extract(body)
    except MalformedResponseError as error:
        raise MalformedResponseError(
            f"{response.request.url}: {error}", url=str(response.request.url), status=response.status_code
        ) from error


def parse_json(content: bytes | str) -> Any:
    """``json.loads`` that raises ``ValueError`` for every unusable body, also one nested too deep to parse."""
    try:
        return json.loads(content)
    except RecursionError:
        raise ValueError("JSON nested too deep to parse") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8 JSON: {error}") from None


def status_error(response: httpx.Response, *, retries: int = 0, wanted_delay: float | None = None) -> UpstreamError:
    """The typed error for a non-2xx response, with the upstream's own message when it gave one."""
    status = response.status_code
    url = str(response.request.url)
    detail = _error_detail(response)
    after = f" after {retries} retries" if retries else ""
    if status == 429:
        waiting = f"; the reset is {wanted_delay:.0f}s away" if wanted_delay else ""
        return RateLimitedError(f"429 from {url}{after}{waiting}: {detail}", url=url, status=status)
    if status >= 500:
        return ServerError(f"{status} from {url}{after}: {detail}", url=url, status=status)
    return ClientError(f"{status} from {url}: {detail}", url=url, status=status)


def _error_detail(response: httpx.Response) -> str:
    message = response.headers.get("x-error-message")
    if message:
        return str(message)
    try:
        body = parse_json(response.content)
    except ValueError:
        snippet = response.text.strip().replace("\n", " ")
        return snippet[:120] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("error", "message", "detail"):
            value = body.get(key)
            if isinstance(value, str):
                return value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])
    return " ".join(response.content[:120].decode("utf-8", "replace").split())


class WalkOptions(TypedDict, total=False):
    """What a walk asks besides its client, its first URL, how it waits and the :class:`Walk` it fills in: the
    keyword arguments of :func:`iter_pages`, :func:`walk` and their async twins, typed once, so that a caller
    (a provider's spec, a gateway's listing) builds them as one checked value. ``pagination`` and ``extract``
    are required; ``id_of`` defaults to :func:`~catalog_guard.records.any_id`, ``settings`` to
    :class:`WalkSettings`, ``clock`` (what a response's latency is read on) to ``time.perf_counter``."""

    pagination: Required[Pagination]
    extract: Required[Extract]
    params: Mapping[str, Any] | None
    headers: Mapping[str, str] | None
    id_of: IdOf
    settings: WalkSettings | None
    clock: Clock


def _begin(
    url: str | httpx.URL, walk: Walk | None, options: WalkOptions
) -> tuple[Walk, Generator[_Action, _Reply, None]]:
    """The walk to fill in and the sans-IO protocol that drives it, for either driver."""
    walk = walk if walk is not None else Walk(options["pagination"].name)
    protocol = _walk_protocol(
        _start(url, options.get("params")),
        options["pagination"],
        options["extract"],
        options.get("id_of", any_id),
        options.get("settings") or WalkSettings(),
        walk,
    )
    return walk, protocol


def iter_pages(
    client: httpx.Client,
    url: str | httpx.URL,
    *,
    sleep: Sleep = time.sleep,
    walk: Walk | None = None,
    **options: Unpack[WalkOptions],
) -> Iterator[Page]:
    """Yield pages as they arrive; raise a typed error the moment the walk cannot be trusted."""
    walk, protocol = _begin(url, walk, options)
    headers, clock = options.get("headers"), options.get("clock", time.perf_counter)
    reply: _Reply = None
    while True:
        try:
            action = protocol.send(reply)
        except StopIteration:
            return
        reply = None
        if isinstance(action, _Send):
            try:
                reply = timed_get(client, action.url, headers, clock)
            except (httpx.RequestError, TransportError) as error:  # transport trouble, bad encodings, redirects
                reply = error
        elif isinstance(action, _Sleep):
            sleep(action.seconds)
        else:
            yield action.page


async def aiter_pages(
    client: httpx.AsyncClient,
    url: str | httpx.URL,
    *,
    sleep: Callable[[float], Any] | None = None,
    walk: Walk | None = None,
    **options: Unpack[WalkOptions],
) -> AsyncIterator[Page]:
    """The async twin of :func:`iter_pages`; ``sleep`` may be sync or async (default ``asyncio.sleep``)."""
    import asyncio
    import inspect

    walk, protocol = _begin(url, walk, options)
    headers, clock = options.get("headers"), options.get("clock", time.perf_counter)
    reply: _Reply = None
    while True:
        try:
            action = protocol.send(reply)
        except StopIteration:
            return
        reply = None
        if isinstance(action, _Send):
            try:
                started = clock()
                reply = await client.get(action.url, headers=dict(headers or {}))
                reply.extensions[ELAPSED] = clock() - started
            except (httpx.RequestError, TransportError) as error:  # transport trouble, bad encodings, redirects
                reply = error
        elif isinstance(action, _Sleep):
            result = (sleep or asyncio.sleep)(action.seconds)
            if inspect.isawaitable(result):
                await result
        else:
            yield action.page


def _start(url: str | httpx.URL, params: Mapping[str, Any] | None) -> httpx.URL:
    start = httpx.URL(url)
    return start.copy_merge_params(dict(params)) if params else start


def walk(
    client: httpx.Client, url: str | httpx.URL, *, sleep: Sleep = time.sleep, **options: Unpack[WalkOptions]
) -> Walk:
    """Run a whole walk; a typed error ends it as an incomplete :class:`Walk` that carries the error."""
    result = Walk(options["pagination"].name)
    try:
        for _ in iter_pages(client, url, sleep=sleep, walk=result, **options):
            pass
    except CatalogGuardError as error:
        result.error = error
    return result


async def awalk(
    client: httpx.AsyncClient,
    url: str | httpx.URL,
    *,
    sleep: Callable[[float], Any] | None = None,
    **options: Unpack[WalkOptions],
) -> Walk:
    """The async twin of :func:`walk`."""
    result = Walk(options["pagination"].name)
    try:
        async for _ in aiter_pages(client, url, sleep=sleep, walk=result, **options):
            pass
    except CatalogGuardError as error:
        result.error = error
    return result
