"""Tests of the schemas themselves and of catalog_guard.schemas.

A schema that accepts everything passes every contract check, so each schema gets at least one valid example
(built from the example rows in docs/upstreams.md) and one invalid example that must fail *for the
intended reason*: the exact violation path and keyword are asserted, not just "some error".
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing.exceptions import Unresolvable

from catalog_guard import merge, schemas
from catalog_guard.cassettes import live_provenance, synthetic_provenance
from catalog_guard.records import ModelRecord
from catalog_guard.schemas import SCHEMA_BASE_URI, SchemaViolation

SCHEMAS_DIR = schemas.find_schemas_dir()
SCHEMA_FILES = sorted(SCHEMAS_DIR.rglob("*.json"))


def _rel(path: Path) -> str:
    return path.relative_to(SCHEMAS_DIR).as_posix()


def changed(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with ``changes`` applied (keys that are not identifiers go through **{})."""
    result = copy.deepcopy(base)
    result.update(changes)
    return result


def without(base: dict[str, Any], *keys: str) -> dict[str, Any]:
    result = copy.deepcopy(base)
    for key in keys:
        del result[key]
    return result


# ------------------------------------------------------------------------------------ example rows (specs)

# docs/upstreams.md §H3.1, a real default-shape response.
HUB_DEFAULT: dict[str, Any] = {
    "_id": "6909b87b734dd24dd19da3ef",
    "id": "moonshotai/Kimi-K2-Thinking",
    "likes": 578,
    "trendingScore": 580,
    "private": False,
    "downloads": 5119,
    "tags": [
        "transformers", "safetensors", "kimi_k2", "text-generation", "conversational", "custom_code",
        "license:other", "autotrain_compatible", "endpoints_compatible", "compressed-tensors", "region:us",
    ],
    "pipeline_tag": "text-generation",
    "library_name": "transformers",
    "createdAt": "2025-11-04T08:25:31.000Z",
    "modelId": "moonshotai/Kimi-K2-Thinking",
}  # fmt: skip
# §H3.2: full=true adds author, sha, lastModified, gated, disabled and siblings (filenames only).
HUB_FULL: dict[str, Any] = changed(
    HUB_DEFAULT,
    author="moonshotai",
    sha="0123456789abcdef0123456789abcdef01234567",
    lastModified="2025-11-06T10:00:00.000Z",
    gated=False,
    disabled=False,
    siblings=[{"rfilename": "config.json"}, {"rfilename": "model-00001-of-00062.safetensors"}],
)
# §H3.3: hub-docs' ?expand[]=inference example.
HUB_EXPAND: dict[str, Any] = {"_id": "67c35b9bb236f0d365bf29d3", "id": "google/gemma-3-27b-it", "inference": "warm"}
HUB_EXPAND_RICH: dict[str, Any] = changed(
    HUB_EXPAND,
    gated="manual",
    downloadsAllTime=123456,
    safetensors={"parameters": {"BF16": 27432406640}, "total": 27432406640},
    inferenceProviderMapping=[
        {"provider": "hf-inference", "providerId": "google/gemma-3-27b-it", "status": "live", "task": "conversational"}
    ],
)

