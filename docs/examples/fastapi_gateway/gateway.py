"""A small model-catalog gateway, written as a team would write it: FastAPI, huggingface_hub and httpx2.

It serves ``GET /v1/models?gateway=…&limit=…&offset=…`` for two gateways (``huggingface`` and ``openrouter``),
``gateway=all`` (plain and ``unique_models=true``, also spelled ``unique=true``), the ``hug`` alias, 4xx with a
message for bad parameters, a stable ETag, and ``POST /v1/chat/completions`` refusing a request without a key.
The catalogs are fetched once, at startup (the lifespan). Nothing here knows catalog-guard exists:
test_contract.py judges it unchanged.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from time import sleep
from typing import Any

import httpx2
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

OPENROUTER_MODELS = "https://openrouter.ai/api/v1/models"
GATEWAYS = ("huggingface", "openrouter")
ALIASES = {"hug": "huggingface"}
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
ATTEMPTS = 4


def fetch_hub_models() -> list[dict[str, Any]]:
    """Every Hugging Face model served by HF Inference: the whole cursor walk (HfApi follows the ``Link``
    header), each id once; a 429 waits for ``RateLimit t=`` and starts again; other errors raise."""
    for attempt in range(ATTEMPTS):
        try:
            listing = HfApi().list_models(inference_provider="hf-inference")
            unique = {model.id: model for model in listing}
            return [{"id": model_id, "name": model_id.rsplit("/", 1)[-1]} for model_id in unique]
        except HfHubHTTPError as error:
            status = error.response.status_code if error.response is not None else None
            if status != 429 or attempt == ATTEMPTS - 1:
                raise
            reset = error.response.headers.get("ratelimit", "").rpartition("t=")[2] or "1"
            sleep(int(reset) + 1)
    raise AssertionError("unreachable")


async def fetch_openrouter_models() -> list[dict[str, Any]]:
    async with httpx2.AsyncClient(timeout=30) as client:
        response = await client.get(OPENROUTER_MODELS)
        response.raise_for_status()
        rows = response.json()["data"]
    unique = {row["id"]: row for row in rows}
    return [{"id": row["id"], "name": row.get("name")} for row in unique.values()]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    catalogs = {"huggingface": fetch_hub_models(), "openrouter": await fetch_openrouter_models()}
    app.state.rows = {
        gateway: [{**model, "source_gateway": gateway} for model in models] for gateway, models in catalogs.items()
    }
    yield


app = FastAPI(lifespan=lifespan)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message}}, status_code=status)


def _unique(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    first: dict[str, dict[str, Any]] = {}
    providers: dict[str, list[str]] = {}
    for row in rows:
        first.setdefault(row["id"], row)
        providers.setdefault(row["id"], []).append(row["source_gateway"])
    return [{**row, "providers": sorted(set(providers[model_id]))} for model_id, row in first.items()]


@app.get("/v1/models")
def list_models(request: Request) -> Response:
    params = request.query_params
    gateway = ALIASES.get(params.get("gateway", "all"), params.get("gateway", "all"))
    try:
        limit = int(params.get("limit", DEFAULT_LIMIT))
        offset = int(params.get("offset", 0))
    except ValueError:
        return _error(400, "limit and offset must be integers")
    if not 1 <= limit <= MAX_LIMIT:
        return _error(400, f"limit must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        return _error(400, "offset must not be negative")
    catalogs: dict[str, list[dict[str, Any]]] = request.app.state.rows
    if gateway == "all":
        rows = list(itertools.chain.from_iterable(catalogs.values()))
        if "true" in (params.get("unique_models"), params.get("unique")):
            rows = _unique(rows)
    elif gateway in catalogs:
        rows = catalogs[gateway]
    else:
        return _error(404, f"unknown gateway {gateway!r}; known: {', '.join(GATEWAYS)}, all")
    data = rows[offset : offset + limit]
    has_more = offset + len(data) < len(rows)
    body = json.dumps(
        {
            "object": "list",
            "data": data,
            "total": len(rows),
            "returned": len(data),
            "offset": offset,
            "limit": limit,
            "gateway": params.get("gateway", "all"),
            "has_more": has_more,
            "next_offset": offset + len(data) if has_more else None,
        },
        separators=(",", ":"),
    ).encode()
    etag = f'"{hashlib.sha256(body).hexdigest()}"'
    return Response(body, media_type="application/json", headers={"ETag": etag})


@app.post("/v1/chat/completions")
def chat_completions(request: Request) -> Response:
    if not request.headers.get("authorization"):
        return _error(401, "missing API key")
    return _error(501, "this example routes nothing")
