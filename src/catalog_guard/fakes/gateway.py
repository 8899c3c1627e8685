"""FakeGateway: the reference implementation of the ``/v1/models`` contract, with every known regression.

The contract checks need something to pass on and something to fail on. This module is both: a gateway that
keeps every invariant of ``docs/contract.md`` §1 (the correct mode), and one switchable :class:`Regression`
per row G1..G13 of §2 "Endpoint side", each reproducing what a real gateway shipped, and U1..U11 for what no
row names (near-duplicate ids, phantoms, paging past the end, mislabelled sources, slow pages). A check that
passes on the correct gateway and fails on its regression mode is known to catch that regression.

What it serves is a :class:`GatewayState`: each gateway's model objects in listing order, a fixed snapshot time
(so identical requests give identical bytes) and a name. :meth:`GatewayState.from_universe` renders a seed day's
provider offers and whatever Hub models the gateway's Hub fetcher produced; historical states (100, 101, 1,000,
1,204 Hugging Face models) are built by passing the lists the buggy fetchers returned.

The gateway is a plain httpx handler, so it plugs into :class:`~catalog_guard.fakes.transport.FakeInternet` at
:data:`~catalog_guard.gateways.GATEWAY_HOST`; :func:`asgi_app` serves the same handler to ``httpx.ASGITransport`` or
uvicorn, so a walk over a real socket sees exactly the same bytes.

Model objects are invented beyond their ids and names (pricing, context length of Hub models, descriptions):
every such value is derived from a sha256 of the id, never from a clock or a random source.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import itertools
import json
import re
import threading
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from catalog_guard import universe as universe_module
from catalog_guard.fakes.clock import SimulatedClock
from catalog_guard.fakes.transport import Handler
from catalog_guard.gateways import ALIASES, ALL, GATEWAY_HOST, HUGGINGFACE, PROVIDERS
from catalog_guard.universe import Offer, Universe

GATEWAY_ORDER: tuple[str, ...] = (*PROVIDERS, HUGGINGFACE)
"""The known gateways, in the fixed order ``gateway=all`` lists them."""

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
CURRENT = "current"

G2_REPEATS = 500
G2_MAX_LIMIT = universe_module.SEED_TOP * G2_REPEATS  # 50,000: the limit the seed-000 backend accepted
G3_KEPT = universe_module.SEED_TOP + 1  # 101: the fetcher stopped after its second (1-model) page
G5_HUB_LIMIT = universe_module.TOP  # 1,000: one request with limit=1000 and no next page
G7_LEFT_OUT: tuple[str, ...] = (HUGGINGFACE, "featherless", "chutes", "fireworks", "nebius", "novita")
U3_GATEWAY = "google"  # ids wrapped in ``models/``
U4_GATEWAY, U4_FROM = "groq", "cerebras"
U8_FROM, U8_TO = "groq", "cerebras"
U10_SECONDS = 12.0

JsonObject = dict[str, Any]


class Regression(enum.Enum):
    """One member per row of docs/contract.md §2 "Endpoint side"; the value is the row's text."""

    G1 = "404 for `gateway=huggingface` and for the alias `hug`"
    G2 = "`limit=50000` returned the same 100 models repeated 500 times"
    G3 = "`offset=0` gave 100, `offset=100` gave 1, `offset=200` gave 0: total 101"
    G4 = "`offset=0` gave 100, `offset=100` gave 0: total 100"
    G5 = "total 1,000; later 1,204 (see F4, F5)"
    G6 = "`limit` ignored for single gateways: `limit=100&offset=100` returned everything from 100 on"
    G7 = "`gateway=all` silently left out six gateways (Hugging Face among them) while its `note` said they were merged"
    G8 = "negative `offset` sliced from the end (`models[-5:]`) with `has_more: true`, `next_offset: 0`"
    G9 = "unknown gateway or empty catalog answered `200` with `data: []`"
    G10 = "`unique=true` (documented name) silently ignored; the real flag was `unique_models`"
    G11 = "ETag built from Python's per-process `hash()`: differs between identical requests"
    G12 = "a client-side merge that stripped `.` and `/` made distinct ids collide (`gpt-4.1` vs `gpt-41`)"
    G13 = "a listed model could not be routed: chat completion answered 404 instead of 401 without a key"
    # Regressions no contract row names ("unlisted"): each family of issue 11, caught by the checks it added.
    U1 = "the same Hugging Face model twice, under ids that differ only in letter case"
    U2 = "the same Hugging Face model twice, one id with a trailing space"
    U3 = "a Google model twice, once without the `models/` wrapper the canonical merge strips"
    U4 = "Groq's listing also serves a stale copy of Cerebras' models: phantoms, its upstream does not list them"
    U5 = "an offset at or past the end answered with the last page again instead of an empty page"
    U6 = "`limit` at the documented maximum (1000) refused: the bound is checked with `<`, not `<=`"
    U7 = "`has_more` computed as `returned == limit`: a last page that is exactly full says there is more"
    U8 = "`gateway=all` attributes Groq's models to Cerebras"
    U9 = "`unique_models` rows name only the first provider that lists the model"
    U10 = "every Hugging Face page takes 12 s (under the 30 s timeout, over the latency budget)"
    U11 = "the `unique_models` listing pages one row back: each page repeats the previous page's last row"