# docs/upstreams.md §P2.1 (real capture).
OPENROUTER_ROW: dict[str, Any] = {
    "id": "openai/gpt-oss-120b",
    "canonical_slug": "openai/gpt-oss-120b",
    "hugging_face_id": "openai/gpt-oss-120b",
    "name": "OpenAI: gpt-oss-120b",
    "created": 1754414231,
    "description": "gpt-oss-120b is an open-weight, 117B-parameter Mixture-of-Experts (MoE) language model ...",
    "context_length": 131072,
    "architecture": {
        "modality": "text->text", "input_modalities": ["text"], "output_modalities": ["text"],
        "tokenizer": "GPT", "instruct_type": None,
    },
    "pricing": {
        "prompt": "0.000000039", "completion": "0.00000019", "request": "0", "image": "0", "web_search": "0",
        "internal_reasoning": "0",
    },
    "top_provider": {"context_length": 131072, "max_completion_tokens": None, "is_moderated": False},
    "per_request_limits": None,
    "supported_parameters": [
        "frequency_penalty", "include_reasoning", "logit_bias", "logprobs", "max_tokens", "min_p",
        "presence_penalty", "reasoning", "reasoning_effort", "repetition_penalty", "response_format", "seed", "stop",
        "structured_outputs", "temperature", "tool_choice", "tools", "top_k", "top_logprobs", "top_p",
    ],
    "default_parameters": {"temperature": None, "top_p": None, "frequency_penalty": None},
    "expiration_date": None,
}  # fmt: skip
# §P2.2: the docs example and the 2026 roster row.
FEATHERLESS_ROWS: list[dict[str, Any]] = [
    {"id": "vicgalle/Roleplay-Llama-3-8B", "name": "vicgalle/Roleplay-Llama-3-8B", "model_class": "llama3-8b-8k",
     "context_length": 8192, "max_completion_tokens": 4096},
    {"id": "meta-llama/Llama-3.3-70B-Instruct", "name": "meta-llama/Llama-3.3-70B-Instruct",
     "model_class": "llama33-70b", "context_length": 32768, "max_completion_tokens": 4096, "is_gated": True,
     "available_on_current_plan": True, "pricing": {"input": 0.65, "output": 0.75}},
]  # fmt: skip
# §P2.3 (a) and (b).
DEEPINFRA_ROW: dict[str, Any] = {
    "id": "meta-llama/Llama-3.3-70B-Instruct-Turbo", "object": "model", "created": 0, "owned_by": "deepinfra",
    "root": "meta-llama/Llama-3.3-70B-Instruct-Turbo", "parent": None,
    "metadata": {"description": "...", "context_length": 131072, "max_tokens": 16384,
                 "pricing": {"input_tokens": 0.13, "output_tokens": 0.39}, "tags": ["chat"]},
}  # fmt: skip
DEEPINFRA_NATIVE_ROW: dict[str, Any] = {
    "model_name": "meta-llama/Llama-3.3-70B-Instruct", "type": "text-generation", "reported_type": "text-generation",
    "description": "...", "deprecated": None, "replaced_by": None,
    "pricing": {"type": "input_tokens", "cents_per_input_token": 2.3e-05, "cents_per_output_token": 4e-05},
}  # fmt: skip
# §P2.4.
TOGETHER_ROW: dict[str, Any] = {
    "id": "meta-llama/Llama-3.3-70B-Instruct-Turbo", "object": "model", "created": 1733443200, "type": "chat",
    "running": False, "display_name": "Meta Llama 3.3 70B Instruct Turbo", "organization": "Meta",
    "link": "https://huggingface.co/meta-llama/Llama-3.3-70B-Instruct", "license": "llama3.3",
    "context_length": 131072,
    "config": {"chat_template": "...", "stop": ["<|eot_id|>"], "bos_token": "<|begin_of_text|>",
               "eos_token": "<|eot_id|>"},
    "pricing": {"hourly": 0, "input": 0.88, "output": 0.88, "base": 0, "finetune": 0},
}  # fmt: skip
# §P2.5.
CHUTES_ROW: dict[str, Any] = {
    "id": "unsloth/gemma-3-12b-it", "object": "model", "created": 1761246584, "owned_by": "vllm",
    "root": "unsloth/gemma-3-12b-it", "parent": None,
    "pricing": {"prompt": 0.03, "completion": 0.1},
    "price": {"input": {"usd": 0.03, "tao": 0.000077}, "output": {"usd": 0.1, "tao": 0.000257}},
    "quantization": "bf16", "max_model_len": 131072, "context_length": 131072, "max_output_length": 131072,
    "input_modalities": ["text", "image"], "output_modalities": ["text"],
    "supported_features": ["json_mode", "structured_outputs", "tools"],
    "supported_sampling_parameters": ["temperature", "top_p", "top_k", "repetition_penalty", "frequency_penalty",
                                      "presence_penalty", "stop", "seed"],
}  # fmt: skip
# §P2.6 (late-2025 core fields plus 2026 extras).
GROQ_ROW: dict[str, Any] = {
    "id": "llama-3.3-70b-versatile", "object": "model", "created": 1733447754, "owned_by": "Meta", "active": True,
    "context_window": 131072, "public_apps": None, "max_completion_tokens": 32768,
    "name": "Llama 3.3 70B Versatile", "hugging_face_id": "meta-llama/Llama-3.3-70B-Instruct",
    "input_modalities": ["text"], "output_modalities": ["text"],
    "pricing": {"prompt": "0.00000059", "completion": "0.00000079", "input_cache_read": "0"},
    "supported_features": ["tools", "json_mode"],
}  # fmt: skip
# §P2.7 (a) real-response fixture and (b) control-plane fields.
FIREWORKS_ROW: dict[str, Any] = {
    "id": "accounts/fireworks/models/kimi-k2-instruct-0905", "object": "model", "owned_by": "fireworks",
    "created": 1757018994, "kind": "HF_BASE_MODEL", "supports_chat": True, "supports_image_input": False,
    "supports_tools": True, "context_length": 262144,
}  # fmt: skip
FIREWORKS_CONTROL_ROW: dict[str, Any] = {
    "name": "accounts/fireworks/models/llama-v3p3-70b-instruct", "displayName": "Llama 3.3 70B Instruct",
    "createTime": "2024-12-06T18:00:00.123456Z", "state": "READY", "kind": "HF_BASE_MODEL",
    "huggingFaceUrl": "https://huggingface.co/meta-llama/Llama-3.3-70B-Instruct", "public": True,
    "contextLength": 131072, "supportsTools": True, "deprecationDate": {"year": 2026, "month": 3, "day": 1},
}  # fmt: skip
# §P2.8.
CEREBRAS_ROW: dict[str, Any] = {"id": "gpt-oss-120b", "object": "model", "created": 0, "owned_by": "Cerebras"}
# §P2.9 (a) and (b), official spec examples.
XAI_ROW: dict[str, Any] = {"id": "grok-4-0709", "created": 1752019200, "object": "model", "owned_by": "xai"}
XAI_LANGUAGE_ROW: dict[str, Any] = {
    "id": "grok-3", "fingerprint": "fp_898ae9f31c", "created": 1743724800, "object": "model", "owned_by": "xai",
    "version": "1.0", "input_modalities": ["text"], "output_modalities": ["text"],
    "prompt_text_token_price": 30000, "cached_prompt_text_token_price": 7500, "prompt_image_token_price": 0,
    "completion_text_token_price": 150000, "search_price": 250000000, "aliases": ["grok-3-latest", "grok-3-beta"],
}  # fmt: skip
# §P2.10.
NEBIUS_ROW: dict[str, Any] = {
    "id": "meta-llama/Llama-3.3-70B-Instruct", "object": "model", "created": 1733443200, "owned_by": "system",
    "name": "Llama-3.3-70B-Instruct", "context_length": 131072, "architecture": {"modality": "text -> text"},
    "pricing": {"prompt": "0.00000013", "completion": "0.0000004"}, "supported_features": ["function-calling"],
    "quantization": "fp8", "regions": ["eu-north1"],
}  # fmt: skip
# §P2.11: the docs row and the fuller observed row.
NOVITA_ROWS: list[dict[str, Any]] = [
    {"created": 1733560109, "id": "meta-llama/llama-3.3-70b-instruct", "object": "model",
     "input_token_price_per_m": 3900, "output_token_price_per_m": 3900, "title": "meta-llama/llama-3.3-70b-instruct",
     "description": "The Meta Llama 3.3 multilingual large language model ...", "context_size": 131072},
    {"id": "gpt-5.4-pro", "display_name": "gpt-5.4-pro", "created": 1772765601, "object": "model",
     "owned_by": "unknown", "permission": None, "root": "", "parent": "", "input_token_price_per_m": 300000,
     "output_token_price_per_m": 1800000, "title": "gpt-5.4-pro", "description": "", "tags": [],
     "context_size": 1050000, "status": 1, "model_type": "chat", "max_output_tokens": 128000,
     "features": ["function-calling", "reasoning", "serverless"], "endpoints": ["responses"],
     "input_modalities": ["text", "image"], "output_modalities": ["text"]},
]  # fmt: skip
# §P2.12.
GOOGLE_ROW: dict[str, Any] = {
    "name": "models/gemini-2.5-flash", "version": "001", "displayName": "Gemini 2.5 Flash",
    "description": "Stable version of Gemini 2.5 Flash ...", "inputTokenLimit": 1048576, "outputTokenLimit": 65536,
    "supportedGenerationMethods": ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"],
    "temperature": 1, "topP": 0.95, "topK": 64, "maxTemperature": 2, "thinking": True,
}  # fmt: skip
# §P2.13, the official spec example.
PORTKEY_LIST: dict[str, Any] = {
    "object": "list",
    "total": 500,
    "data": [{"id": "@ai-provider-slug/gpt-5", "slug": "gpt-5", "canonical_slug": "gpt-5", "object": "model"}],
}

