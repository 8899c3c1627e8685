"""One declarative :class:`ProviderSpec` per gateway, their normalisation, and a concurrent fetch of them all.

Every fact about an upstream's ``GET /models`` (URL, auth header, envelope, id field, pagination, where the
context length lives) is *data* in a spec, taken from ``docs/upstreams.md``. There is no per-provider
fetch code: :func:`fetch_provider` drives the one guarded walk of :mod:`catalog_guard.paging` with the spec's
envelope and pagination, so a provider can not grow its own (buggy) loop again (F7, F9, F10 of the gateway
contract were all hand-written loops).

Tokens come from the environment variable a spec names (``token_env``). They go into request headers only
(never into a URL: Google also accepts ``?key=``, but a URL ends up in walks, error messages and cassettes), and
never into a :class:`ProviderResult`, a log line or an error message.

Environment variables read (one per gateway; a missing one means "send no credentials"):

=============  ========================  =========================================================
gateway        variable                  auth (required?)
=============  ========================  =========================================================
openrouter     ``OPENROUTER_API_KEY``    ``Authorization: Bearer`` (optional: listing is public)
featherless    ``FEATHERLESS_API_KEY``   ``Authorization: Bearer`` (optional)
deepinfra      ``DEEPINFRA_API_KEY``     ``Authorization: Bearer`` (optional; an invalid key is a 401)
together       ``TOGETHER_API_KEY``      ``Authorization: Bearer`` (required)
chutes         ``CHUTES_API_KEY``        ``Authorization: Bearer`` (optional in Oct 2025)
groq           ``GROQ_API_KEY``          ``Authorization: Bearer`` (required)
fireworks      ``FIREWORKS_API_KEY``     ``Authorization: Bearer`` (required)
cerebras       ``CEREBRAS_API_KEY``      ``Authorization: Bearer`` (required)
xai            ``XAI_API_KEY``           ``Authorization: Bearer`` (required)
nebius         ``NEBIUS_API_KEY``        ``Authorization: Bearer`` (required)
novita         ``NOVITA_API_KEY``        ``Authorization: Bearer`` (required)
google         ``GEMINI_API_KEY``        ``x-goog-api-key`` header (required)
portkey        ``PORTKEY_API_KEY``       ``x-portkey-api-key`` header (required; optional gateway)
=============  ========================  =========================================================
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from catalog_guard import paging, records
from catalog_guard.bounded import AsyncBoundedTransport, async_network_transport
from catalog_guard.errors import (
    CatalogGuardError,
    IncompleteCatalogError,
    MalformedResponseError,
    TransportError,
)
from catalog_guard.limits import Limits, Meter
from catalog_guard.records import ModelRecord

AuthStyle = Literal["bearer", "x-goog-api-key", "x-portkey-api-key", "none"]
SleepFn = Callable[[float], Any]

#: ``{"object": "list", "data": [...]}`` and ``{"data": [...]}`` (OpenAI family A of docs/upstreams.md §P1.1).
OPENAI_LIST: paging.Extract = paging.field_list("data")
#: ``{"models": [...], "nextPageToken": ...}`` (Google AIP family C).
GOOGLE_LIST: paging.Extract = paging.field_list("models")
#: The body *is* the list (family B: Together).
BARE_ARRAY: paging.Extract = paging.bare_array


@dataclass(frozen=True)
class ProviderSpec:
    """Everything catalog-guard needs to list one gateway's models, as data.

    ``name_fields``, ``context_fields`` and ``hf_fields`` are dotted paths into a raw row, tried in order; the
    first present, non-empty value wins. They are the provider's *own* fields (``context_window`` for Groq,
    ``inputTokenLimit`` for Google, ``metadata.context_length`` for DeepInfra), because guessing a common name
    is how a gateway ends up showing ``null`` context lengths for half its catalog. ``hf_is_id`` says that the
    id itself is the Hugging Face repo id (Featherless serves Hub repos verbatim).
    """

    name: str
    base_url: str
    path: str
    auth: AuthStyle = "bearer"
    token_env: str | None = None
    auth_required: bool = True
    extract: paging.Extract = OPENAI_LIST
    id_field: str = "id"
    pagination: paging.Pagination = field(default_factory=paging.Single)
    name_fields: tuple[str, ...] = ()
    context_fields: tuple[str, ...] = ()
    hf_fields: tuple[str, ...] = ()
    hf_is_id: bool = False
    params: tuple[tuple[str, str], ...] = ()
    source: str = ""

    @property
    def url(self) -> str:
        """The list endpoint, without the pagination's own parameters."""
        return self.base_url.rstrip("/") + self.path

    @property
    def host(self) -> str:
        """The host the fakes are keyed by (and the only host a walk may follow a next link to)."""
        return httpx.URL(self.base_url).host

    @property
    def envelope(self) -> str:
        """A readable name for the envelope (``field_list_data``, ``field_list_models``, ``bare_array``)."""
        return getattr(self.extract, "__name__", repr(self.extract))

    def with_base_url(self, url: str) -> ProviderSpec:
        """The same spec served from elsewhere (a local fake to record from, a self-hosted Portkey, ...)."""
        return dataclasses.replace(self, base_url=url)

    def token_from_env(self) -> str | None:
        """The token in ``token_env``; an unset or empty variable is no token."""
        if self.token_env is None:
            return None
        return os.environ.get(self.token_env) or None

    def headers(self, token: str | None) -> dict[str, str]:
        """Request headers for ``token`` in this provider's auth style; no auth header without a token."""
        headers = {"accept": "application/json"}
        if token and self.auth == "bearer":
            headers["authorization"] = f"Bearer {token}"
        elif token and self.auth in ("x-goog-api-key", "x-portkey-api-key"):
            headers[self.auth] = token
        return headers

    def id_of(self, item: Mapping[str, Any]) -> str | None:
        """This provider's id rule: its :attr:`id_field` (see :mod:`catalog_guard.records`)."""
        return records.id_of(item, (self.id_field,))

    def normalise(self, raw: Mapping[str, Any]) -> ModelRecord:
        """The common record for one raw row; the id is kept exactly as listed (``models/`` prefix included)."""
        model_id = self.id_of(raw)
        if model_id is None:
            raise MalformedResponseError(f"{self.name}: a model has no string {self.id_field!r}: {dict(raw)!r:.200}")
        hugging_face_id = model_id if self.hf_is_id else _first_str(raw, self.hf_fields)
        return ModelRecord(
            id=model_id,
            gateway=self.name,
            name=_first_str(raw, self.name_fields),
            context_length=_first_int(raw, self.context_fields),
            hugging_face_id=hugging_face_id,
            raw=dict(raw),
        )