# ---------------------------------------------------------------------------------------------------------------
# Rendering: universe offers and Hub models -> the gateway's model objects.


@functools.lru_cache(maxsize=1 << 16)
def _digest(*parts: str) -> int:
    """A stable 64-bit number for invented values (``hash()`` differs between processes; sha256 does not).

    Kept for the ids seen last: every state built from the same universe prices the same models again."""
    return int.from_bytes(hashlib.sha256("\0".join(parts).encode()).digest()[:8], "big")


def _pricing(gateway: str, model_id: str) -> dict[str, str]:
    """Per-token USD prices as decimal strings (the OpenRouter shape), exact: built from integers, no floats."""
    number = _digest("pricing", gateway, model_id)
    prompt = number % 2000 + 1
    completion = prompt * (1 + (number >> 16) % 4)
    return {"prompt": f"0.{prompt:08d}", "completion": f"0.{completion:08d}"}


def _provider_slug(gateway: str, model_id: str) -> str:
    """The model's author when the id is ``org/name``; the gateway for ids namespaced by the API itself."""
    if "/" not in model_id or model_id.startswith(("models/", "accounts/")):
        return gateway
    return model_id.split("/", 1)[0].lower()


def render_offer(gateway: str, offer: Offer) -> JsonObject:
    """One provider offer as the gateway lists it."""
    row: JsonObject = {
        "id": offer.id,
        "source_gateway": gateway,
        "name": offer.name,
        "provider_slug": _provider_slug(gateway, offer.id),
        "context_length": offer.context_length,
        "pricing": _pricing(gateway, offer.id),
        "description": f"{offer.name}, served by {gateway}.",
    }
    if offer.hugging_face_id:
        row["hugging_face_id"] = offer.hugging_face_id
    return row


_HUB_CONTEXTS = (2048, 4096, 8192, 32768, 131072)


def render_hub_model(model: Mapping[str, Any]) -> JsonObject:
    """One Hub model (any shape the Hub serves: default, ``full`` or ``expand``) as the gateway lists it."""
    model_id = model.get("id") or model.get("modelId")
    if not isinstance(model_id, str) or not model_id:
        raise ValueError(f"Hub model without a string id: {dict(model)!r:.120}")
    task = model.get("pipeline_tag")
    kind = task if isinstance(task, str) and task else "model"
    return {
        "id": model_id,
        "source_gateway": HUGGINGFACE,
        "name": model_id.rsplit("/", 1)[-1],
        "provider_slug": _provider_slug(HUGGINGFACE, model_id),
        "context_length": _HUB_CONTEXTS[_digest("context", model_id) % len(_HUB_CONTEXTS)],
        "pricing": _pricing(HUGGINGFACE, model_id),
        "description": f"{kind} {model_id} on Hugging Face Inference.",
        "hugging_face_id": model_id,
    }


_T = TypeVar("_T")


