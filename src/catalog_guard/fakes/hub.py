"""FakeHub: the Hugging Face Hub's ``GET /api/models`` as ``docs/upstreams.md`` describes it, with fault injection.

Why a simulator and not recorded pages: every historical fetcher bug (docs/contract.md §2, F1-F8) came from
a *behaviour* of the Hub (``offset`` silently ignored, a 1,000-item page with a cursor in ``Link``, a 400 for
``sort=trending``, keyset pages over counts that move between requests). A replay of the pages a correct client
saw cannot show what an incorrect one would have seen; a handler that behaves like the Hub can.

What it does, with the spec's sections (see Appendix A there for the algorithm):

- a JSON array body, no envelope (§H0.1); ``Link: <absolute url>; rel="next"`` carrying the original query in
  its original order plus a ``cursor`` that replaces any earlier one, and no ``Link`` on the last page (§H1.2);
- the cursor is keyset on (sort field descending, nulls last, ``_id`` ascending), base64 of the same
  ``{"$or": [...]}`` filter production sends (§H1.3). The listing is re-sorted from the *current* counts on every
  request, so :attr:`FakeHub.drift` between requests repeats a model whose count dropped and skips one whose
  count rose, as the real keyset does;
- ``offset`` ignored (§H1.5); ``skip``, page size and the ``limit`` cap are :class:`HubSettings` because the spec
  could not confirm them (§H1.4, §H1.5, §H7);
- the valid sorts of §H2.3 and the 400 for anything else; ``direction`` accepted and ignored;
- the filters of §H2.2, the default / ``full`` / ``expand`` shapes of §H3;
- ``RateLimit``/``RateLimit-Policy`` on every response and a 429 when the fixed-window quota is spent (§H4.1),
  on a virtual clock that only :meth:`FakeHub.advance` moves (pass ``sleep=hub.advance`` to a walk and its
  waits really reset the window);
- scripted faults (:class:`HubFault`, :meth:`FakeHub.inject`) and a log of every request (:attr:`FakeHub.requests`).

Nothing reads a real clock or an unseeded random source: the same script gives the same bytes.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import math
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, unquote_plus

import httpx

from catalog_guard.gateways import HUB_URL

if TYPE_CHECKING:
    from catalog_guard.universe import Universe

Model = dict[str, Any]
Drift = Mapping[int, Mapping[str, Mapping[str, int | float]]]

LIST_PATH = "/api/models"

VALID_SORTS = frozenset(
    {
        "trendingScore", "downloads", "likes", "createdAt", "lastModified",
        "likes7d", "likes30d", "num_parameters", "mainSize", "id",
    }
)  # fmt: skip
DEFAULT_SORT = "trendingScore"

# huggingface_hub's ExpandModelProperty_T plus the two values other clients send (§H2.4).
EXPANDABLE = frozenset(
    {
        "author", "baseModels", "cardData", "childrenModelCount", "config", "createdAt", "disabled",
        "downloads", "downloadsAllTime", "evalResults", "gated", "gguf", "inference",
        "inferenceProviderMapping", "lastModified", "library_name", "likes", "mask_token", "model-index",
        "pipeline_tag", "private", "resourceGroup", "safetensors", "sha", "siblings", "spaces", "tags",
        "transformersInfo", "trendingScore", "usedStorage", "widgetData", "gitalyUid", "xetEnabled",
    }
)  # fmt: skip

DEFAULT_KEYS = (
    "_id", "id", "likes", "trendingScore", "private", "downloads", "tags",
    "pipeline_tag", "library_name", "createdAt", "modelId",
)  # fmt: skip
OMITTED_WHEN_UNSET = frozenset({"pipeline_tag", "library_name"})
FULL_KEYS = ("author", "sha", "lastModified", "gated", "disabled", "siblings")
TRUE_VALUES = frozenset({"true", "True", "1"})

FaultKind = Literal["status", "rate_limited", "malformed", "html", "link_loop"]


@dataclass(frozen=True)
class HubSettings:
    """Every behaviour of the fake that the spec marks uncertain is a setting here, with the spec's default.

    - ``default_page_size``: items per page without ``limit`` (1000 today, 10,000 in Dec 2022; §H1.4).
    - ``page_cap`` / ``over_cap``: the largest page, and what a larger ``limit`` gets: ``"clamp"`` (the spec's
      recommendation: serve ``page_cap`` and keep paginating) or ``"reject"`` (a 400). Unverified either way.
    - ``honour_skip``: ``skip`` is claimed by two third parties, unconfirmed by HF; when on, it skips that many
      rows after filtering and sorting, on a first page only (a cursor already says where to resume).
    - ``quota_anonymous`` / ``quota_token`` / ``window``: the fixed-window ``api`` quota (500 per IP, 1000 for a
      free account, 300 s; §H4.1). ``retry_after_on_429`` adds the ``Retry-After`` the Hub usually omits.
    - ``tokens``: ``None`` accepts any bearer token (no identity, so no private models); a mapping of token to
      user name rejects any other token with a 401 and shows each user their own private models.
    - ``expand_with_full``: the server's answer to ``expand`` together with ``full``/``config``/``cardData``
      was never observed (§H7.4): ``"expand"`` lets ``expand`` win, ``"reject"`` answers 400.
    """

    base_url: str = HUB_URL
    default_page_size: int = 1000
    page_cap: int = 1000
    over_cap: Literal["clamp", "reject"] = "clamp"
    honour_skip: bool = False
    quota_anonymous: int = 500
    quota_token: int = 1000
    window: int = 300
    retry_after_on_429: bool = False
    tokens: Mapping[str, str] | None = None
    expand_with_full: Literal["expand", "reject"] = "expand"


@dataclass(frozen=True)
class HubFault:
    """One scripted misbehaviour. Build them with the class methods; script them with :meth:`FakeHub.inject`."""

    kind: FaultKind
    status: int = 200
    reset: int = 60
    retry_after: int | None = None

    @classmethod
    def server_error(cls, status: int = 503) -> HubFault:
        """A JSON error with ``status`` (500/502/503/504, or any other status a test needs)."""
        return cls("status", status=status)

    @classmethod
    def rate_limited(cls, reset: int = 60, retry_after: int | None = None) -> HubFault:
        """A 429 whose ``RateLimit`` says ``r=0;t=<reset>``, optionally with ``Retry-After``."""
        return cls("rate_limited", status=429, reset=reset, retry_after=retry_after)

    @classmethod
    def malformed(cls) -> HubFault:
        """A 200 ``application/json`` whose body is the real page cut in half."""
        return cls("malformed")

    @classmethod
    def html(cls, status: int = 200) -> HubFault:
        """A proxy's HTML page (``text/html``) instead of JSON; 200 by default, as a captive proxy sends it."""
        return cls("html", status=status)

    @classmethod
    def link_loop(cls) -> HubFault:
        """The real page, but its ``Link`` points back at the first URL this hub served."""
        return cls("link_loop")


_HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>502 Bad Gateway</h1><p>The proxy could not reach the origin.</p></body></html>\n"
)

URLMatch = str | re.Pattern[str] | Callable[[httpx.URL], bool]


@dataclass
class _Script:
    fault: HubFault
    at: frozenset[int] | None
    match: URLMatch | None
    left: int | None

    def applies(self, number: int, url: httpx.URL) -> bool:
        if self.left == 0 or (self.at is not None and number not in self.at):
            return False
        if self.match is None:
            return True
        if isinstance(self.match, str):
            return self.match in str(url)
        if isinstance(self.match, re.Pattern):
            return self.match.search(str(url)) is not None
        return self.match(url)


@dataclass(frozen=True)
class ServedRequest:
    """One request as the hub saw it, so tests can count requests and check what was sent."""

    number: int
    method: str
    url: str
    authorization: str | None
    status: int
    fault: FaultKind | None = None


class BadRequest(Exception):
    """A request the Hub answers with a 4xx and its ``{"error": ...}`` message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Cursor:
    """Where a keyset page resumes: strictly after ``(value, _id)`` in the order of ``field``."""

    field: str
    value: Any
    after_id: str

    def encode(self) -> str:
        """Base64 of the ``$or`` filter production sends (docs/upstreams.md §H1.3); the null clause only while the
        cursor is still among non-null values."""
        clauses: list[dict[str, Any]] = [{self.field: self.value, "_id": {"$gt": self.after_id}}]
        if self.value is not None:
            clauses += [{self.field: {"$lt": self.value}}, {self.field: None}]
        raw = json.dumps({"$or": clauses}, separators=(",", ":"))
        return base64.b64encode(raw.encode()).decode()

    @classmethod
    def decode(cls, token: str, field: str) -> Cursor:
        """Read a cursor this fake made; anything else (or one made for another sort) is a 400."""
        try:
            padded = token + "=" * (-len(token) % 4)
            first = json.loads(base64.b64decode(padded, validate=True))["$or"][0]
            after_id = first["_id"]["$gt"]
            value = first[field]
        except (ValueError, KeyError, IndexError, TypeError) as error:
            raise BadRequest("Invalid cursor") from error
        if not isinstance(after_id, str):
            raise BadRequest("Invalid cursor")
        return cls(field, value, after_id)

    def admits(self, model: Mapping[str, Any]) -> bool:
        return comes_after(model.get(self.field), model["_id"], self.value, self.after_id)


def comes_after(value: Any, model_id: str, cursor_value: Any, cursor_id: str) -> bool:
    """The cursor's ``$or`` filter, literally: descending value, nulls last, ``_id`` ascending on ties.

    The listing order is defined by this same predicate (see :func:`_compare`), so the order and the cursor can
    never disagree.
    """
    if cursor_value is None:
        return value is None and model_id > cursor_id
    if value is None:
        return True
    return bool(value < cursor_value or (value == cursor_value and model_id > cursor_id))


def _compare(field: str, left: Mapping[str, Any], right: Mapping[str, Any]) -> int:
    if left["_id"] == right["_id"]:
        return 0
    return -1 if comes_after(right.get(field), right["_id"], left.get(field), left["_id"]) else 1


@dataclass(frozen=True)
class Query:
    """A parsed ``GET /api/models`` query (docs/upstreams.md §H2.2)."""

    sort: str
    providers: tuple[str, ...] = ()
    author: str | None = None
    search: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    pipeline_tag: str | None = None
    gated: bool | None = None
    warm: bool = False
    full: bool = False
    config: bool = False
    card_data: bool = False
    expand: tuple[str, ...] = ()
    page_size: int = 1000
    skip: int = 0
    cursor: Cursor | None = None

    @property
    def listing_key(self) -> tuple[Any, ...]:
        """What the ordered, filtered listing depends on (not the page, not the shape)."""
        return (
            self.sort,
            self.providers,
            self.author,
            self.search,
            self.tags,
            self.pipeline_tag,
            self.gated,
            self.warm,
        )


def parse_query(params: httpx.QueryParams, settings: HubSettings) -> Query:
    """Turn the query into a :class:`Query` or raise :class:`BadRequest` as the Hub would."""
    sort = params.get("sort") or DEFAULT_SORT
    if sort not in VALID_SORTS:
        raise BadRequest("Invalid sort parameter")
    expand = tuple(params.get_list("expand") + params.get_list("expand[]"))
    unknown = [value for value in expand if value not in EXPANDABLE]
    if unknown:
        raise BadRequest(f"Invalid expand parameter: {', '.join(unknown)}")
    full, config, card_data = (_flag(params, name) for name in ("full", "config", "cardData"))
    if expand and (full or config or card_data) and settings.expand_with_full == "reject":
        raise BadRequest("expand cannot be used if full, cardData or config are passed")
    gated = params.get("gated")
    cursor = params.get("cursor")
    return Query(
        sort=sort,
        providers=tuple(sorted(_comma_list(params, "inference_provider"))),
        author=params.get("author") or None,
        search=tuple(value.lower() for value in params.get_list("search") if value),
        tags=tuple(params.get_list("filter")),
        pipeline_tag=params.get("pipeline_tag") or None,
        gated=None if gated is None else gated in TRUE_VALUES,
        warm=params.get("inference") == "warm",
        full=full and not expand,
        config=config and not expand,
        card_data=card_data and not expand,
        expand=expand,
        page_size=_page_size(params.get("limit"), settings),
        skip=_int_param(params.get("skip"), "skip") if settings.honour_skip and not cursor else 0,
        cursor=Cursor.decode(cursor, sort) if cursor else None,
    )


def _flag(params: httpx.QueryParams, name: str) -> bool:
    return params.get(name) in TRUE_VALUES


def _comma_list(params: httpx.QueryParams, name: str) -> list[str]:
    """Python clients repeat the key, JavaScript ones comma-join the values: accept both (§H2.1)."""
    return [part.strip() for value in params.get_list(name) for part in value.split(",") if part.strip()]


def _int_param(value: str | None, name: str) -> int:
    if value is None or value == "":
        return 0
    try:
        number = int(value)
    except ValueError as error:
        raise BadRequest(f"Invalid {name} parameter") from error
    if number < 0:
        raise BadRequest(f"Invalid {name} parameter")
    return number


def _page_size(limit: str | None, settings: HubSettings) -> int:
    if limit is None or limit == "":
        return min(settings.default_page_size, settings.page_cap)
    size = _int_param(limit, "limit")
    if size < 1:
        raise BadRequest("Invalid limit parameter")
    if size > settings.page_cap and settings.over_cap == "reject":
        raise BadRequest(f"limit must be at most {settings.page_cap}")
    return min(size, settings.page_cap)


def _providers(model: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """``inferenceProviderMapping`` is a list in listings and a dict in ``model_info`` (§H3.4): accept both."""
    mapping = model.get("inferenceProviderMapping") or []
    if isinstance(mapping, Mapping):
        return [{"provider": name, **entry} for name, entry in mapping.items()]
    return list(mapping)


def matches(model: Mapping[str, Any], query: Query, user: str | None) -> bool:
    """Appendix A's filters: every one given must hold (AND), values within one filter are OR."""
    if model.get("private") and (user is None or _owner(model) != user):
        return False
    providers = {entry.get("provider") for entry in _providers(model)}
    if query.providers and not ("all" in query.providers and providers) and not providers & set(query.providers):
        return False
    if query.author is not None and _owner(model) != query.author:
        return False
    if any(term not in model["id"].lower() for term in query.search):
        return False
    if any(tag not in model.get("tags", ()) for tag in query.tags):
        return False
    if query.pipeline_tag is not None and model.get("pipeline_tag") != query.pipeline_tag:
        return False
    if query.gated is not None and bool(model.get("gated")) != query.gated:
        return False
    return not query.warm or _is_warm(model)