def _lookup(raw: Mapping[str, Any], path: str) -> Any:
    value: Any = raw
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _first_str(raw: Mapping[str, Any], paths: tuple[str, ...]) -> str | None:
    for path in paths:
        value = _lookup(raw, path)
        if isinstance(value, str) and value:
            return value
    return None


def _first_int(raw: Mapping[str, Any], paths: tuple[str, ...]) -> int | None:
    """A positive integer (``131072`` or ``131072.0``); ``0``, booleans and strings do not count."""
    for path in paths:
        value = _lookup(raw, path)
        if isinstance(value, bool):
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and value > 0:
            return value
    return None


_GATEWAY_SPECS = (
    ProviderSpec(
        name="openrouter", base_url="https://openrouter.ai", path="/api/v1/models",
        token_env="OPENROUTER_API_KEY", auth_required=False,
        name_fields=("name",), context_fields=("context_length", "top_provider.context_length"),
        hf_fields=("hugging_face_id",), source="docs/upstreams.md §P2.1",
    ),
    ProviderSpec(
        # Without per_page Featherless returns the whole catalog, and it ignores limit/offset (F9).
        name="featherless", base_url="https://api.featherless.ai", path="/v1/models",
        token_env="FEATHERLESS_API_KEY", auth_required=False,
        name_fields=("name",), context_fields=("context_length",), hf_is_id=True, source="docs/upstreams.md §P2.2",
    ),
    ProviderSpec(
        # The OpenAI-compatible list: it has ids (the native /models/list has only model_name) and root.
        name="deepinfra", base_url="https://api.deepinfra.com", path="/v1/openai/models",
        token_env="DEEPINFRA_API_KEY", auth_required=False,
        context_fields=("metadata.context_length",), hf_fields=("root",), source="docs/upstreams.md §P2.3 (a)",
    ),
    ProviderSpec(
        name="together", base_url="https://api.together.xyz", path="/v1/models",
        token_env="TOGETHER_API_KEY", extract=BARE_ARRAY,
        name_fields=("display_name",), context_fields=("context_length",), source="docs/upstreams.md §P2.4",
    ),
    ProviderSpec(
        name="chutes", base_url="https://llm.chutes.ai", path="/v1/models",
        token_env="CHUTES_API_KEY", auth_required=False,
        context_fields=("context_length", "max_model_len"), hf_fields=("root",), source="docs/upstreams.md §P2.5",
    ),
    ProviderSpec(
        name="groq", base_url="https://api.groq.com", path="/openai/v1/models", token_env="GROQ_API_KEY",
        name_fields=("name",), context_fields=("context_window",), hf_fields=("hugging_face_id",),
        source="docs/upstreams.md §P2.6",
    ),
    ProviderSpec(
        name="fireworks", base_url="https://api.fireworks.ai", path="/inference/v1/models",
        token_env="FIREWORKS_API_KEY", context_fields=("context_length",), source="docs/upstreams.md §P2.7 (a)",
    ),
    ProviderSpec(
        name="cerebras", base_url="https://api.cerebras.ai", path="/v1/models", token_env="CEREBRAS_API_KEY",
        source="docs/upstreams.md §P2.8",
    ),
    ProviderSpec(
        name="xai", base_url="https://api.x.ai", path="/v1/models", token_env="XAI_API_KEY",
        source="docs/upstreams.md §P2.9 (a)",
    ),
    ProviderSpec(
        # verbose=true adds name and context_length; the plain list is OpenAI-minimal.
        name="nebius", base_url="https://api.studio.nebius.com", path="/v1/models", token_env="NEBIUS_API_KEY",
        name_fields=("name",), context_fields=("context_length", "config.max_tokens"),
        params=(("verbose", "true"),), source="docs/upstreams.md §P2.10",
    ),
    ProviderSpec(
        name="novita", base_url="https://api.novita.ai", path="/openai/v1/models", token_env="NOVITA_API_KEY",
        name_fields=("display_name", "title"), context_fields=("context_size",), source="docs/upstreams.md §P2.11",
    ),
    ProviderSpec(
        # pageSize is sent explicitly (Google's own default, 50) so that a recording does not depend on a server
        # default and a catalog of more than 50 crosses a nextPageToken, the step F10 skipped.
        name="google", base_url="https://generativelanguage.googleapis.com", path="/v1beta/models",
        auth="x-goog-api-key", token_env="GEMINI_API_KEY", extract=GOOGLE_LIST, id_field="name",
        pagination=paging.PageToken(page_size=50),
        name_fields=("displayName",), context_fields=("inputTokenLimit",), source="docs/upstreams.md §P2.12",
    ),
)  # fmt: skip

