"""Read a gateway backend's ``GET /v1/models`` the way the contract checks need it.

A walk keeps **every page** (status, headers, body, URL) because the checks judge the pages themselves
(``returned == len(data)``, ``has_more``, ``next_offset``, a short page followed by more data), not just the
ids. A broken gateway must still leave a record of what it did: the walk never raises for upstream trouble, it
ends with ``complete=False`` and the typed error (a 404 for the gateway, a page repeated forever, a budget
spent). A gateway that stops early with an empty page ends *complete*: whether 100 ids was the whole catalog
is for the checks to judge against the upstream, not for the client to guess.

Both envelopes are understood: the old one (``data``, ``total``, ``returned``, ``offset``, ``limit``,
``gateway``, ``note``, ``timestamp``) and the newer additions (``object``, ``has_more``, ``next_offset``).
:class:`Envelope` keeps "absent" apart from "present but wrong", which the checks must flag differently.

Pagination, retries and the loop guards are :mod:`catalog_guard.paging`'s; this module only says where
``/v1/models`` is and what its pages mean.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

import httpx

from catalog_guard import paging
from catalog_guard.errors import CatalogGuardError, IncompleteCatalogError, TransportError
from catalog_guard.records import ModelRecord, id_of

MODELS_PATH = "/v1/models"

OLD_FIELDS = ("data", "total", "returned", "offset", "limit", "gateway", "note", "timestamp")
NEW_FIELDS = ("object", "has_more", "next_offset")

# What a present envelope field may hold. ``note`` and ``next_offset`` may be null (no note; no next page).
_EXPECTED: dict[str, tuple[str, ...]] = {
    "data": ("list",),
    "total": ("int",),
    "returned": ("int",),
    "offset": ("int",),
    "limit": ("int",),
    "gateway": ("str",),
    "note": ("str", "null"),
    "timestamp": ("str", "int", "float"),
    "object": ("str",),
    "has_more": ("bool",),
    "next_offset": ("int", "null"),
}

extract_data = paging.field_list("data")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    return {float: "float", str: "str", list: "list", dict: "object"}.get(type(value), type(value).__name__)


_T = TypeVar("_T")


class _Field(Generic[_T]):
    """An envelope field read with the contract's type: the value when present with that type, else ``None``
    (``True`` is not an int here, although Python says so)."""

    def __init__(self, kind: type[_T]) -> None:
        self.kind = kind
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, envelope: Envelope, owner: type | None = None) -> _T | None:
        value = envelope.fields.get(self.name)
        if isinstance(value, bool) and self.kind is not bool:
            return None
        return value if isinstance(value, self.kind) else None


@dataclass(frozen=True)
class Envelope:
    """The envelope fields a page carried. Typed accessors return ``None`` both when a field is absent and when
    it has the wrong type; ``present`` and ``malformed`` tell the two apart."""

    fields: dict[str, Any]

    @classmethod
    def of(cls, body: Any) -> Envelope:
        if not isinstance(body, dict):
            return cls({})
        return cls({name: body[name] for name in (*OLD_FIELDS, *NEW_FIELDS) if name in body})

    @property
    def kind(self) -> Literal["new", "old", "none"]:
        """``new`` if any of ``object``/``has_more``/``next_offset`` is present, ``old`` if only older fields
        are, ``none`` for a body that is no envelope at all."""
        if any(name in self.fields for name in NEW_FIELDS):
            return "new"
        return "old" if self.fields else "none"

    @property
    def present(self) -> tuple[str, ...]:
        return tuple(self.fields)

    @property
    def malformed(self) -> tuple[str, ...]:
        """Fields present with a type the contract does not allow (``total: "101"``, ``has_more: 1``)."""
        return tuple(name for name, value in self.fields.items() if _json_type(value) not in _EXPECTED[name])

    total = _Field(int)
    returned = _Field(int)
    offset = _Field(int)
    limit = _Field(int)
    next_offset = _Field(int)
    has_more = _Field(bool)
    gateway = _Field(str)


def _models_url(base_url: str | httpx.URL) -> httpx.URL:
    return httpx.URL(str(base_url).rstrip("/") + MODELS_PATH)


def _record(item: Mapping[str, Any], gateway: str, identifier: str) -> ModelRecord:
    name = item.get("name")
    context = item.get("context_length")
    hf_id = item.get("hugging_face_id")
    return ModelRecord(
        id=identifier,
        gateway=gateway,
        name=name if isinstance(name, str) else None,
        context_length=context if isinstance(context, int) and not isinstance(context, bool) else None,
        hugging_face_id=hf_id if isinstance(hf_id, str) and hf_id else None,
        raw=dict(item),
    )


@dataclass
class GatewayWalk:
    """Everything one ``offset`` walk of ``/v1/models?gateway=…`` saw.

    ``ids`` are the string ids of every item in page order, duplicates kept (a loop's repeats included);
    ``missing_ids`` counts items without one. ``requests`` includes retries and failed requests, which leave no
    page behind.
    """

    gateway: str
    limit: int
    pages: list[paging.Page] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    missing_ids: int = 0
    complete: bool = False
    error: CatalogGuardError | None = None
    requests: int = 0
    retries: int = 0
    slept: float = 0.0

    @classmethod
    def of(cls, gateway: str, limit: int, walk: paging.Walk) -> GatewayWalk:
        ids = [id_of(item) for page in walk.pages for item in page.items]
        return cls(
            gateway=gateway,
            limit=limit,
            pages=list(walk.pages),
            ids=[identifier for identifier in ids if identifier is not None],
            missing_ids=sum(identifier is None for identifier in ids),
            complete=walk.complete,
            error=walk.error,
            requests=walk.requests,
            retries=walk.retries,
            slept=walk.slept,
        )

    @property
    def stop_reason(self) -> str:
        return paging.stop_reason(self.complete, self.error)

    def offsets(self) -> list[int | None]:
        """The ``offset`` each kept page was requested with (``None`` if the URL had no integer offset)."""
        return [paging.int_param(httpx.URL(page.url), "offset", None) for page in self.pages]

    def page_sizes(self) -> list[int]:
        return [len(page.items) for page in self.pages]

    def envelopes(self) -> list[Envelope]:
        return [Envelope.of(page.body) for page in self.pages]

    def reported_total(self) -> int | None:
        """The last well-typed ``total`` any page reported (``None`` if no page did)."""
        totals = [envelope.total for envelope in self.envelopes() if envelope.total is not None]
        return totals[-1] if totals else None

    def models(self) -> list[ModelRecord]:
        """The walk's models as records (duplicates kept, for the merge to count). Refuses an unfinished walk
        or one with id-less items rather than hand back a shorter list."""
        if not self.complete:
            raise IncompleteCatalogError(
                f"walk of gateway {self.gateway!r} stopped: {self.error}", reason=self.stop_reason
            )
        if self.missing_ids:
            raise IncompleteCatalogError(
                f"gateway {self.gateway!r} listed {self.missing_ids} models without an id", reason="missing-id"
            )
        return [
            _record(item, self.gateway, identifier)
            for page in self.pages
            for item in page.items
            if (identifier := id_of(item)) is not None
        ]


def _walk_options(
    gateway: str,
    limit: int,
    headers: Mapping[str, str] | None,
    settings: paging.WalkSettings | None,
    extra_params: Mapping[str, Any] | None,
    clock: paging.Clock = time.perf_counter,
) -> paging.WalkOptions:
    """What a walk of ``gateway``'s listing asks, the same for :func:`walk_gateway` and :func:`awalk_gateway`."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    return paging.WalkOptions(
        pagination=paging.OffsetLimit(limit),
        extract=extract_data,
        params={"gateway": gateway, **dict(extra_params or {})},
        headers=headers,
        id_of=id_of,
        settings=settings,
        clock=clock,
    )