def _owner(model: Mapping[str, Any]) -> str:
    return str(model.get("author") or model["id"].split("/", 1)[0])


def _is_warm(model: Mapping[str, Any]) -> bool:
    return any(entry.get("status") == "live" for entry in _providers(model))


def project(model: Mapping[str, Any], query: Query) -> Model:
    """The object the Hub sends for ``model``: default keys, ``full`` keys, or only ``_id``, ``id`` + ``expand``."""
    if query.expand:
        shown: Model = {"_id": model["_id"], "id": model["id"]}
        for key in query.expand:
            value = _expanded(model, key)
            if value is not None:
                shown[key] = value
        return shown
    shown = {}
    for key in DEFAULT_KEYS:
        value = model.get("id") if key == "modelId" and "modelId" not in model else model.get(key)
        if value is not None or (key in model and key not in OMITTED_WHEN_UNSET):
            shown[key] = value
    if query.full:
        for key in FULL_KEYS:
            if key in model:
                shown[key] = _siblings(model) if key == "siblings" else model[key]
    if query.config and "config" in model:
        shown["config"] = model["config"]
    if query.card_data and "cardData" in model:
        shown["cardData"] = model["cardData"]
    return shown


def _expanded(model: Mapping[str, Any], key: str) -> Any:
    """An expanded property, or ``None`` when the model has none: the key is then absent, not null (§H3.3)."""
    if key == "inference":
        return "warm" if _is_warm(model) else None
    if key == "siblings":
        return _siblings(model) if "siblings" in model else None
    return model.get(key)