class _Derived:
    """What gateways derive from one state (listings under a set of modes, their JSON text), made once.

    A state is immutable, so whatever is derived from it holds for every gateway serving it, in every test of
    the process: the gallery's 37 contract sessions all walk the same current state. Two threads deriving the
    same value at once both compute it and one result is kept (they are equal); no lock is needed."""

    def __init__(self, parent: _Derived | None = None) -> None:
        self._values: dict[Hashable, Any] = {}
        self._texts: dict[int, tuple[JsonObject, str]] = {}  # id(row) -> (row, its JSON); the row keeps the id
        self._parent = parent  # a state made from another shares its rows: their texts are looked up there

    def get(self, key: Hashable, make: Callable[[], _T]) -> _T:
        try:
            value: _T = self._values[key]
        except KeyError:
            value = self._values.setdefault(key, make())
        return value

    def texts(self, rows: Sequence[JsonObject]) -> tuple[str, ...]:
        """Each row's JSON text, encoded once per row object (a listing shares its rows with the catalogs')."""
        texts = self._texts
        inherited = self._parent._texts if self._parent is not None else {}
        found: list[str] = []
        for row in rows:
            hit = texts.get(id(row)) or inherited.get(id(row))
            if hit is None or hit[0] is not row:
                hit = texts[id(row)] = (row, _text(row))
            found.append(hit[1])
        return tuple(found)


def render_hub_models(models: Iterable[Mapping[str, Any]]) -> list[JsonObject]:
    """:func:`render_hub_model` of each, in order; a model listed again (F1 lists its first page 500 times) is
    the same row object again, rendered and later encoded once (a state's rows are never written)."""
    rendered: dict[tuple[object, ...], JsonObject] = {}
    rows: list[JsonObject] = []
    for model in models:
        # What the row is made of; a value that is not a plain string (or absent) gets a row of its own.
        key = (model.get("id"), model.get("modelId"), model.get("pipeline_tag"))
        if not all(part is None or isinstance(part, str) for part in key):
            rows.append(render_hub_model(model))
            continue
        if key not in rendered:
            rendered[key] = render_hub_model(model)
        rows.append(rendered[key])
    return rows