def walk_gateway(
    client: httpx.Client,
    base_url: str | httpx.URL,
    gateway: str,
    *,
    limit: int = 100,
    headers: Mapping[str, str] | None = None,
    settings: paging.WalkSettings | None = None,
    extra_params: Mapping[str, Any] | None = None,
    sleep: paging.Sleep = time.sleep,
    clock: paging.Clock = time.perf_counter,
) -> GatewayWalk:
    """Walk ``offset = 0, n, 2n, …`` (advancing by what each page returned) until the gateway says the end.
    Never raises for upstream trouble; see :class:`GatewayWalk`."""
    options = _walk_options(gateway, limit, headers, settings, extra_params, clock)
    return GatewayWalk.of(gateway, limit, paging.walk(client, _models_url(base_url), sleep=sleep, **options))


async def awalk_gateway(
    client: httpx.AsyncClient,
    base_url: str | httpx.URL,
    gateway: str,
    *,
    limit: int = 100,
    headers: Mapping[str, str] | None = None,
    settings: paging.WalkSettings | None = None,
    extra_params: Mapping[str, Any] | None = None,
    sleep: Any = None,
) -> GatewayWalk:
    """The async twin of :func:`walk_gateway` (``sleep`` may be sync or async; default ``asyncio.sleep``)."""
    options = _walk_options(gateway, limit, headers, settings, extra_params)
    return GatewayWalk.of(gateway, limit, await paging.awalk(client, _models_url(base_url), sleep=sleep, **options))