#: Portkey is optional: not one of the seed gateways, but the one upstream that pages with offset + limit.
PORTKEY = ProviderSpec(
    name="portkey", base_url="https://api.portkey.ai", path="/v1/models", auth="x-portkey-api-key",
    token_env="PORTKEY_API_KEY", pagination=paging.OffsetLimit(limit=100), source="docs/upstreams.md §P2.13",
)  # fmt: skip

#: Every spec by name, the twelve seed gateways first.
SPECS: dict[str, ProviderSpec] = {spec.name: spec for spec in (*_GATEWAY_SPECS, PORTKEY)}
#: The twelve gateways of the seed reports (``gateways.PROVIDERS``), without the optional Portkey.
GATEWAY_SPECS: dict[str, ProviderSpec] = {spec.name: spec for spec in _GATEWAY_SPECS}


@dataclass(frozen=True)
class ProviderResult:
    """What one gateway's fetch produced. It carries no token, and no request (whose headers would).

    ``listed`` holds every record read, in listing order, even when the walk broke off; it is there for
    reports. :meth:`records` and :meth:`models` are the only ways to *use* the catalog, and they raise
    :class:`IncompleteCatalogError` unless the walk finished and every row normalised: an incomplete catalog is
    never handed on as a shorter one (F7).
    """

    gateway: str
    walk: paging.Walk
    listed: tuple[ModelRecord, ...] = ()
    authenticated: bool = False
    error: CatalogGuardError | None = None

    @property
    def complete(self) -> bool:
        return self.walk.complete and self.error is None

    @property
    def duplicates(self) -> dict[str, int]:
        """Ids listed more than once by this gateway, with how many times each was listed."""
        counts = Counter(record.id for record in self.listed)
        return {model_id: count for model_id, count in counts.items() if count > 1}

    @property
    def stop_reason(self) -> str:
        return paging.stop_reason(self.complete, self.error)

    def records(self) -> list[ModelRecord]:
        """Every record as listed (duplicates included, see :attr:`duplicates`)."""
        if not self.complete:
            raise IncompleteCatalogError(
                f"{self.gateway}: the catalog is incomplete ({self.stop_reason}: {self.error})",
                reason=self.stop_reason,
            )
        return list(self.listed)

    def models(self) -> list[str]:
        """The unique ids, in first-listed order."""
        return list(dict.fromkeys(record.id for record in self.records()))

    def summary(self) -> dict[str, Any]:
        """A JSON-able line for reports (counts and the error's message; nothing secret is in either)."""
        return {
            "gateway": self.gateway,
            "complete": self.complete,
            "stop_reason": self.stop_reason,
            "requests": self.walk.requests,
            "retries": self.walk.retries,
            "pages": len(self.walk.pages),
            "fetched": len(self.listed),
            "unique": len({record.id for record in self.listed}),
            "duplicated_ids": len(self.duplicates),
            "authenticated": self.authenticated,
            "error": str(self.error) if self.error else None,
        }