@dataclass(frozen=True)
class GatewayState:
    """What a deployment serves: ``catalogs[gateway]`` in listing order (a gateway absent or empty has no
    catalog: the correct gateway answers 503 for it), a fixed ``snapshot_time`` used as ``timestamp``, and a
    ``name`` (``current`` or the day it reproduces). Duplicates inside a catalog are kept as given.

    Immutable: ``catalogs`` becomes a read-only mapping of tuples, and the model objects are never written after
    rendering (the gateway builds new ones for its variants). That is what lets one state be shared by every
    gateway and test of a process, with what they derive from it (:class:`_Derived`) computed once."""

    catalogs: Mapping[str, Sequence[JsonObject]]
    snapshot_time: str
    name: str = CURRENT
    _derived: _Derived = field(default_factory=_Derived, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        frozen = MappingProxyType({gateway: tuple(rows) for gateway, rows in self.catalogs.items()})
        object.__setattr__(self, "catalogs", frozen)

    @classmethod
    def _made_from(cls, parent: GatewayState, catalogs: Mapping[str, Sequence[JsonObject]], name: str) -> GatewayState:
        state = cls(catalogs, parent.snapshot_time, name)
        object.__setattr__(state, "_derived", _Derived(parent._derived))
        return state

    @classmethod
    def from_universe(
        cls,
        universe: Universe,
        day: str,
        hub_models: Sequence[Mapping[str, Any]],
        *,
        name: str | None = None,
        snapshot_time: str | None = None,
    ) -> GatewayState:
        """Render ``day``'s provider catalogs and ``hub_models`` (whatever the gateway's Hub fetcher returned,
        in its order; the correct list is ``universe.hub_order(universe.hub_models)``). A provider the day did
        not serve gets an empty catalog."""
        if day not in universe.catalogs:
            raise ValueError(f"the universe has no catalogs for {day!r}; days: {sorted(universe.catalogs)}")
        offers = universe.catalogs[day]
        catalogs = {
            gateway: [render_offer(gateway, offer) for offer in offers.get(gateway, ())] for gateway in PROVIDERS
        }
        catalogs[HUGGINGFACE] = render_hub_models(hub_models)
        return cls(catalogs=catalogs, snapshot_time=snapshot_time or f"{day}T12:00:00Z", name=name or day)

    def with_catalog(self, gateway: str, rows: Iterable[Mapping[str, Any]], *, name: str | None = None) -> GatewayState:
        """A copy with one gateway's catalog replaced (``[]`` makes it unavailable), named ``name`` (default:
        this state's). The given rows are copied (one row given twice stays one object); the other catalogs'
        rows are shared, and so are their JSON texts."""
        given = list(rows)  # holds every row while its id() is a key below
        copies: dict[int, JsonObject] = {}
        for row in given:
            if id(row) not in copies:
                copies[id(row)] = dict(row)
        replaced = [copies[id(row)] for row in given]
        return GatewayState._made_from(self, {**self.catalogs, gateway: replaced}, name or self.name)

    def catalog(self, gateway: str) -> list[JsonObject]:
        """``gateway``'s rows, as a list of the caller's own (the state's tuple stays as it is)."""
        return list(self.catalogs.get(gateway, ()))


# ---------------------------------------------------------------------------------------------------------------
# Responses.


def _text(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _dumps(body: Any) -> bytes:
    return _text(body).encode()


def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, content=_dumps(body), headers={"Content-Type": "application/json", **(headers or {})})


def _error(status: int, message: str, kind: str, param: str | None = None) -> httpx.Response:
    error: JsonObject = {"message": message, "type": kind}
    if param is not None:
        error["param"] = param
    return _json(status, {"error": error})


def _not_found() -> httpx.Response:
    return _json(404, {"detail": "Not Found"})


class _BadParameter(Exception):
    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


_INTEGER = re.compile(r"-?[0-9]+")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no", ""})


def _integer(params: httpx.QueryParams, name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not _INTEGER.fullmatch(raw):
        raise _BadParameter(name, f"{name} must be an integer, got {raw!r}")
    return int(raw)


def _flag(params: httpx.QueryParams, name: str) -> bool:
    raw = params.get(name)
    if raw is None:
        return False
    if raw.lower() not in _TRUE | _FALSE:
        raise _BadParameter(name, f"{name} must be true or false, got {raw!r}")
    return raw.lower() in _TRUE


def _stripped_key(model_id: str) -> str:
    """G12's merge key: ``openai/gpt-4.1`` and ``openai/gpt-41`` both become ``openaigpt-41``."""
    return model_id.replace(".", "").replace("/", "")


def _unique_rows(
    listed: Iterable[tuple[JsonObject, str]], key: Callable[[str], str], *, first_only: bool = False
) -> list[tuple[JsonObject, str, list[str]]]:
    """One ``(row, its text)`` per key (first seen wins), with the sorted list of every gateway that listed the
    key (U9: only the first one): the row's ``providers``."""
    first: dict[str, tuple[JsonObject, str]] = {}
    providers: dict[str, set[str]] = {}
    for row, text in listed:
        merge_key = key(str(row["id"]))
        first.setdefault(merge_key, (row, text))
        providers.setdefault(merge_key, set()).add(str(row["source_gateway"]))
    if first_only:
        return [(row, text, [str(row["source_gateway"])]) for row, text in first.values()]
    return [(row, text, sorted(providers[merge_key])) for merge_key, (row, text) in first.items()]


def _texts_with_providers(merged: Iterable[tuple[JsonObject, str, list[str]]]) -> tuple[str, ...]:
    """The text of each ``{**row, "providers": providers}``, made from the row's text: a key new to a dict
    comes last, so it is that text with one more member (the merged rows themselves are never needed)."""
    lists: dict[tuple[str, ...], str] = {}  # a few distinct lists, thousands of rows each
    found: list[str] = []
    for row, text, providers in merged:
        if "providers" in row or not row:
            found.append(_text({**row, "providers": providers}))
            continue
        names = tuple(providers)
        listed = lists.get(names) or lists.setdefault(names, _text(providers))
        found.append(f'{text[:-1]},"providers":{listed}}}')
    return tuple(found)


def _twin(rows: Sequence[JsonObject], make: Callable[[str], str]) -> Sequence[JsonObject]:
    """``rows`` with a second row for the first model whose id ``make`` changes, right after it (U1-U3)."""
    for index, row in enumerate(rows):
        twin = make(str(row["id"]))
        if twin != row["id"]:
            return [*rows[: index + 1], {**row, "id": twin}, *rows[index + 1 :]]
    return rows


def _etag_matches(header: str | None, etag: str) -> bool:
    if header is None:
        return False
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


@dataclass(frozen=True)
class _Query:
    gateway: str
    limit: int
    offset: int
    unique: bool


@dataclass(frozen=True)
class _Listing:
    """What one listing serves before paging: each row's JSON text, in order, and ``note``; and the rows
    themselves (a ``unique_models`` listing is merged from them; its own rows are never needed: ``()``)."""

    texts: tuple[str, ...]
    note: str | None
    rows: tuple[JsonObject, ...] = ()


# The modes that change a listing's rows; what is derived from a state is kept per gateway and per these modes
# only, so the correct listing serves every mode that leaves it alone (G11, U10, paging modes...).
_CATALOG_MODES = frozenset(
    {Regression.U1, Regression.U2, Regression.U3, Regression.U4}
    | {Regression.G2, Regression.G3, Regression.G4, Regression.G5}
)
_ALL_MODES = _CATALOG_MODES | {Regression.G7, Regression.U8}
_UNIQUE_MODES = _ALL_MODES | {Regression.G12, Regression.U9}
_PAGE_HEAD = '{"object":"list","data":['  # a page is this, its rows' texts joined by ",", then "]," and the rest


# ---------------------------------------------------------------------------------------------------------------
# The gateway.


class FakeGateway:
    """An httpx handler serving ``GET /v1/models`` and ``POST /v1/chat/completions`` for one state.

    ``modes`` are the :class:`Regression` modes applied on top of the correct behaviour; assign a new frozenset
    to switch them between requests. The Hugging Face catalog transforms apply in a fixed order when several
    are on: G5 (cut to ``hub_limit``), G4 (cut to 100), G3 (cut to 101), G2 (first 100 repeated 500 times).

    ``gateway=all`` answers 200 as long as one catalog has rows, and names the gateways it had to leave out in
    ``note`` (that is the report; G7 is the same omission with a note that lies). A single gateway with no rows
    is a 503, never ``200 []`` (that is G9).

    G5 is parameterised by ``hub_limit`` (default 1,000). Its later 1,204 variant is the same mode over a state
    built from the ``likes``/``downloads`` sort-union list, with ``hub_limit=None`` (keep the state's list).
    """

    def __init__(
        self,
        state: GatewayState,
        mode: Regression | Iterable[Regression] | None = None,
        *,
        hub_limit: int | None = G5_HUB_LIMIT,
        max_limit: int = MAX_LIMIT,
        clock: SimulatedClock | None = None,
    ) -> None:
        self.state = state
        self.clock = clock  # U10 spends its seconds here when given one, else sleeps for real
        self.modes: frozenset[Regression] = _modes(mode)
        self.hub_limit = hub_limit
        self.max_limit = max_limit  # historical backends accepted limit=50000; the contract says 1..1000
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        modes = ",".join(sorted(mode.name for mode in self.modes)) or "correct"
        return f"FakeGateway(state={self.state.name!r}, modes={modes})"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.rstrip("/") or "/"
        if request.method == "GET" and path == "/v1/models":
            return self._models(request)
        if request.method == "POST" and path == "/v1/chat/completions":
            return self._chat(request)
        return _not_found()

    # -- catalogs ------------------------------------------------------------------------------------------------

    def catalog(self, gateway: str) -> list[JsonObject]:
        """The rows ``gateway`` lists under the current modes (before paging and ``unique_models``)."""
        return list(self._catalog(gateway))

    def _derive(self, modes: frozenset[Regression], *key: Hashable, make: Callable[[], _T]) -> _T:
        """``make()`` once per state, ``key`` and the switched-on ``modes`` that can change it."""
        return self.state._derived.get((*key, self.modes & modes, self.hub_limit), make)

    def _catalog(self, gateway: str) -> tuple[JsonObject, ...]:
        return self._derive(_CATALOG_MODES, "catalog", gateway, make=lambda: tuple(self._render_catalog(gateway)))

    def _catalog_texts(self, gateway: str) -> tuple[str, ...]:
        return self._derive(
            _CATALOG_MODES, "texts", gateway, make=lambda: self.state._derived.texts(self._catalog(gateway))
        )

    def _render_catalog(self, gateway: str) -> Sequence[JsonObject]:
        rows: Sequence[JsonObject] = self.state.catalogs.get(gateway, ())
        if Regression.U3 in self.modes and gateway == U3_GATEWAY:
            rows = _twin(rows, lambda model: model.removeprefix("models/"))
        if Regression.U4 in self.modes and gateway == U4_GATEWAY:
            rows = [*rows, *({**row, "source_gateway": gateway} for row in self.state.catalogs.get(U4_FROM, ()))]
        if gateway != HUGGINGFACE:
            return rows
        if Regression.U1 in self.modes:
            rows = _twin(rows, str.lower)
        if Regression.U2 in self.modes:
            rows = _twin(rows, lambda model: model + " ")
        if Regression.G5 in self.modes and self.hub_limit is not None:
            rows = rows[: self.hub_limit]
        if Regression.G4 in self.modes:
            rows = rows[: universe_module.SEED_TOP]
        if Regression.G3 in self.modes:
            rows = rows[:G3_KEPT]
        if Regression.G2 in self.modes:
            rows = tuple(rows[: universe_module.SEED_TOP]) * G2_REPEATS
        return rows

    def listed_ids(self) -> set[str]:
        """Every id some gateway lists: the models chat completions can route."""
        return set(self._listed_ids())

    def _listed_ids(self) -> frozenset[str]:
        return self._derive(
            _CATALOG_MODES,
            "ids",
            make=lambda: frozenset(str(row["id"]) for gateway in GATEWAY_ORDER for row in self._catalog(gateway)),
        )

    # -- GET /v1/models ------------------------------------------------------------------------------------------

    def _parse(self, gateway: str, params: httpx.QueryParams) -> _Query:
        max_limit = max(G2_MAX_LIMIT, self.max_limit) if Regression.G2 in self.modes else self.max_limit
        limit = _integer(params, "limit", DEFAULT_LIMIT)
        too_large = limit >= max_limit if Regression.U6 in self.modes else limit > max_limit
        if limit < 1 or too_large:
            raise _BadParameter("limit", f"limit must be between 1 and {max_limit}, got {limit}")
        offset = _integer(params, "offset", 0)
        if offset < 0 and Regression.G8 not in self.modes:
            raise _BadParameter("offset", f"offset must be a non-negative integer, got {offset}")
        # ``unique`` is the documented name and ``unique_models`` the implemented one: the reference honours both;
        # G10 is the deployment that silently ignored the documented one.
        unique = _flag(params, "unique_models") or (Regression.G10 not in self.modes and _flag(params, "unique"))
        if gateway != ALL and gateway not in GATEWAY_ORDER and Regression.G9 not in self.modes:
            known = ", ".join(GATEWAY_ORDER)
            raise _BadParameter("gateway", f"unknown gateway {gateway!r}; expected one of {known}, hug or all")
        return _Query(gateway, limit, offset, unique)

    def _models(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params  # parsed anew on every access
        raw_gateway = params.get("gateway", ALL)
        gateway = ALIASES.get(raw_gateway, raw_gateway)
        if gateway == HUGGINGFACE and Regression.G1 in self.modes:
            return _not_found()
        try:
            query = self._parse(gateway, params)
        except _BadParameter as bad:
            return _error(400, str(bad), "invalid_request_error", bad.param)
        listing = self._listing(query.gateway, query.unique)
        if not listing.texts and Regression.G9 not in self.modes:
            return _error(503, f"catalog for {query.gateway} is empty or unavailable", "upstream_unavailable")
        if Regression.U10 in self.modes and query.gateway == HUGGINGFACE:
            self._spend(U10_SECONDS)
        return self._page(request, query, listing)

    def _spend(self, seconds: float) -> None:
        """Take ``seconds`` to answer: on the simulated clock when there is one, else for real (``serve``)."""
        if self.clock is not None:
            self.clock.advance(seconds)
        else:
            time.sleep(seconds)

    def _listing(self, gateway: str, unique: bool) -> _Listing:
        """A listing with its rows' JSON texts, made once per state (a walk asks 50 times, each test again)."""
        if unique:
            return self._derive(_UNIQUE_MODES, "unique", gateway, make=lambda: self._merged(gateway))
        return self._derive(_ALL_MODES, "listing", gateway, make=lambda: self._plain(gateway))

    def _merged(self, gateway: str) -> _Listing:
        """The ``unique_models`` listing: the plain one merged by id (G12: by stripped id)."""
        plain = self._listing(gateway, unique=False)
        key = _stripped_key if Regression.G12 in self.modes else str
        merged = _unique_rows(zip(plain.rows, plain.texts, strict=True), key, first_only=Regression.U9 in self.modes)
        return _Listing(_texts_with_providers(merged), plain.note)

    def _plain(self, gateway: str) -> _Listing:
        """One gateway's listing (an unknown one has no rows), or ``all``'s, with its ``note``."""
        if gateway != ALL:
            return _Listing(self._catalog_texts(gateway), None, self._catalog(gateway))
        merged = [name for name in GATEWAY_ORDER if not (Regression.G7 in self.modes and name in G7_LEFT_OUT)]
        rows = tuple(itertools.chain.from_iterable(self._catalog(name) for name in merged))
        if Regression.U8 in self.modes:
            rows = tuple({**row, "source_gateway": U8_TO} if row["source_gateway"] == U8_FROM else row for row in rows)
            texts = self.state._derived.texts(rows)
        else:
            texts = tuple(itertools.chain.from_iterable(self._catalog_texts(name) for name in merged))
        empty = [name for name in merged if not self._catalog(name)]
        note: str | None
        if Regression.G7 in self.modes:
            note = f"merged models from all {len(GATEWAY_ORDER)} gateways: {', '.join(GATEWAY_ORDER)}"
        else:
            note = f"left out, catalog empty or unavailable: {', '.join(empty)}" if empty else None
        return _Listing(texts, note, rows)

    def _page(self, request: httpx.Request, query: _Query, listing: _Listing) -> httpx.Response:
        total = len(listing.texts)
        start = query.offset
        if Regression.U5 in self.modes and start >= total:
            start = max(0, total - query.limit)  # "clamped" to the last page
        if Regression.U11 in self.modes and query.unique and start > 0:
            start -= 1
        end = None if Regression.G6 in self.modes and query.gateway != ALL else query.limit
        data = listing.texts[start:][:end]  # with G8, offset -5 is models[-5:]
        next_offset: int | None
        if query.offset < 0:
            has_more, next_offset = True, 0
        else:
            has_more = query.offset + len(data) < total
            if Regression.U7 in self.modes:
                has_more = len(data) == query.limit
            next_offset = query.offset + len(data) if has_more else None
        rest = _text(
            {
                "total": total,
                "returned": len(data),
                "offset": query.offset,
                "limit": query.limit,
                "gateway": query.gateway,
                "has_more": has_more,
                "next_offset": next_offset,
                "note": listing.note,
                "timestamp": self.state.snapshot_time,
            }
        )
        # The bytes json.dumps gives the whole envelope, with the rows' texts made once per state instead of per page.
        body = f"{_PAGE_HEAD}{','.join(data)}],{rest[1:]}".encode()
        etag = self._etag(body)
        if _etag_matches(request.headers.get("if-none-match"), etag):
            return httpx.Response(304, headers={"ETag": etag})
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json", "ETag": etag})

    def _etag(self, body: bytes) -> str:
        """A strong validator: the body's sha256. G11 mixes in a per-request counter, as ``hash(object())``
        would, so identical requests get different validators and ``If-None-Match`` never matches."""
        digest = hashlib.sha256(body)
        if Regression.G11 in self.modes:
            with self._lock:
                digest.update(f":request-{next(self._counter)}".encode())
        return f'"{digest.hexdigest()}"'

    # -- POST /v1/chat/completions -------------------------------------------------------------------------------

    def _chat(self, request: httpx.Request) -> httpx.Response:
        if Regression.G13 in self.modes:
            return _not_found()  # the route the listed models need is not mounted
        try:
            payload = json.loads(request.content or b"null")
        except ValueError:
            return _error(400, "request body must be JSON", "invalid_request_error")
        model = payload.get("model") if isinstance(payload, dict) else None
        if not isinstance(model, str) or not model:
            return _error(400, "model must be a non-empty string", "invalid_request_error", "model")
        if model not in self._listed_ids():
            return _error(404, f"model {model!r} is not listed by any gateway", "not_found_error", "model")
        authorization = request.headers.get("authorization", "")
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            return _json(401, {"detail": "Not authenticated"})
        return _json(200, self._completion(model))

    def _completion(self, model: str) -> JsonObject:
        moment = datetime.fromisoformat(self.state.snapshot_time)
        if moment.tzinfo is None:  # a naive time would be read in the machine's zone: not deterministic
            moment = moment.replace(tzinfo=UTC)
        created = int(moment.timestamp())
        return {
            "id": f"chatcmpl-{_digest('completion', model):016x}",
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"},
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }


def _modes(mode: Regression | Iterable[Regression] | None) -> frozenset[Regression]:
    if mode is None:
        return frozenset()
    if isinstance(mode, Regression):
        return frozenset({mode})
    return frozenset(mode)


@functools.cache
def current_state(seed: int = universe_module.DEFAULT_SEED) -> GatewayState:
    """The correct current deployment: 2025-10-17's providers and all 1,377 Hub models in the Hub's order.

    One state per seed and process: it is immutable (``with_catalog`` makes a new one), so every gateway over it
    shares the listings and page texts derived from it."""
    built = universe_module.build(seed)
    hub = universe_module.hub_order(built.hub_models)
    return GatewayState.from_universe(built, universe_module.DAY_1, hub, name=CURRENT)


def fake_gateway(
    mode: Regression | Iterable[Regression] | None = None,
    *,
    state: GatewayState | None = None,
    hub_limit: int | None = G5_HUB_LIMIT,
) -> FakeGateway:
    """A gateway over ``state`` (default: :func:`current_state`) with ``mode`` switched on."""
    return FakeGateway(state if state is not None else current_state(), mode, hub_limit=hub_limit)


# ---------------------------------------------------------------------------------------------------------------
# ASGI: the same handler behind httpx.ASGITransport or uvicorn.

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _request_of(scope: Scope, body: bytes) -> httpx.Request:
    headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope.get("headers", [])]
    host = next((value for name, value in headers if name.lower() == "host"), None)
    if host is None:
        server = scope.get("server") or (GATEWAY_HOST, None)
        host = server[0] if server[1] is None else f"{server[0]}:{server[1]}"
    raw_path = scope.get("raw_path") or quote(scope.get("path", "/")).encode()
    query = scope.get("query_string", b"")
    target = raw_path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
    url = httpx.URL(f"{scope.get('scheme', 'http')}://{host}{target}")
    return httpx.Request(scope["method"], url, headers=headers, content=body)


def asgi_app(gateway: Handler) -> ASGIApp:
    """A minimal ASGI 3 application around an httpx handler: HTTP scope -> :class:`httpx.Request` -> handler ->
    ASGI response. Lifespan events are acknowledged so uvicorn starts and stops cleanly; the handler is
    synchronous and fast, so it runs on the event loop."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            raise RuntimeError(f"the fake gateway serves HTTP only, not {scope['type']!r}")
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        response = gateway(_request_of(scope, b"".join(chunks)))
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": [(name.lower(), value) for name, value in response.headers.raw],
            }
        )
        await send({"type": "http.response.body", "body": response.content})

    return app


__all__ = [
    "G7_LEFT_OUT",
    "GATEWAY_ORDER",
    "FakeGateway",
    "GatewayState",
    "Regression",
    "asgi_app",
    "current_state",
    "fake_gateway",
    "render_hub_model",
    "render_hub_models",
    "render_offer",
]