def _siblings(model: Mapping[str, Any]) -> list[dict[str, str]]:
    """List endpoints give file names only, never sizes or blob ids (§H3.2)."""
    return [{"rfilename": sibling["rfilename"]} for sibling in model.get("siblings") or []]


class FakeHub:
    """A handler for ``httpx`` (``MockTransport`` or :class:`~catalog_guard.fakes.transport.FakeInternet`) that
    serves ``GET /api/models`` from a list of full Hub model dicts.

    ``drift`` maps a request number *k* (1-based) to ``{model_id: {field: delta}}`` added right after request
    *k* is answered, whatever it was answered with; ``drift[0]`` is applied before the first request.
    """

    def __init__(
        self,
        models: Iterable[Mapping[str, Any]],
        *,
        settings: HubSettings | None = None,
        drift: Drift | None = None,
    ) -> None:
        self.settings = settings or HubSettings()
        self._models: dict[str, Model] = {}
        for model in models:
            if model["id"] in self._models:
                raise ValueError(f"model {model['id']!r} is listed twice")
            # Drift only ever replaces top-level numbers (`_apply_drift`) and nested values are read, never written,
            # so a shallow copy keeps the caller's models untouched. (A deep copy of 50,000 models cost ~0.1 s per
            # hub, and the fetcher scenarios build one per run.)
            self._models[model["id"]] = dict(model)
        self.drift: dict[int, dict[str, dict[str, int | float]]] = {
            step: {model_id: dict(changes) for model_id, changes in deltas.items()}
            for step, deltas in (drift or {}).items()
        }
        strangers = {model_id for deltas in self.drift.values() for model_id in deltas} - set(self._models)
        if strangers:
            raise ValueError(f"drift names models the hub does not have: {sorted(strangers)[:5]}")
        self.now = 0.0
        self.requests: list[ServedRequest] = []
        self._scripts: list[_Script] = []
        self._buckets: dict[str | None, tuple[int, int]] = {}
        self._listings: dict[tuple[Any, ...], list[Model]] = {}
        self._pages: dict[tuple[Query, str | None], tuple[bytes, Cursor | None]] = {}
        self._lock = threading.Lock()
        self._apply_drift(0)

    @classmethod
    def from_universe(
        cls, universe: Universe, *, with_drift: bool = False, settings: HubSettings | None = None
    ) -> FakeHub:
        """The universe's Hub; ``with_drift`` replays its between-request count changes (the seed-001 day)."""
        return cls(universe.hub_models, settings=settings, drift=universe.drift if with_drift else None)

    # -- what tests look at -------------------------------------------------------------------------------

    @property
    def request_count(self) -> int:
        return len(self.requests)

    @property
    def authorizations(self) -> list[str | None]:
        """The ``Authorization`` header of every request, in order (``None`` when absent)."""
        return [request.authorization for request in self.requests]

    def model(self, model_id: str) -> Model:
        """A copy of one model as it is now (after any drift so far)."""
        return copy.deepcopy(self._models[model_id])

    def first_url(self) -> str | None:
        """The first URL served: where :meth:`HubFault.link_loop` points back to."""
        return self.requests[0].url if self.requests else None

    # -- what tests do ------------------------------------------------------------------------------------

    def inject(
        self,
        fault: HubFault,
        *,
        at: int | Iterable[int] | None = None,
        match: URLMatch | None = None,
        times: int | None = None,
    ) -> FakeHub:
        """Answer with ``fault`` instead of the real page.

        ``at``: request numbers (1-based) it applies to; ``match``: a substring of the URL, a compiled regex, or
        a predicate on the URL; both given means both must hold, neither means every request. ``times`` caps
        how many requests it answers (``None``: no cap). The first script that applies wins.
        """
        numbers = frozenset([at] if isinstance(at, int) else at) if at is not None else None
        self._scripts.append(_Script(fault, numbers, match, times))
        return self

    def advance(self, seconds: float) -> None:
        """Move the virtual clock (the rate-limit window). Usable as a walk's ``sleep``."""
        with self._lock:
            self.now += seconds

    # -- the handler ---------------------------------------------------------------------------------------

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            number = len(self.requests) + 1
            authorization = request.headers.get("authorization")
            try:
                response, fault = self._answer(number, request, authorization)
            finally:
                self._apply_drift(number)
            self.requests.append(
                ServedRequest(number, request.method, str(request.url), authorization, response.status_code, fault)
            )
            return response

    def _answer(
        self, number: int, request: httpx.Request, authorization: str | None
    ) -> tuple[httpx.Response, FaultKind | None]:
        token = authorization[7:].strip() if authorization and authorization[:7].lower() == "bearer " else None
        remaining, reset, allowed = self._consume(token)
        headers = self._headers(number, token, remaining, reset)
        script = next((script for script in self._scripts if script.applies(number, request.url)), None)
        if script is not None:
            if script.left is not None:
                script.left -= 1
            return self._faulty(script.fault, request, token, headers), script.fault.kind
        if not allowed:
            return self._rate_limited(headers, reset), None
        try:
            user = self._user(token)
            if request.method != "GET" or request.url.path.rstrip("/") != LIST_PATH:
                raise BadRequest("Not Found", 404)
            body, link = self._page(request, parse_query(request.url.params, self.settings), user)
        except BadRequest as error:
            return _error(error.status, error.message, headers), None
        if link is not None:
            headers["Link"] = f'<{link}>; rel="next"'
        return httpx.Response(200, headers=headers, content=body), None

    def _user(self, token: str | None) -> str | None:
        if self.settings.tokens is None or token is None:
            return None
        if token not in self.settings.tokens:
            raise BadRequest("Invalid credentials in Authorization header", 401)
        return self.settings.tokens[token]

    def _page(self, request: httpx.Request, query: Query, user: str | None) -> tuple[bytes, str | None]:
        body, following = self._render(query, user)
        return body, None if following is None else self._next_url(request, following)

    def _render(self, query: Query, user: str | None) -> tuple[bytes, Cursor | None]:
        """The page body and the cursor of the page after it, cached until the next drift (F1 asks for the same
        page 500 times)."""
        key = (query, user)
        if key in self._pages:
            return self._pages[key]
        rows = self._listing(query, user)
        if query.cursor is not None:
            try:
                rows = [row for row in rows if query.cursor.admits(row)]
            except TypeError as error:  # a cursor value of another type than the field's
                raise BadRequest("Invalid cursor") from error
        rows = rows[query.skip :]
        page = rows[: query.page_size]
        body = json.dumps([project(model, query) for model in page], separators=(",", ":")).encode()
        following = None
        if len(rows) > query.page_size:
            following = Cursor(query.sort, page[-1].get(query.sort), page[-1]["_id"])
        self._pages[key] = (body, following)
        return body, following

    def _listing(self, query: Query, user: str | None) -> list[Model]:
        """Filtered and ordered rows, cached until the next drift."""
        key = (*query.listing_key, user)
        if key not in self._listings:
            rows = [model for model in self._models.values() if matches(model, query, user)]
            rows.sort(key=functools.cmp_to_key(functools.partial(_compare, query.sort)))
            self._listings[key] = rows
        return self._listings[key]

    def _next_url(self, request: httpx.Request, cursor: Cursor) -> str:
        """The original query, same order and encoding, minus any old cursor, plus the new one (§H1.2)."""
        raw = request.url.query.decode("ascii")
        kept = [part for part in raw.split("&") if part and unquote_plus(part.split("=", 1)[0]) != "cursor"]
        kept.append(f"cursor={quote(cursor.encode(), safe='')}")
        return f"{self.settings.base_url.rstrip('/')}{request.url.path}?{'&'.join(kept)}"

    def _faulty(
        self, fault: HubFault, request: httpx.Request, token: str | None, headers: dict[str, str]
    ) -> httpx.Response:
        if fault.kind == "status":
            return _error(fault.status, httpx.codes.get_reason_phrase(fault.status) or "Error", headers)
        if fault.kind == "rate_limited":
            return self._rate_limited(headers, fault.reset, fault.retry_after)
        if fault.kind == "html":
            headers["Content-Type"] = "text/html; charset=utf-8"
            return httpx.Response(fault.status, headers=headers, content=_HTML_PAGE.encode())
        real = self._real_page(request, token)
        if fault.kind == "malformed":
            content = real.content[: max(1, len(real.content) // 2)]
            return httpx.Response(200, headers=headers, content=content)
        headers["Link"] = f'<{self.first_url() or request.url}>; rel="next"'
        return httpx.Response(real.status_code, headers=headers, content=real.content)

    def _real_page(self, request: httpx.Request, token: str | None) -> httpx.Response:
        """The page a fault distorts (cut in half, or given a looping link)."""
        try:
            body, _ = self._page(request, parse_query(request.url.params, self.settings), self._user(token))
        except BadRequest as error:
            return _error(error.status, error.message, {})
        return httpx.Response(200, content=body)

    def _rate_limited(self, headers: dict[str, str], reset: int, retry_after: int | None = None) -> httpx.Response:
        headers["RateLimit"] = f'"api";r=0;t={reset}'
        if retry_after is not None or self.settings.retry_after_on_429:
            headers["Retry-After"] = str(retry_after if retry_after is not None else reset)
        message = "You have exceeded the rate limit for the api bucket; retry after the window resets."
        return _error(429, message, headers)

    def _consume(self, token: str | None) -> tuple[int, int, bool]:
        """Count this request in its fixed window: ``(remaining, seconds_to_reset, allowed)``."""
        window = self.settings.window
        quota = self.settings.quota_token if token else self.settings.quota_anonymous
        index = int(self.now // window)
        start, used = self._buckets.get(token, (index, 0))
        used = used + 1 if start == index else 1
        self._buckets[token] = (index, used)
        reset = max(1, math.ceil((index + 1) * window - self.now))
        return max(quota - used, 0), reset, used <= quota

    def _headers(self, number: int, token: str | None, remaining: int, reset: int) -> dict[str, str]:
        quota = self.settings.quota_token if token else self.settings.quota_anonymous
        return {
            "Content-Type": "application/json; charset=utf-8",
            "X-Request-Id": f"fakehub-{number:08d}",
            "RateLimit": f'"api";r={remaining};t={reset}',
            "RateLimit-Policy": f'"fixed window";"api";q={quota};w={self.settings.window}',
            "Access-Control-Expose-Headers": "X-Repo-Commit,X-Request-Id,X-Error-Code,X-Error-Message,Link",
        }

    def _apply_drift(self, number: int) -> None:
        deltas = self.drift.get(number)
        if not deltas:
            return
        for model_id, changes in deltas.items():
            model = self._models[model_id]
            for key, delta in changes.items():
                model[key] = (model.get(key) or 0) + delta
        self._listings.clear()
        self._pages.clear()


def _error(status: int, message: str, headers: Mapping[str, str]) -> httpx.Response:
    """The Hub's error shape: ``{"error": ...}`` and the same text in ``X-Error-Message`` (§H4.2)."""
    merged = {**headers, "X-Error-Message": message, "Content-Type": "application/json; charset=utf-8"}
    return httpx.Response(status, headers=merged, content=json.dumps({"error": message}).encode())
