"""Fake model-list endpoints, one per envelope and pagination style, serving rows in each provider's real shape.

A fake is built from a list of :class:`~catalog_guard.universe.Offer` and a *renderer* that turns one offer into
the JSON row that provider really sends (``docs/upstreams.md`` §P2): OpenRouter rows carry
``canonical_slug``, per-token price strings and ``architecture``; Groq says ``context_window``; Google lists
``models/...`` names with ``inputTokenLimit``; Novita has ``context_size`` and prices in 1/10,000 USD. Values a
provider sends but an offer does not hold (prices, flags, classes) are derived from a hash of the model id, so a
catalog renders to the same bytes every time. :func:`stated` says, per provider, what a rendered row states
about its offer (id as listed, name, context length, Hugging Face id): tests compare the normaliser with it.

The *fake's* facts (path, auth style, whether auth is required, envelope) are transcribed from docs/upstreams.md here,
independently of :mod:`catalog_guard.providers`, so that a spec that drifts from the provider fails against its
fake. Only the host comes from the spec (so :meth:`ProviderSpec.with_base_url` moves the fakes with it).

Styles: :class:`OpenAIListFake` (``{"object":"list","data":[...]}``, or ``{"data":[...]}``), :class:`BareArrayFake`
(Together), :class:`PageTokenFake` (Google: ``pageSize``/``pageToken``/``nextPageToken``), :class:`PageNumberFake`
(Featherless: whole catalog without ``per_page``, ``pagination{...}`` + ``total`` with it; ``limit``/``offset``
ignored, which is what made F9's loop return the catalog N times) and :class:`OffsetLimitFake` (Portkey).

Every fake checks credentials (401 when a required one is missing or a wrong one is sent), records the auth headers
it saw, and injects faults by request number (:class:`ProviderFault`: 429 with ``Retry-After``, 5xx, malformed JSON, an
HTML page).
:class:`DelayedTransport` and :class:`TickClock` add per-host latency in virtual time, to test concurrency without
measuring the wall clock.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Literal, TypeVar

import httpx

from catalog_guard.fakes.transport import Handler
from catalog_guard.providers import SPECS, AuthStyle, ProviderSpec
from catalog_guard.universe import Offer, Universe

Row = dict[str, Any]
_T = TypeVar("_T")

AUTH_HEADERS = ("authorization", "x-goog-api-key", "x-portkey-api-key")


# --------------------------------------------------------------------------------------------------- faults


@dataclass(frozen=True)
class ProviderFault:
    """One injected failure. ``kind`` is ``status`` (an error status with a JSON error body), ``malformed`` (a
    2xx whose JSON is cut off) or ``html`` (a proxy's HTML page, 2xx or not)."""

    kind: Literal["status", "malformed", "html"] = "status"
    status: int = 503
    retry_after: int | None = None
    message: str = "upstream unavailable"

    def response(self) -> httpx.Response:
        headers = {"retry-after": str(self.retry_after)} if self.retry_after is not None else {}
        if self.kind == "malformed":
            return httpx.Response(
                self.status,
                headers={"content-type": "application/json"},
                content=b'{"object": "list", "data": [{"id": "cut-off-he',
            )
        if self.kind == "html":
            page = (
                f"<!DOCTYPE html>\n<html><head><title>{self.status} {self.message}</title></head>"
                f"<body><h1>{self.message}</h1><p>cloudflare</p></body></html>"
            )
            return httpx.Response(
                self.status, headers={"content-type": "text/html; charset=utf-8", **headers}, text=page
            )
        return _error(self.status, self.message, headers=headers)

    @classmethod
    def rate_limited(cls, retry_after: int | None = 1) -> ProviderFault:
        """A 429, with ``Retry-After: <seconds>`` unless ``retry_after`` is ``None``."""
        return cls("status", 429, retry_after, "rate limit exceeded")

    @classmethod
    def server_error(cls, status: int = 503) -> ProviderFault:
        return cls("status", status, None, "upstream unavailable")

    @classmethod
    def malformed(cls) -> ProviderFault:
        """A 200 ``application/json`` whose body is cut off."""
        return cls("malformed", 200, None, "truncated body")

    @classmethod
    def html(cls, status: int = 200) -> ProviderFault:
        """A proxy's or CDN's HTML page where JSON was expected (200 from a bot check, 502 from a proxy)."""
        return cls("html", status, None, "Bad Gateway" if status >= 500 else "Just a moment...")


def _error(status: int, message: str, *, headers: Mapping[str, str] | None = None) -> httpx.Response:
    body = {"error": {"message": message, "code": status, "type": httpx.codes.get_reason_phrase(status)}}
    return httpx.Response(status, headers=dict(headers or {}), json=body)


# ------------------------------------------------------------------------------------------- deterministic values


def _hash(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big")


def _pick(options: Sequence[_T], *parts: str) -> _T:
    return options[_hash(*parts) % len(options)]


def _subset(options: Sequence[str], *parts: str, keep: int = 2) -> list[str]:
    """A hash-chosen subset that always holds the first ``keep`` options, in the options' order."""
    bits = _hash(*parts)
    return [option for i, option in enumerate(options) if i < keep or bits >> i & 1]


def _cents(model_id: str, what: str) -> int:
    """A price in US cents per million tokens, 1 to 400."""
    return 1 + _hash(model_id, what) % 400


def _per_token(cents: int) -> str:
    """OpenRouter style: USD per token as a plain decimal string (39 cents/M -> ``"0.00000039"``)."""
    return format(Decimal(cents).scaleb(-8), "f")


def _ctx(offer: Offer) -> int | None:
    return offer.context_length if offer.context_length and offer.context_length > 0 else None


def _org(model_id: str) -> str:
    return model_id.split("/", 1)[0] if "/" in model_id else "system"


# ----------------------------------------------------------------------------------------------- what rows state


@dataclass(frozen=True)
class View:
    """What of the request changes a row: credentials (Featherless' ``available_on_current_plan``) and Nebius'
    ``verbose=true``."""

    authenticated: bool = False
    verbose: bool = True


@dataclass(frozen=True)
class Stated:
    """What one rendered row says about its offer, in the terms of :class:`~catalog_guard.records.ModelRecord`."""

    id: str
    name: str | None = None
    context_length: int | None = None
    hugging_face_id: str | None = None


def google_name(model_id: str) -> str:
    """Google lists ``models/<id>``; an offer id may already carry the prefix."""
    return model_id if model_id.startswith("models/") else f"models/{model_id}"


def stated(gateway: str, offer: Offer, view: View | None = None) -> Stated:
    """The facts a ``gateway`` row for ``offer`` carries (docs/upstreams.md §P2 and §P3 say which fields exist)."""
    view = view or View()
    name, ctx, hf = offer.name or None, _ctx(offer), offer.hugging_face_id or None
    facts: dict[str, Stated] = {
        "openrouter": Stated(offer.id, name, ctx, hf),
        "featherless": Stated(offer.id, offer.id, ctx, offer.id),  # the id *is* the Hub repo id; name == id
        "deepinfra": Stated(offer.id, None, ctx, offer.id),  # root == id
        "together": Stated(offer.id, name, ctx, None),
        "chutes": Stated(offer.id, None, ctx, hf or offer.id),  # root
        "groq": Stated(offer.id, name, ctx, hf),
        "fireworks": Stated(offer.id, None, ctx, None),
        "cerebras": Stated(offer.id),
        "xai": Stated(offer.id),
        "nebius": Stated(offer.id, name, ctx, None) if view.verbose else Stated(offer.id),
        "novita": Stated(offer.id, name, ctx, None),
        "google": Stated(google_name(offer.id), name, ctx, None),
        "portkey": Stated(offer.id),
    }
    return facts[gateway]


# ------------------------------------------------------------------------------------------------------ renderers

_MODALITIES = (("text",), ("text", "image"))
_SAMPLING = [
    "temperature",
    "top_p",
    "max_tokens",
    "stop",
    "seed",
    "top_k",
    "frequency_penalty",
    "presence_penalty",
    "repetition_penalty",
    "min_p",
    "logit_bias",
    "logprobs",
    "response_format",
]
_OPENROUTER_EXTRA = ["tools", "tool_choice", "structured_outputs", "reasoning", "include_reasoning"]


def _openrouter(offer: Offer, view: View) -> Row:
    facts = stated("openrouter", offer, view)
    bits = _hash(offer.id, "openrouter")
    prompt = _cents(offer.id, "prompt")
    inputs = list(_pick(_MODALITIES, offer.id, "inputs"))
    return {
        "id": offer.id,
        "canonical_slug": offer.id.split(":", 1)[0],
        "hugging_face_id": facts.hugging_face_id or ("" if bits & 1 else None),  # both seen for "none"
        "name": offer.name,
        "created": offer.created,
        "description": f"{offer.name} (synthetic catalog-guard row).",
        "context_length": facts.context_length,
        "architecture": {
            "modality": "+".join(inputs) + "->text",
            "input_modalities": inputs,
            "output_modalities": ["text"],
            "tokenizer": _pick(["GPT", "Llama3", "Qwen3", "Mistral", "Gemini", "Other"], offer.id, "tokenizer"),
            "instruct_type": None,
        },
        "pricing": {
            "prompt": _per_token(prompt),
            "completion": _per_token(prompt * (1 + bits % 4)),
            "request": "0",
            "image": "0",
            "web_search": "0",
            "internal_reasoning": "0",
        },
        "top_provider": {
            "context_length": facts.context_length,
            "max_completion_tokens": None,
            "is_moderated": bool(bits >> 3 & 1),
        },
        "per_request_limits": None,
        "supported_parameters": sorted(_subset(_SAMPLING + _OPENROUTER_EXTRA, offer.id, "params", keep=3)),
        "default_parameters": {"temperature": None, "top_p": None, "frequency_penalty": None},
    }


def _featherless(offer: Offer, view: View) -> Row:
    ctx = _ctx(offer)
    family = _pick(["llama3", "llama31", "llama33", "mistral-v02", "qwen2", "qwen25", "gemma2"], offer.id, "class")
    size = _pick(["7b", "8b", "12b", "14b", "32b", "70b"], offer.id, "size")
    row: Row = {
        "id": offer.id,
        "name": offer.id,
        "model_class": f"{family}-{size}-{ctx // 1024}k" if ctx else f"{family}-{size}",
        "max_completion_tokens": 4096,
        "is_gated": bool(_hash(offer.id, "gated") & 1),
    }
    if ctx:
        row["context_length"] = ctx
    if view.authenticated:
        row["available_on_current_plan"] = bool(_hash(offer.id, "plan") % 4)
    return row


def _deepinfra(offer: Offer, view: View) -> Row:
    ctx = _ctx(offer)
    price = _cents(offer.id, "input")
    metadata: dict[str, Any] | None = None
    if ctx:
        metadata = {
            "description": f"{offer.name} (synthetic catalog-guard row).",
            "context_length": ctx,
            "max_tokens": min(ctx, 16384),
            "pricing": {"input_tokens": price / 100, "output_tokens": price * 3 / 100},
            "tags": _subset(["chat", "reasoning", "prompt_cache", "vision"], offer.id, "tags", keep=1),
        }
    return {
        "id": offer.id,
        "object": "model",
        "created": 0 if _hash(offer.id, "created") % 3 else offer.created,  # "often 0"
        "owned_by": "deepinfra",
        "root": offer.id,
        "parent": None,
        "metadata": metadata,
    }


def _together(offer: Offer, view: View) -> Row:
    price = _cents(offer.id, "input") / 100
    row: Row = {
        "id": offer.id,
        "object": "model",
        "created": offer.created,
        "type": _pick(["chat", "chat", "chat", "language", "embedding", "image"], offer.id, "type"),
        "running": False,
        "display_name": offer.name,
        "organization": _org(offer.id),
    }
    if offer.hugging_face_id:
        row["link"] = f"https://huggingface.co/{offer.hugging_face_id}"
    row["license"] = _pick(["apache-2.0", "mit", "llama3.3", "other"], offer.id, "license")
    if _ctx(offer):
        row["context_length"] = _ctx(offer)
    row["config"] = {"chat_template": None, "stop": ["</s>"], "bos_token": "<s>", "eos_token": "</s>"}
    row["pricing"] = {"hourly": 0, "input": price, "output": price, "base": 0, "finetune": 0}
    return row


def _chutes(offer: Offer, view: View) -> Row:
    facts = stated("chutes", offer, view)
    prompt = _cents(offer.id, "prompt") / 100
    completion = _cents(offer.id, "completion") / 100
    row: Row = {
        "id": offer.id,
        "object": "model",
        "created": offer.created,
        "owned_by": _pick(["vllm", "sglang"], offer.id, "engine"),
        "root": facts.hugging_face_id,
        "parent": None,
        "pricing": {"prompt": prompt, "completion": completion},
        "price": {
            "input": {"usd": prompt, "tao": round(prompt / 390, 6)},
            "output": {"usd": completion, "tao": round(completion / 390, 6)},
        },
        "quantization": _pick(["bf16", "fp8", "int8"], offer.id, "quant"),
    }
    ctx = facts.context_length
    if ctx:
        row["max_model_len"] = ctx
        if _hash(offer.id, "legacy") % 5:  # some rows carry only the legacy max_model_len
            row["context_length"] = ctx
            row["max_output_length"] = ctx
    row["input_modalities"] = list(_pick(_MODALITIES, offer.id, "inputs"))
    row["output_modalities"] = ["text"]
    row["supported_features"] = _subset(["json_mode", "structured_outputs", "tools", "reasoning"], offer.id, "f")
    row["supported_sampling_parameters"] = _subset(_SAMPLING, offer.id, "sampling", keep=4)
    return row


def _groq(offer: Offer, view: View) -> Row:
    facts = stated("groq", offer, view)
    prompt = _cents(offer.id, "prompt")
    row: Row = {
        "id": offer.id,
        "object": "model",
        "created": offer.created,
        "owned_by": _pick(["Meta", "OpenAI", "Alibaba Cloud", "Groq", "Moonshot AI"], offer.id, "owner"),
        "active": True,
        "context_window": facts.context_length,
        "public_apps": None,
        "max_completion_tokens": min(facts.context_length or 8192, 32768),
        "name": offer.name,
    }
    if facts.hugging_face_id:
        row["hugging_face_id"] = facts.hugging_face_id
    row["input_modalities"] = ["text"]
    row["output_modalities"] = ["text"]
    row["pricing"] = {"prompt": _per_token(prompt), "completion": _per_token(prompt * 2), "input_cache_read": "0"}
    row["supported_features"] = _subset(["tools", "json_mode", "reasoning"], offer.id, "features", keep=1)
    return row


def _fireworks(offer: Offer, view: View) -> Row:
    bits = _hash(offer.id, "fireworks")
    row: Row = {
        "id": offer.id,
        "object": "model",
        "owned_by": "fireworks",
        "created": offer.created,
        "kind": _pick(["HF_BASE_MODEL", "HF_BASE_MODEL", "FLUMINA_BASE_MODEL", "EMBEDDING_MODEL"], offer.id, "k"),
        "supports_chat": bool(bits & 1),
        "supports_image_input": bool(bits >> 1 & 1),
        "supports_tools": bool(bits >> 2 & 1),
    }
    if _ctx(offer):
        row["context_length"] = _ctx(offer)
    return row


def _cerebras(offer: Offer, view: View) -> Row:
    return {"id": offer.id, "object": "model", "created": 0, "owned_by": "Cerebras"}


def _xai(offer: Offer, view: View) -> Row:
    return {"id": offer.id, "created": offer.created, "object": "model", "owned_by": "xai"}


def _nebius(offer: Offer, view: View) -> Row:
    row: Row = {"id": offer.id, "object": "model", "created": offer.created, "owned_by": "system"}
    if not view.verbose:
        return row
    prompt = _cents(offer.id, "prompt")
    row.update(name=offer.name, description=f"{offer.name} (synthetic catalog-guard row).")
    if _ctx(offer):
        row["context_length"] = _ctx(offer)
    row["architecture"] = {"modality": "text -> text"}
    row["pricing"] = {"prompt": _per_token(prompt), "completion": _per_token(prompt * 3)}
    row["supported_features"] = _subset(["function-calling", "reasoning", "vision"], offer.id, "f", keep=0)
    row["quantization"] = _pick(["fp8", "bf16", "fp4"], offer.id, "quant")
    row["regions"] = _subset(["eu-north1", "eu-west1", "us-central1"], offer.id, "regions", keep=1)
    return row


def _novita(offer: Offer, view: View) -> Row:
    price = _cents(offer.id, "input") * 100  # 1/10,000 USD per million tokens: 3900 -> $0.39/M
    row: Row = {
        "id": offer.id,
        "display_name": offer.name,
        "created": offer.created,
        "object": "model",
        "owned_by": "unknown",
        "permission": None,
        "root": "",
        "parent": "",
        "input_token_price_per_m": price,
        "output_token_price_per_m": price * 2,
        "title": offer.name,
        "description": "",
        "tags": [],
    }
    if _ctx(offer):
        row["context_size"] = _ctx(offer)
    row.update(
        status=1,
        model_type="chat",
        max_output_tokens=min(_ctx(offer) or 8192, 32768),
        features=_subset(["serverless", "function-calling", "reasoning", "structured-outputs"], offer.id, "f", keep=1),
        endpoints=["chat/completions", "completions"],
        input_modalities=["text"],
        output_modalities=["text"],
    )
    return row


def _google(offer: Offer, view: View) -> Row:
    bits = _hash(offer.id, "google")
    methods = ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]
    row: Row = {
        "name": google_name(offer.id),
        "version": _pick(["001", "002", "latest"], offer.id, "version"),
        "displayName": offer.name,
        "description": f"{offer.name} (synthetic catalog-guard row).",
    }
    if _ctx(offer):
        row["inputTokenLimit"] = _ctx(offer)
    row["outputTokenLimit"] = _pick([8192, 65536], offer.id, "out")
    row["supportedGenerationMethods"] = _subset(methods, offer.id, "methods", keep=2)
    row.update(temperature=1, topP=0.95, topK=64, maxTemperature=2, thinking=bool(bits & 1))
    return row


def _portkey(offer: Offer, view: View) -> Row:
    slug = offer.id.split("/", 1)[1] if offer.id.startswith("@") and "/" in offer.id else offer.id
    return {"id": offer.id, "slug": slug, "canonical_slug": slug.split(":", 1)[0], "object": "model"}


Renderer = Callable[[Offer, View], Row]
RENDERERS: dict[str, Renderer] = {
    "openrouter": _openrouter, "featherless": _featherless, "deepinfra": _deepinfra, "together": _together,
    "chutes": _chutes, "groq": _groq, "fireworks": _fireworks, "cerebras": _cerebras, "xai": _xai,
    "nebius": _nebius, "novita": _novita, "google": _google, "portkey": _portkey,
}  # fmt: skip


# --------------------------------------------------------------------------------------------------------- fakes


class FakeProvider:
    """Base of every fake: method and path, faults, credentials, then the style's :meth:`respond`.

    ``faults`` maps a 1-based request number (counted over every request this fake saw) to a :class:`ProviderFault`;
    ``always`` is served for every other request (a 503 storm). ``valid_tokens=None`` accepts any non-empty
    token; otherwise any other token is a 401, even where auth is optional (DeepInfra answers an invalid key so).
    """

    style: ClassVar[str] = "abstract"

    def __init__(
        self,
        offers: Iterable[Offer],
        *,
        gateway: str,
        path: str,
        render: Renderer,
        auth: AuthStyle = "bearer",
        auth_required: bool = False,
        valid_tokens: Iterable[str] | None = None,
        faults: Mapping[int, ProviderFault] | None = None,
        always: ProviderFault | None = None,
        id_field: str = "id",
    ) -> None:
        self.offers = tuple(offers)
        self.gateway = gateway
        self.path = path
        self.render = render
        self.auth = auth
        self.auth_required = auth_required
        self.valid_tokens = frozenset(valid_tokens) if valid_tokens is not None else None
        self.faults = dict(faults or {})
        self.always = always
        self.id_field = id_field
        self.requests: list[httpx.Request] = []
        self.auth_headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._rows: dict[View, list[Row]] = {}
        self._encoded: dict[View, bytes] = {}

    def rows(self, view: View | None = None) -> list[Row]:
        """The catalog as rendered for ``view`` (rendered once per view)."""
        view = view or View()
        if view not in self._rows:
            self._rows[view] = [self.render(offer, view) for offer in self.offers]
        return self._rows[view]

    @property
    def ids(self) -> list[str]:
        """Ids as listed, in order (``models/...`` for Google)."""
        return [row[self.id_field] for row in self.rows()]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            number = len(self.requests)
            self.auth_headers.append({k: v for k, v in request.headers.items() if k.lower() in AUTH_HEADERS})
        if request.method != "GET":
            return _error(405, f"{request.method} is not allowed on {request.url.path}")
        if request.url.path != self.path:
            return _error(404, f"no route for {request.url.path}")
        fault = self.faults.get(number, self.always)
        if fault is not None:
            return fault.response()
        token = self.credential(request)
        if (token is None and self.auth_required) or (
            token is not None and (not token or (self.valid_tokens is not None and token not in self.valid_tokens))
        ):
            return _error(401, "invalid or missing API key")
        view = View(authenticated=token is not None, verbose=request.url.params.get("verbose") == "true")
        return self.respond(request, view)

    def credential(self, request: httpx.Request) -> str | None:
        """The token sent in this fake's auth style; ``""`` for a malformed one, ``None`` for none."""
        if self.auth == "bearer":
            header = request.headers.get("authorization")
            if header is None:
                return None
            scheme, _, token = header.partition(" ")
            return token.strip() if scheme.lower() == "bearer" else ""
        if self.auth == "x-goog-api-key":
            value = request.headers.get("x-goog-api-key") or request.url.params.get("key")
            return str(value) if value is not None else None
        if self.auth == "x-portkey-api-key":
            value = request.headers.get("x-portkey-api-key")
            return str(value) if value is not None else None
        return None

    def respond(self, request: httpx.Request, view: View) -> httpx.Response:
        raise NotImplementedError

    def _whole(self, view: View, envelope: Callable[[list[Row]], Any]) -> httpx.Response:
        """The whole catalog, encoded once per view (Featherless' is megabytes; F9 asks for it N times)."""
        if view not in self._encoded:
            self._encoded[view] = json.dumps(envelope(self.rows(view)), separators=(",", ":")).encode()
        return httpx.Response(200, headers={"content-type": "application/json"}, content=self._encoded[view])


class OpenAIListFake(FakeProvider):
    """``{"object":"list","data":[...]}``, or ``{"data":[...]}`` with ``include_object=False`` (OpenRouter,
    Novita). Query parameters are ignored: there is no pagination."""

    style = "openai-list"

    def __init__(self, offers: Iterable[Offer], *, include_object: bool = True, **options: Any) -> None:
        super().__init__(offers, **options)
        self.include_object = include_object

    def respond(self, request: httpx.Request, view: View) -> httpx.Response:
        return self._whole(
            view, lambda rows: {"object": "list", "data": rows} if self.include_object else {"data": rows}
        )


class BareArrayFake(FakeProvider):
    """The body is the array itself (Together)."""

    style = "bare-array"

    def respond(self, request: httpx.Request, view: View) -> httpx.Response:
        return self._whole(view, lambda rows: rows)


class PageTokenFake(FakeProvider):
    """Google AIP-158: ``pageSize`` (default 50, larger than 1000 coerced to 1000), ``pageToken`` from the
    previous ``nextPageToken``, which is omitted on the last page. Tokens are opaque but deterministic."""

    style = "page-token"

    def __init__(
        self, offers: Iterable[Offer], *, default_page_size: int = 50, max_page_size: int = 1000, **options: Any
    ) -> None:
        super().__init__(offers, **options)
        self.default_page_size = default_page_size
        self.max_page_size = max_page_size
        self._salt = hashlib.sha256("\n".join(o.id for o in self.offers).encode()).hexdigest()[:12]

    def token(self, offset: int) -> str:
        return base64.urlsafe_b64encode(f"{self._salt}:{offset}".encode()).decode().rstrip("=")

    def _offset(self, token: str) -> int | None:
        try:
            salt, _, offset = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().partition(":")
            return int(offset) if salt == self._salt and int(offset) >= 0 else None
        except ValueError:
            return None

    def respond(self, request: httpx.Request, view: View) -> httpx.Response:
        params = request.url.params
        try:
            size = int(params.get("pageSize") or 0)
        except ValueError:
            return _error(400, "Invalid value at 'page_size' (TYPE_INT32)")
        if size < 0:
            return _error(400, "page_size must not be negative")
        size = min(size or self.default_page_size, self.max_page_size)
        token = params.get("pageToken")
        offset = self._offset(token) if token else 0
        if offset is None:
            return _error(400, "Invalid page token")
        rows = self.rows(view)
        body: dict[str, Any] = {"models": rows[offset : offset + size]}
        if offset + size < len(rows):
            body["nextPageToken"] = self.token(offset + size)
        return httpx.Response(200, json=body)


class PageNumberFake(FakeProvider):
    """Featherless: the whole catalog without ``per_page``; with it, 1-based ``page`` and ``per_page`` floored at
    ``min_per_page`` (and capped at ``max_per_page``), plus ``pagination{...}`` and ``total``. ``limit`` and
    ``offset`` are ignored."""

    style = "page-number"

    def __init__(
        self, offers: Iterable[Offer], *, min_per_page: int = 100, max_per_page: int = 1000, **options: Any
    ) -> None:
        super().__init__(offers, **options)
        self.min_per_page = min_per_page
        self.max_per_page = max_per_page

    def respond(self, request: httpx.Request, view: View) -> httpx.Response:
        params = request.url.params
        if "per_page" not in params:
            return self._whole(view, lambda rows: {"data": rows})
        try:
            per_page = min(max(int(params["per_page"]), self.min_per_page), self.max_per_page)
            page = int(params.get("page") or 1)
        except ValueError:
            return _error(400, "page and per_page must be integers")
        if page < 1:
            return _error(400, "page is 1-based")
        rows = self.rows(view)
        total_pages = -(-len(rows) // per_page)
        body = {
            "data": rows[(page - 1) * per_page : page * per_page],
            "pagination": {"current_page": page, "total_pages": total_pages, "total_items": len(rows)},
            "total": len(rows),
        }
        return httpx.Response(200, json=body)


class OffsetLimitFake(FakeProvider):
    """Portkey: ``offset`` and ``limit`` (default 100, capped at 1000: **⚠ both assumed**; docs/upstreams.md gives
    no bounds), ``{"object":"list","total":N,"data":[...]}``."""

    style = "offset-limit"

    def __init__(
        self, offers: Iterable[Offer], *, default_limit: int = 100, max_limit: int = 1000, **options: Any
    ) -> None:
        super().__init__(offers, **options)
        self.default_limit = default_limit
        self.max_limit = max_limit

    def respond(self, request: httpx.Request, view: View) -> httpx.Response:
        params = request.url.params
        try:
            limit = int(params.get("limit") or self.default_limit)
            offset = int(params.get("offset") or 0)
        except ValueError:
            return _error(400, "limit and offset must be integers")
        if offset < 0 or not 1 <= limit <= self.max_limit:
            return _error(400, f"offset must be >= 0 and limit within 1..{self.max_limit}")
        rows = self.rows(view)
        return httpx.Response(200, json={"object": "list", "total": len(rows), "data": rows[offset : offset + limit]})


# -------------------------------------------------------------------------------------------------- the profiles


@dataclass(frozen=True)
class Profile:
    """A provider's list endpoint as docs/upstreams.md describes it (independently of the specs)."""

    path: str
    style: type[FakeProvider]
    auth: AuthStyle = "bearer"
    auth_required: bool = True
    id_field: str = "id"
    options: tuple[tuple[str, Any], ...] = ()


PROFILES: dict[str, Profile] = {
    "openrouter": Profile("/api/v1/models", OpenAIListFake, auth_required=False,
                          options=(("include_object", False),)),
    "featherless": Profile("/v1/models", PageNumberFake, auth_required=False),
    "deepinfra": Profile("/v1/openai/models", OpenAIListFake, auth_required=False),
    "together": Profile("/v1/models", BareArrayFake),
    "chutes": Profile("/v1/models", OpenAIListFake, auth_required=False),
    "groq": Profile("/openai/v1/models", OpenAIListFake),
    "fireworks": Profile("/inference/v1/models", OpenAIListFake),
    "cerebras": Profile("/v1/models", OpenAIListFake),
    "xai": Profile("/v1/models", OpenAIListFake),
    "nebius": Profile("/v1/models", OpenAIListFake),
    "novita": Profile("/openai/v1/models", OpenAIListFake, options=(("include_object", False),)),
    "google": Profile("/v1beta/models", PageTokenFake, auth="x-goog-api-key", id_field="name"),
    "portkey": Profile("/v1/models", OffsetLimitFake, auth="x-portkey-api-key"),
}  # fmt: skip


def make_fake(
    gateway: str,
    offers: Iterable[Offer],
    *,
    faults: Mapping[int, ProviderFault] | None = None,
    always: ProviderFault | None = None,
    valid_tokens: Iterable[str] | None = None,
    **style_options: Any,
) -> FakeProvider:
    """The fake of ``gateway`` serving ``offers`` in that provider's shape, envelope and pagination."""
    profile = PROFILES[gateway]
    options = {**dict(profile.options), **style_options}
    return profile.style(
        offers,
        gateway=gateway,
        path=profile.path,
        render=RENDERERS[gateway],
        auth=profile.auth,
        auth_required=profile.auth_required,
        valid_tokens=valid_tokens,
        faults=faults,
        always=always,
        id_field=profile.id_field,
        **options,
    )


def fake_providers(
    universe: Universe,
    day: str,
    *,
    specs: Mapping[str, ProviderSpec] = SPECS,
    extra: Mapping[str, Sequence[Offer]] | None = None,
    faults: Mapping[str, Mapping[int, ProviderFault]] | None = None,
    always: Mapping[str, ProviderFault] | None = None,
) -> dict[str, FakeProvider]:
    """Every fake of one recording ``day``, keyed by its spec's host, ready for ``FakeInternet(...)``.

    ``extra`` adds catalogs the universe does not serve (Portkey); ``faults`` and ``always`` are per gateway.
    Two gateways on one host (every spec moved to one local base URL) can not be told apart by host: an error.
    """
    catalogs: dict[str, Sequence[Offer]] = {**universe.catalogs[day], **(extra or {})}
    fakes: dict[str, FakeProvider] = {}
    for gateway, offers in catalogs.items():
        host = specs[gateway].host
        if host in fakes:
            raise ValueError(f"{gateway} and {fakes[host].gateway} are both served from {host}")
        fakes[host] = make_fake(gateway, offers, faults=(faults or {}).get(gateway), always=(always or {}).get(gateway))
    return fakes


# ------------------------------------------------------------------------------------------------ latency, virtual


class TickClock:
    """Virtual time for asyncio: one tick per pass of the event loop, while :meth:`running` is active.

    ``await clock.sleep(n)`` returns after ``n`` passes. Tasks sleeping at the same time share the passes, so two
    overlapping 100-tick sleeps take about 100 ticks and two sequential ones 200: a measure of concurrency that
    does not depend on how busy the machine is.
    """

    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> float:
        return float(self.now)

    async def sleep(self, ticks: float) -> None:
        deadline = self.now + ticks
        while self.now < deadline:
            await asyncio.sleep(0)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[TickClock]:
        async def tick() -> None:
            while True:
                await asyncio.sleep(0)
                self.now += 1

        task = asyncio.create_task(tick())
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class DelayedTransport(httpx.AsyncBaseTransport):
    """Answers with ``handler`` (e.g. ``FakeInternet.handle``) after a per-host delay, and counts overlap.

    ``max_in_flight`` is the largest number of requests that were waiting at once; ``spans`` holds
    ``(host, start, end)`` per request in ``clock`` time.
    """

    def __init__(
        self,
        handler: Handler,
        delays: Mapping[str, float],
        *,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.handler = handler
        self.delays = dict(delays)
        self.sleep = sleep
        self.clock = clock
        self.in_flight = 0
        self.max_in_flight = 0
        self.spans: list[tuple[str, float, float]] = []

    def _now(self) -> float:
        return self.clock() if self.clock is not None else asyncio.get_running_loop().time()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host, start = request.url.host, self._now()
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self.sleep(self.delays.get(host, 0.0))
            await request.aread()
            response = self.handler(request)
        finally:
            self.in_flight -= 1
            self.spans.append((host, start, self._now()))
        response.request = request
        return response