async def fetch_provider(
    client: httpx.AsyncClient,
    spec: ProviderSpec,
    *,
    token: str | None = None,
    settings: paging.WalkSettings | None = None,
    sleep: SleepFn | None = None,
) -> ProviderResult:
    """Walk one gateway's list with the guarded walk and normalise every row.

    ``token=None`` reads ``spec.token_env``; pass ``""`` to send no credentials at all. Upstream trouble (a
    status, a broken body, a loop, a dropped connection) ends up in ``result.error``; this never raises for it.
    """
    token = spec.token_from_env() if token is None else token or None
    walk = paging.Walk(spec.pagination.name)
    listed: list[ModelRecord] = []
    error: CatalogGuardError | None = None
    try:
        async for page in paging.aiter_pages(
            client,
            spec.url,
            pagination=spec.pagination,
            extract=spec.extract,
            params=dict(spec.params),
            headers=spec.headers(token),
            id_of=spec.id_of,
            settings=settings,
            sleep=sleep,
            walk=walk,
        ):
            try:
                listed.extend(spec.normalise(item) for item in page.items)
            except MalformedResponseError as bad:
                raise MalformedResponseError(f"{page.url}: {bad}", url=page.url, status=page.status) from bad
    except CatalogGuardError as caught:
        error = caught
    except httpx.HTTPError as caught:  # not a TransportError (those are retried by the walk): e.g. decoding
        error = TransportError(f"{spec.name}: {type(caught).__name__}: {caught}", url=spec.url)
    walk.error = error
    return ProviderResult(spec.name, walk, tuple(listed), authenticated=token is not None, error=error)


async def fetch_all(
    specs: Iterable[ProviderSpec] | Mapping[str, ProviderSpec],
    *,
    client: httpx.AsyncClient | None = None,
    tokens: Mapping[str, str | None] | None = None,
    settings: paging.WalkSettings | None = None,
    sleep: SleepFn | None = None,
    limits: Limits | None = None,
) -> dict[str, ProviderResult]:
    """Fetch every gateway at once, so the wall time is the slowest gateway's, not the sum.

    Each gateway's trouble stays in its own :class:`ProviderResult`; the others are unaffected. ``tokens`` maps
    a gateway name to its token (missing names read the environment). Without ``client`` one is opened (and
    closed) for the call, every request held to ``limits`` (default :class:`~catalog_guard.limits.Limits`:
    a deadline per response and for the whole fetch, a body cap). A bug (anything that is not upstream
    trouble) is raised, after every fetch finished.
    """
    chosen = list(specs.values()) if isinstance(specs, Mapping) else list(specs)
    names = [spec.name for spec in chosen]
    if len(set(names)) != len(names):
        raise ValueError(f"two specs share a name: {sorted(n for n, c in Counter(names).items() if c > 1)}")
    tokens = tokens or {}

    async def run(active: httpx.AsyncClient) -> list[ProviderResult | BaseException]:
        return await asyncio.gather(
            *(
                fetch_provider(active, spec, token=tokens.get(spec.name), settings=settings, sleep=sleep)
                for spec in chosen
            ),
            return_exceptions=True,
        )

    if client is None:
        bounded = AsyncBoundedTransport(async_network_transport(), Meter(limits or Limits(), one_host=False))
        async with httpx.AsyncClient(transport=bounded) as own:
            outcomes = await run(own)
    else:
        outcomes = await run(client)
    results: dict[str, ProviderResult] = {}
    for name, outcome in zip(names, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            raise outcome
        results[name] = outcome
    return results