GATEWAY_ROW: dict[str, Any] = {
    "id": "meta-llama/Llama-3.3-70B-Instruct", "source_gateway": "deepinfra", "name": "Llama 3.3 70B Instruct",
    "provider_slug": "deepinfra", "context_length": 131072, "pricing": {"prompt": "0.00000023"}, "description": None,
}  # fmt: skip
GATEWAY_OLD: dict[str, Any] = {
    "data": [GATEWAY_ROW], "total": 215, "returned": 1, "offset": 0, "limit": 1, "gateway": "deepinfra",
    "note": None, "timestamp": "2025-10-17T12:00:00.123456+00:00",
}  # fmt: skip
GATEWAY_NEW: dict[str, Any] = changed(GATEWAY_OLD, object="list", has_more=True, next_offset=1)

MERGED: dict[str, Any] = {
    "id": "openai/gpt-oss-120b", "gateways": ["deepinfra", "groq", "openrouter"], "name": "gpt-oss-120b",
    "context_length": 131072, "hugging_face_id": "openai/gpt-oss-120b",
}  # fmt: skip

RECORDED_WITH = {"catalog_guard": "0.1.0", "vcrpy": "9.4.2", "httpx": "0.28.1"}
SYNTHETIC: dict[str, Any] = {
    "kind": "synthetic", "generator": "catalog-guard-universe", "generator_version": "1", "seed": 20251017,
    "recorded_with": RECORDED_WITH, "note": "Only the named models are real ids; the rest are invented.",
}  # fmt: skip
LIVE: dict[str, Any] = {
    "kind": "live", "recorded_at": "2025-10-17T09:30:00Z", "hosts": ["huggingface.co", "openrouter.ai"],
    "recorded_with": changed(RECORDED_WITH, python="3.11.7"),
}  # fmt: skip