@dataclass(frozen=True)
class GatewayResponse:
    """One ``/v1/models`` response, whatever its status: the probes (bad parameters, ``limit=1000``,
    ``gateway=all``, the ``hug`` alias) need the 4xx and its message as much as the 200.

    ``body`` is the parsed JSON or ``None``; ``items`` the ``data`` objects of a usable 2xx; ``error`` the typed
    error the response amounts to (``ClientError`` for a 404, ``HtmlErrorPageError`` for a proxy page, ...).
    """

    url: str
    status: int
    headers: dict[str, str]
    body: Any
    text: str
    items: list[paging.Item]
    error: CatalogGuardError | None
    elapsed: float | None = None  # seconds from sending the request to its body read

    @property
    def ok(self) -> bool:
        return self.error is None

    def ids(self) -> list[str | None]:
        return [id_of(item) for item in self.items]

    def envelope(self) -> Envelope:
        return Envelope.of(self.body)


def _parse_json(text: str) -> Any:
    try:
        return paging.parse_json(text)
    except ValueError:
        return None


def get_models(
    client: httpx.Client,
    base_url: str | httpx.URL,
    params: Mapping[str, Any] | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    clock: paging.Clock = time.perf_counter,
) -> GatewayResponse:
    """One request, no retry (a probe must see the first answer). Never raises for a misbehaving gateway:
    4xx/5xx and unusable bodies are returned with their typed error, and a request that got no usable answer
    (refused, reset, cut off by a limit) is returned with ``status`` 0 and the error, a finding on this request
    only."""
    url = _models_url(base_url).copy_merge_params(dict(params or {}))
    try:
        response = paging.timed_get(client, url, headers, clock)
    except httpx.RequestError as failure:
        return _unanswered(url, TransportError(f"{type(failure).__name__} for {url}: {failure}", url=str(url)))
    except CatalogGuardError as failure:  # a limit, or a transport failure the bounded transport typed
        return _unanswered(url, failure)
    body: Any = None
    items: list[paging.Item] = []
    problem: CatalogGuardError | None = None
    if response.is_success:
        try:
            body, items = paging.interpret(response, extract_data)
        except CatalogGuardError as unusable:
            problem = unusable
            body = _parse_json(response.text)
    else:
        problem = paging.status_error(response)
        body = _parse_json(response.text)
    return GatewayResponse(
        url=str(response.request.url),
        status=response.status_code,
        headers={key.lower(): value for key, value in response.headers.items()},
        body=body,
        text=response.text,
        items=items,
        error=problem,
        elapsed=paging.elapsed_of(response),
    )


def _unanswered(url: httpx.URL, error: CatalogGuardError) -> GatewayResponse:
    return GatewayResponse(url=str(url), status=0, headers={}, body=None, text="", items=[], error=error)