def oai(*rows: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI-style list envelope around ``rows``."""
    return {"object": "list", "data": [copy.deepcopy(row) for row in rows]}


# ------------------------------------------------------------------------------------------ example tables

VALID: list[Any] = [
    pytest.param("hub/model.json", HUB_DEFAULT, id="hub-core-default-row"),
    pytest.param("hub/model.json", HUB_EXPAND, id="hub-core-expand-row"),
    pytest.param("hub/model.json#default", HUB_DEFAULT, id="hub-default"),
    pytest.param("hub/model.json#default", without(HUB_DEFAULT, "pipeline_tag", "library_name", "createdAt"),
                 id="hub-default-unset-tags"),
    pytest.param("hub/model.json#full", HUB_FULL, id="hub-full"),
    pytest.param("hub/model.json#expand", HUB_EXPAND, id="hub-expand"),
    pytest.param("hub/model.json#expand", HUB_EXPAND_RICH, id="hub-expand-rich"),
    pytest.param("hub/list.json", [HUB_DEFAULT, HUB_EXPAND], id="hub-list-any"),
    pytest.param("hub/list.json", [], id="hub-list-empty"),
    pytest.param("hub/list.json#default", [HUB_DEFAULT, changed(HUB_DEFAULT, trendingScore=0.7000000000000001)],
                 id="hub-list-default"),
    pytest.param("hub/list.json#full", [HUB_FULL], id="hub-list-full"),
    pytest.param("hub/list.json#expand", [HUB_EXPAND, HUB_EXPAND_RICH], id="hub-list-expand"),
    pytest.param("providers/openrouter.json", {"data": [OPENROUTER_ROW]}, id="openrouter"),
    pytest.param("providers/openrouter.json#model", changed(OPENROUTER_ROW, hugging_face_id="",
                 pricing={"prompt": "-1", "completion": "-1"}), id="openrouter-auto-router"),
    pytest.param("providers/featherless.json", {"data": FEATHERLESS_ROWS}, id="featherless"),
    pytest.param("providers/featherless.json",
                 {"data": FEATHERLESS_ROWS[:1], "total": 22060,
                  "pagination": {"current_page": 1, "total_pages": 221, "total_items": 22060}},
                 id="featherless-paged"),
    pytest.param("providers/deepinfra.json", oai(DEEPINFRA_ROW), id="deepinfra-openai"),
    pytest.param("providers/deepinfra.json", [DEEPINFRA_NATIVE_ROW], id="deepinfra-native"),
    pytest.param("providers/together.json", [TOGETHER_ROW, changed(TOGETHER_ROW, created=0, type=None)],
                 id="together"),
    pytest.param("providers/chutes.json", oai(CHUTES_ROW, {"id": "chutesai/sparse", "max_model_len": 8192}),
                 id="chutes"),
    pytest.param("providers/groq.json", oai(GROQ_ROW), id="groq"),
    pytest.param("providers/fireworks.json", oai(FIREWORKS_ROW), id="fireworks-openai"),
    pytest.param("providers/fireworks.json",
                 {"models": [FIREWORKS_CONTROL_ROW], "nextPageToken": "abc", "totalSize": 230},
                 id="fireworks-control-plane"),
    pytest.param("providers/cerebras.json", oai(CEREBRAS_ROW), id="cerebras"),
    pytest.param("providers/xai.json", {"data": [XAI_ROW], "object": "list"}, id="xai-models"),
    pytest.param("providers/xai.json", {"models": [XAI_LANGUAGE_ROW]}, id="xai-language-models"),
    pytest.param("providers/nebius.json", {"data": [NEBIUS_ROW]}, id="nebius"),
    pytest.param("providers/novita.json", {"data": NOVITA_ROWS}, id="novita"),
    pytest.param("providers/google.json", {"models": [GOOGLE_ROW], "nextPageToken": "Chdtb2RlbHMvZ2VtaW5p"},
                 id="google"),
    pytest.param("providers/google.json", {"models": [without(GOOGLE_ROW, "version")]}, id="google-last-page"),
    pytest.param("providers/portkey.json", PORTKEY_LIST, id="portkey"),
    pytest.param("gateway/model.json", GATEWAY_ROW, id="gateway-model"),
    pytest.param("gateway/model.json", {"id": "gpt-4.1", "source_gateway": "openrouter"}, id="gateway-model-min"),
    pytest.param("gateway/models-response.json", GATEWAY_OLD, id="gateway-old-envelope"),
    pytest.param("gateway/models-response.json", GATEWAY_NEW, id="gateway-new-envelope"),
    pytest.param("gateway/models-response.json",
                 changed(GATEWAY_NEW, has_more=False, next_offset=None, timestamp=1760702400), id="gateway-last-page"),
    pytest.param("gateway/error.json", {"detail": "Invalid gateway 'nope'"}, id="error-fastapi"),
    pytest.param("gateway/error.json",
                 {"detail": [{"loc": ["query", "offset"], "msg": "ensure this value is >= 0", "type": "value_error"}]},
                 id="error-fastapi-422"),
    pytest.param("gateway/error.json", {"error": {"message": "limit must be in 1..1000", "type": "invalid_request"}},
                 id="error-openai"),
    pytest.param("gateway/error.json", {"error": "unknown gateway"}, id="error-string"),
    pytest.param("gateway/error.json", {"message": "offset must be >= 0"}, id="error-message"),
    pytest.param("catalog/merged-record.json", MERGED, id="merged"),
    pytest.param("catalog/merged-record.json",
                 changed(MERGED, gateways=["huggingface"], name=None, context_length=None, hugging_face_id=None),
                 id="merged-unknowns"),
    pytest.param("catalog/merged-record.json", changed(MERGED, ids=["openai/gpt-oss-120b", "gpt-oss-120b"]),
                 id="merged-canonical-ids"),
    pytest.param("cassette/provenance.json", SYNTHETIC, id="provenance-synthetic"),
    pytest.param("cassette/provenance.json",
                 changed(SYNTHETIC, hosts=["huggingface.co"], recorded_with=changed(RECORDED_WITH, vcrpy="unknown")),
                 id="provenance-synthetic-version-unknown"),
    pytest.param("cassette/provenance.json", LIVE, id="provenance-live"),
]  # fmt: skip

# (schema, instance, json_path, keyword, message fragment): the one violation the example must produce.
INVALID: list[Any] = [
    pytest.param("hub/model.json", changed(HUB_DEFAULT, _id="6909b87b"), "$['_id']", "pattern", "does not match",
                 id="hub-core-short-objectid"),
    pytest.param("hub/model.json", changed(HUB_DEFAULT, createdAt="yesterday"), "$.createdAt", "format",
                 "is not a 'date-time'", id="hub-core-bad-date-time"),
    pytest.param("hub/model.json", changed(HUB_EXPAND, inferenceProviderMapping={"groq": {}}),
                 "$.inferenceProviderMapping", "type", "is not of type 'array'", id="hub-core-mapping-as-dict"),
    pytest.param("hub/model.json#default", without(HUB_DEFAULT, "downloads"), "$", "required",
                 "'downloads' is a required property", id="hub-default-missing-downloads"),
    pytest.param("hub/model.json#default", changed(HUB_DEFAULT, downloads=-1), "$.downloads", "minimum",
                 "less than the minimum of 0", id="hub-default-negative-downloads"),
    pytest.param("hub/model.json#default", changed(HUB_DEFAULT, id=""), "$.id", "minLength", "non-empty",
                 id="hub-default-empty-id"),
    pytest.param("hub/model.json#full", without(HUB_FULL, "sha"), "$", "required", "'sha' is a required property",
                 id="hub-full-missing-sha"),
    pytest.param("hub/model.json#full", changed(HUB_FULL, gated="yes"), "$.gated", "enum", "is not one of",
                 id="hub-full-bad-gated"),
    pytest.param("hub/model.json#expand", changed(HUB_EXPAND, modelId="google/gemma-3-27b-it"), "$.modelId",
                 "not", "'modelId' must not be present", id="hub-expand-has-modelid"),
    pytest.param("hub/model.json#expand",
                 changed(HUB_EXPAND_RICH, inferenceProviderMapping=[
                     {"provider": "groq", "providerId": "x", "status": "down", "task": "conversational"}]),
                 "$.inferenceProviderMapping[0].status", "enum", "is not one of", id="hub-expand-bad-mapping-status"),
    pytest.param("hub/list.json", {"data": [HUB_DEFAULT]}, "$", "type", "is not of type 'array'",
                 id="hub-list-enveloped"),
    pytest.param("hub/list.json#default", [HUB_DEFAULT, without(HUB_DEFAULT, "modelId")], "$[1]", "required",
                 "'modelId' is a required property", id="hub-list-default-missing-modelid"),
    pytest.param("hub/list.json#full", [changed(HUB_FULL, sha="abc")], "$[0].sha", "pattern", "does not match",
                 id="hub-list-full-short-sha"),
    pytest.param("hub/list.json#expand", [HUB_EXPAND, changed(HUB_EXPAND, modelId="x")], "$[1].modelId", "not",
                 "must not be present", id="hub-list-expand-modelid"),
    pytest.param("providers/openrouter.json", {"data": [changed(OPENROUTER_ROW, pricing={"prompt": "$0.04",
                 "completion": "0"})]}, "$.data[0].pricing.prompt", "pattern", "does not match",
                 id="openrouter-price-with-currency"),
    pytest.param("providers/openrouter.json", {"data": [without(OPENROUTER_ROW, "canonical_slug")]}, "$.data[0]",
                 "required", "'canonical_slug' is a required property", id="openrouter-missing-canonical-slug"),
    pytest.param("providers/featherless.json", {"data": [changed(FEATHERLESS_ROWS[0], context_length="8192")]},
                 "$.data[0].context_length", "type", "is not of type 'integer'", id="featherless-string-context"),
    pytest.param("providers/featherless.json", FEATHERLESS_ROWS, "$", "type", "is not of type 'object'",
                 id="featherless-bare-array"),
    pytest.param("providers/deepinfra.json", [changed(without(DEEPINFRA_NATIVE_ROW, "model_name"), id="x")], "$[0]",
                 "required", "'model_name' is a required property", id="deepinfra-native-without-model-name"),
    pytest.param("providers/deepinfra.json", changed(oai(DEEPINFRA_ROW), object="models"), "$.object", "const",
                 "'list' was expected", id="deepinfra-openai-bad-object"),
    pytest.param("providers/together.json", {"data": [TOGETHER_ROW]}, "$", "type", "is not of type 'array'",
                 id="together-enveloped"),
    pytest.param("providers/together.json", [changed(TOGETHER_ROW, pricing={"input": 0.88, "output": 0.88,
                 "hourly": 0, "base": 0})], "$[0].pricing", "required", "'finetune' is a required property",
                 id="together-pricing-missing-finetune"),
    pytest.param("providers/chutes.json", oai(changed(CHUTES_ROW, created="1761246584")), "$.data[0].created",
                 "type", "is not of type 'integer'", id="chutes-string-created"),
    pytest.param("providers/groq.json", oai(without(GROQ_ROW, "owned_by")), "$.data[0]", "required",
                 "'owned_by' is a required property", id="groq-missing-owned-by"),
    pytest.param("providers/fireworks.json", oai(changed(FIREWORKS_ROW, id="kimi-k2-instruct-0905")),
                 "$.data[0].id", "pattern", "does not match", id="fireworks-bare-slug"),
    pytest.param("providers/fireworks.json", {"models": [FIREWORKS_CONTROL_ROW], "totalSize": -1}, "$.totalSize",
                 "minimum", "less than the minimum", id="fireworks-control-negative-total"),
    pytest.param("providers/cerebras.json", oai(without(CEREBRAS_ROW, "created")), "$.data[0]", "required",
                 "'created' is a required property", id="cerebras-missing-created"),
    pytest.param("providers/xai.json", {"models": [changed(XAI_LANGUAGE_ROW, prompt_text_token_price=3.5)]},
                 "$.models[0].prompt_text_token_price", "type", "is not of type 'integer'", id="xai-float-price"),
    pytest.param("providers/xai.json", {"object": "list", "data": [without(XAI_ROW, "owned_by")]}, "$.data[0]",
                 "required", "'owned_by' is a required property", id="xai-models-missing-owned-by"),
    pytest.param("providers/nebius.json", {"data": [changed(NEBIUS_ROW, pricing={"prompt": "free"})]},
                 "$.data[0].pricing.prompt", "pattern", "does not match", id="nebius-non-numeric-price"),
    pytest.param("providers/novita.json", {"data": [changed(NOVITA_ROWS[0], input_token_price_per_m=0.39)]},
                 "$.data[0].input_token_price_per_m", "type", "is not of type 'integer'", id="novita-dollar-price"),
    pytest.param("providers/google.json", {"models": [changed(GOOGLE_ROW, name="gemini-2.5-flash")]},
                 "$.models[0].name", "pattern", "does not match '^models/.+'", id="google-name-without-prefix"),
    pytest.param("providers/portkey.json", without(PORTKEY_LIST, "object"), "$", "required",
                 "'object' is a required property", id="portkey-missing-object"),
    pytest.param("gateway/model.json", changed(GATEWAY_ROW, id=""), "$.id", "minLength", "non-empty",
                 id="gateway-model-empty-id"),
    pytest.param("gateway/model.json", without(GATEWAY_ROW, "source_gateway"), "$", "required",
                 "'source_gateway' is a required property", id="gateway-model-missing-source"),
    pytest.param("gateway/models-response.json", changed(GATEWAY_NEW, offset=-5, next_offset=0), "$.offset",
                 "minimum", "-5 is less than the minimum of 0", id="gateway-g8-negative-offset"),
    pytest.param("gateway/models-response.json", without(GATEWAY_NEW, "next_offset"), "$", "required",
                 "'next_offset' is a required property", id="gateway-has-more-without-next-offset"),
    pytest.param("gateway/models-response.json", changed(GATEWAY_OLD, data=[without(GATEWAY_ROW, "source_gateway")]),
                 "$.data[0]", "required", "'source_gateway' is a required property", id="gateway-row-without-source"),
    pytest.param("gateway/models-response.json", changed(GATEWAY_OLD, timestamp="yesterday"), "$.timestamp",
                 "format", "is not a 'date-time'", id="gateway-bad-timestamp"),
    pytest.param("gateway/error.json", {"status_code": 400}, "$", "anyOf", "'detail' is a required property",
                 id="error-without-message"),
    pytest.param("gateway/error.json", {"detail": "  "}, "$.detail", "anyOf", "does not match",
                 id="error-blank-detail"),
    pytest.param("catalog/merged-record.json", changed(MERGED, raw={}), "$", "additionalProperties",
                 "'raw' was unexpected", id="merged-extra-key"),
    pytest.param("catalog/merged-record.json", changed(MERGED, gateways=["groq", "groq"]), "$.gateways",
                 "uniqueItems", "non-unique", id="merged-duplicate-gateway"),
    pytest.param("catalog/merged-record.json", changed(MERGED, gateways=[]), "$.gateways", "minItems",
                 "should be non-empty", id="merged-no-gateway"),
    pytest.param("catalog/merged-record.json", without(MERGED, "name"), "$", "required",
                 "'name' is a required property", id="merged-missing-name"),
    pytest.param("catalog/merged-record.json", changed(MERGED, hugging_face_id=""), "$.hugging_face_id",
                 "minLength", "non-empty", id="merged-empty-hf-id"),
    pytest.param("catalog/merged-record.json", changed(MERGED, context_length=0), "$.context_length", "minimum",
                 "less than the minimum of 1", id="merged-zero-context"),
    pytest.param("cassette/provenance.json", changed(SYNTHETIC, recorded_with=changed(RECORDED_WITH, httpx="latest")),
                 "$.recorded_with.httpx", "pattern", "does not match", id="provenance-bad-version"),
    pytest.param("cassette/provenance.json", without(SYNTHETIC, "seed"), "$", "required",
                 "'seed' is a required property", id="provenance-synthetic-without-seed"),
    pytest.param("cassette/provenance.json", changed(LIVE, recorded_at="yesterday"), "$.recorded_at", "format",
                 "is not a 'date-time'", id="provenance-live-bad-date-time"),
    pytest.param("cassette/provenance.json", without(LIVE, "hosts"), "$", "required",
                 "'hosts' is a required property", id="provenance-live-without-hosts"),
    pytest.param("cassette/provenance.json", changed(SYNTHETIC, recorded_with=without(RECORDED_WITH, "vcrpy")),
                 "$.recorded_with", "required", "'vcrpy' is a required property", id="provenance-without-vcrpy"),
    pytest.param("cassette/provenance.json", changed(SYNTHETIC, kind="replayed"), "$.kind", "enum",
                 "is not one of", id="provenance-unknown-kind"),
]  # fmt: skip


@pytest.mark.parametrize(("schema", "instance"), VALID)
def test_valid_examples_pass(schema: str, instance: Any) -> None:
    assert schemas.validate(instance, schema) == []
    assert schemas.is_valid(instance, schema)


@pytest.mark.parametrize(("schema", "instance", "json_path", "keyword", "fragment"), INVALID)
def test_invalid_examples_fail_for_the_intended_reason(
    schema: str, instance: Any, json_path: str, keyword: str, fragment: str
) -> None:
    violations = schemas.validate(instance, schema)
    assert [(v.json_path, v.keyword) for v in violations] == [(json_path, keyword)], violations
    assert fragment in violations[0].message
    assert not schemas.is_valid(instance, schema)


def _document(param: Any) -> str:
    return str(param.values[0]).partition("#")[0]


def test_every_schema_file_has_valid_and_invalid_examples() -> None:
    files = {_rel(path) for path in SCHEMA_FILES}
    assert {_document(p) for p in VALID} == files
    assert {_document(p) for p in INVALID} == files
    hub_shapes = {f"hub/{doc}.json#{shape}" for doc in ("model", "list") for shape in schemas.HUB_SHAPES}
    assert hub_shapes <= {p.values[0] for p in VALID}
    assert hub_shapes <= {p.values[0] for p in INVALID}


# ----------------------------------------------------------------------------------- the schema files


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=_rel)
def test_schema_file_is_a_valid_2020_12_schema_with_its_id(path: Path) -> None:
    contents = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(contents)
    assert contents["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert contents["$id"] == SCHEMA_BASE_URI + _rel(path)


def test_registry_holds_every_file_once() -> None:
    assert schemas.schema_ids() == tuple(sorted(SCHEMA_BASE_URI + _rel(path) for path in SCHEMA_FILES))
    assert schemas.registry() is schemas.registry()


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=_rel)
def test_every_ref_resolves_offline(path: Path) -> None:
    uri = SCHEMA_BASE_URI + _rel(path)
    resolver = schemas.registry().resolver(base_uri=uri)
    for ref in _refs(schemas.registry().contents(uri)):
        assert not ref.startswith(("http:", "https:")) or ref.startswith(SCHEMA_BASE_URI), ref
        resolver.lookup(ref)  # raises Unresolvable if a ref dangles


def test_unknown_uris_are_never_retrieved() -> None:
    with pytest.raises(Unresolvable):
        schemas.registry().resolver().lookup("https://example.com/schemas/model.json")
    with pytest.raises(schemas.UnknownSchemaError, match="never retrieved"):
        schemas.validator("https://example.com/schemas/model.json")


def test_unknown_schema_names_are_reported_with_suggestions() -> None:
    with pytest.raises(schemas.UnknownSchemaError, match=r"did you mean providers/groq\.json"):
        schemas.validator("providers/groq.jsn")
    with pytest.raises(schemas.UnknownSchemaError, match="does not resolve"):
        schemas.validator("hub/model.json#nope")


# ------------------------------------------------------------------------------------------ format checks


def test_date_time_format_checker_is_really_active() -> None:
    # Without rfc3339-validator, "date-time" silently passes anything (docs/tooling.md §4.1).
    assert "date-time" in Draft202012Validator.FORMAT_CHECKER.checkers
    assert "hostname" in Draft202012Validator.FORMAT_CHECKER.checkers
    checked = schemas.validator("cassette/provenance.json")
    assert checked.format_checker is Draft202012Validator.FORMAT_CHECKER
    assert schemas.is_valid(LIVE, "cassette/provenance.json")
    for bad in ("yesterday", "2025-10-17", "2025-10-17T09:30:00", "2025-13-01T00:00:00Z"):
        [violation] = schemas.validate(changed(LIVE, recorded_at=bad), "cassette/provenance.json")
        assert (violation.json_path, violation.keyword) == ("$.recorded_at", "format")


def test_hostname_format_is_checked() -> None:
    [violation] = schemas.validate(changed(LIVE, hosts=["not a host"]), "cassette/provenance.json")
    assert (violation.json_path, violation.keyword) == ("$.hosts[0]", "format")


# -------------------------------------------------------------------------------------------- validators


def test_validators_are_cached() -> None:
    first = schemas.validator("providers/groq.json")
    assert schemas.validator("providers/groq.json") is first
    assert schemas.validator(SCHEMA_BASE_URI + "providers/groq.json") is first
    assert schemas.validator("./providers/groq.json") is first
    shaped = schemas.validator("hub/model.json#full")
    assert schemas.validator(schemas.hub_model_schema("full")) is shaped
    assert shaped is not schemas.validator("hub/model.json")


def test_hub_shape_helpers() -> None:
    assert schemas.hub_model_schema() == "hub/model.json"
    assert schemas.hub_model_schema("expand") == "hub/model.json#expand"
    assert schemas.hub_list_schema("default") == "hub/list.json#default"
    with pytest.raises(ValueError, match="unknown Hub shape"):
        schemas.hub_list_schema("compact")  # type: ignore[arg-type]


def test_shapes_differ_where_the_spec_says_so() -> None:
    # An expand row is a fine core object but not a default one, and a default row is not an expand one.
    assert schemas.is_valid(HUB_EXPAND, "hub/model.json")
    assert not schemas.is_valid(HUB_EXPAND, "hub/model.json#default")
    assert not schemas.is_valid(HUB_DEFAULT, "hub/model.json#expand")
    assert not schemas.is_valid(HUB_DEFAULT, "hub/model.json#full")


def test_violations_are_sorted_by_location_then_relevance() -> None:
    rows = [changed(CEREBRAS_ROW, id=f"m{i}") for i in range(12)]
    rows[10] = without(rows[10], "owned_by")
    rows[2] = changed(rows[2], created=-1, object="list")
    violations = schemas.validate(oai(*rows), "providers/cerebras.json")
    assert [v.json_path for v in violations] == ["$.data[2].created", "$.data[2].object", "$.data[10]"]
    assert str(violations[2]) == "$.data[10]: 'owned_by' is a required property"


def test_anyof_violation_names_the_closest_branch() -> None:
    [violation] = schemas.validate({"error": {"message": ""}}, "gateway/error.json")
    assert violation.json_path == "$.error"
    assert "closest branch: $.error.message:" in violation.message


def test_huge_instances_give_short_messages() -> None:
    catalog = {"data": [{"id": f"model-{i}", "source_gateway": "x"} for i in range(5000)]}
    [violation] = schemas.validate(catalog, "hub/list.json")
    assert len(violation.message) < 500
    assert violation.message.endswith("is not of type 'array'")


def test_violation_is_a_plain_value() -> None:
    violation = SchemaViolation(json_path="$.id", message="'' should be non-empty", keyword="minLength", schema_path="")
    assert str(violation) == "$.id: '' should be non-empty"


# ------------------------------------------------------------------------------------------------- drift


@pytest.mark.parametrize(("schema", "instance"), VALID)
def test_spec_example_rows_show_no_drift(schema: str, instance: Any) -> None:
    # Every field the specs show is named by its schema, so drift() only ever reports genuinely new fields.
    assert schemas.drift(instance, schema) == []


def test_drift_lists_unknown_upstream_fields() -> None:
    row = changed(GROQ_ROW, terms_url="https://groq.com/terms")
    row["pricing"]["batch_discount"] = "0.5"  # pricing is a map: any key is expected there
    envelope = changed(oai(CEREBRAS_ROW), next_cursor="abc")
    assert schemas.drift(oai(row), "providers/groq.json") == ["$.data[0].terms_url"]
    assert schemas.drift(envelope, "providers/cerebras.json") == ["$.next_cursor"]
    # ... and unknown fields are reported, never rejected.
    assert schemas.validate(oai(row), "providers/groq.json") == []


def test_drift_follows_refs_anchors_and_branches() -> None:
    hub_row = changed(HUB_DEFAULT, xetEnabled=True, brandNew=1, **{"model-index": []})
    hub_row["safetensors"] = {"parameters": {"BF16": 1}, "total": 1, "sharded": True}
    assert schemas.drift([hub_row], "hub/list.json#default") == ["$[0].brandNew", "$[0].safetensors.sharded"]
    # The xAI root dispatches on `models`: the language-model item's own fields are the ones named.
    language = {"models": [changed(XAI_LANGUAGE_ROW, reasoning=True, image_price_long_context=5)]}
    assert schemas.drift(language, "providers/xai.json") == ["$.models[0].reasoning"]
    assert schemas.drift([changed(DEEPINFRA_NATIVE_ROW, id="x")], "providers/deepinfra.json") == ["$[0].id"]
    nested = {"data": [changed(OPENROUTER_ROW, architecture={**OPENROUTER_ROW["architecture"], "new": 1})]}
    assert schemas.drift(nested, "providers/openrouter.json") == ["$.data[0].architecture.new"]
    # Free-form objects (no `properties`) have no unknown fields.
    assert schemas.drift(changed(HUB_EXPAND, config={"anything": 1}), "hub/model.json#expand") == []
    # Extra top-level keys in an error body are allowed, and reported.
    body = {"detail": "unknown gateway 'nope'", "request_id": "r-1"}
    assert schemas.validate(body, "gateway/error.json") == []
    assert schemas.drift(body, "gateway/error.json") == ["$.request_id"]


# --------------------------------------------------------------------------------------------- discovery


def test_schemas_dir_of_a_source_checkout(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "schemas").mkdir()
    package = tmp_path / "src" / "catalog_guard"
    package.mkdir(parents=True)
    assert schemas.find_schemas_dir(package) == (tmp_path / "schemas").resolve()


def test_schemas_dir_of_a_wheel_is_looked_at_first(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "schemas").mkdir()
    package = tmp_path / "site-packages" / "catalog_guard"
    (package / "_schemas").mkdir(parents=True)
    assert schemas.find_schemas_dir(package) == (package / "_schemas").resolve()


def test_schemas_dir_search_stops_at_the_project_root(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()  # an unrelated outer directory's schemas must not be picked up
    project = tmp_path / "project"
    (project / "src" / "catalog_guard").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    with pytest.raises(schemas.SchemaLayoutError, match="no schemas directory"):
        schemas.find_schemas_dir(project / "src" / "catalog_guard")


def test_this_checkout_uses_the_top_level_schemas() -> None:
    assert (SCHEMAS_DIR.parent / "pyproject.toml").is_file() or SCHEMAS_DIR.name == "_schemas"


def test_loader_reports_every_bad_file(tmp_path: Path) -> None:
    (tmp_path / "ok.json").write_text(
        json.dumps({"$schema": schemas.DIALECT, "$id": SCHEMA_BASE_URI + "ok.json", "type": "object"})
    )
    (tmp_path / "stale.json").write_text(json.dumps({"$schema": schemas.DIALECT, "$id": SCHEMA_BASE_URI + "ok.json"}))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "nodialect.json").write_text(json.dumps({"$id": SCHEMA_BASE_URI + "sub/nodialect.json"}))
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(schemas.SchemaLayoutError) as excinfo:
        schemas.load_registry(tmp_path)
    message = str(excinfo.value)
    assert "stale.json: $id must be" in message
    assert "sub/nodialect.json: $schema must be" in message
    assert "broken.json: unreadable JSON" in message
    assert "ok.json:" not in message.replace("stale.json", "")


# ------------------------------------------------------------------------------------ producers agree


@pytest.mark.parametrize("key", ["exact", "canonical"])
def test_merge_output_matches_the_merged_record_schema(key: merge.KeyMode) -> None:
    catalogs = {
        "openrouter": [
            ModelRecord("openai/gpt-oss-120b", "openrouter", "OpenAI: gpt-oss-120b", 131072, "openai/gpt-oss-120b"),
            ModelRecord("openai/gpt-oss-120b:free", "openrouter", None, None, None),
        ],
        "cerebras": [ModelRecord("gpt-oss-120b", "cerebras")],
        "google": [ModelRecord("models/gemini-2.5-flash", "google", "Gemini 2.5 Flash", 1048576)],
    }
    merged = merge.merge(catalogs, key=key)
    assert merged.entries
    for entry in merged.entries.values():
        assert schemas.validate(entry.to_dict(), "catalog/merged-record.json") == []


def test_live_provenance_output_has_the_live_keys() -> None:
    block = live_provenance(["openrouter.ai", "huggingface.co"], "2025-10-17T09:30:00Z")
    problems = schemas.validate(block, "cassette/provenance.json")
    assert [v for v in problems if v.json_path != "$.recorded_with"] == []


def test_provenance_producers_match_the_schema() -> None:
    synthetic = synthetic_provenance(20251017, "catalog-guard-universe", "1", ["huggingface.co"])
    live = live_provenance(["huggingface.co"], "2025-10-17T09:30:00Z")
    assert schemas.validate(synthetic, "cassette/provenance.json") == []
    assert schemas.validate(live, "cassette/provenance.json") == []
