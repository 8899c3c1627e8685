"""The ``catalog-guard`` cassette format: one JSON document per cassette, safe to load, reviewable, fast to replay.

vcrpy hands a serializer a plain dict (``{"version", "interactions": [{"request", "response"}], "metadata"}``) and
expects one back; this module maps it to and from the document below. The design goals, in order:

1. **Safe loading.** ``json.loads`` and nothing else: no tags, no object construction (vcrpy < 8.2.1 executed
   code from YAML cassettes, GHSA-rpj2-4hq8-938g).
2. **Reviewable diffs.** A JSON response body that is an array, or an object holding exactly one array (the
   ``{"data": [...]}`` / ``{"models": [...]}`` envelopes), is stored as ``"body_lines"``: one string per line of a
   rendering with every array element on its own line. A re-record in which one model changed is then a diff of
   one body line (plus ``content-length``), not a rewritten multi-megabyte line. Headers are sorted and lowercased,
   keys come in a fixed order and the document is indented by 2, so the same interactions always give the same
   bytes.
3. **Fast replay.** A cassette is one ``json.loads`` (C) plus a ``"\\n".join`` per body; no per-model structure is
   rebuilt at load time (the "parsed_body" trick is ~200x slower to load, docs/tooling.md §1.6).

The rendering of a split body is *lexical*: the original text is validated by the JSON scanner, then whitespace
outside strings is removed and a newline is put between array elements. Every string, number literal, escape
sequence and key order (duplicate keys too) is kept exactly as the upstream sent it, so the replayed body differs
from the recorded one **in whitespace only** and ``json.loads`` gives the same value for both. (Re-encoding with
``json.dumps`` would not: it turns ``1e5`` into ``100000.0``, ``0.10000000000000001`` into ``0.1`` and drops
duplicate keys.) ``content-length`` is recomputed from the stored body on save and again on load, so hand-edited
cassettes stay consistent. Other text bodies are stored verbatim in ``"body"``; bodies that are not UTF-8 go to
``"body_base64"``. A body still carrying a ``content-encoding`` is refused: it must have been decoded by vcrpy's
``decode_compressed_response=True``, or the scrubber could not have looked inside it.

Document layout::

    {
      "format": "catalog-guard-cassette/1",
      "provenance": {...} | null,        # vcrpy metadata key "provenance"
      "metadata": {...},                 # any other metadata keys (only when there are some)
      "interactions": [
        {"request": {"method", "uri", "headers", "body" | "body_base64"},
         "response": {"status", "reason", "headers", "body" | "body_lines" | "body_base64"}}
      ]
    }
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

NAME = "catalog-guard"
FORMAT = "catalog-guard-cassette/1"
SUFFIX = ".json"
PROVENANCE_KEY = "provenance"

# The decoder's own scanner: parses one JSON value at an index and returns (value, end), in C.
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_SPACE = re.compile(r"[ \t\n\r]*")
# The tokens of JSON text without its whitespace: a whole string, or a run of anything but quotes and whitespace.
# ``findall`` skips what matches neither (whitespace between tokens) and never calls back into Python.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[^" \t\n\r]+')
_ANY_SPACE = re.compile(r"[ \t\n\r]")
# Text that is nothing but such tokens, with no whitespace between them: already compact (httpx and the fakes send
# compact JSON). Possessive, so a text that is not compact fails at its first space without backtracking.
_COMPACT = re.compile(r'(?:"[^"\\]*(?:\\.[^"\\]*)*"|[^" \t\n\r]++)*+')
_BODY_KEYS = ("body", "body_lines", "body_base64")


# ------------------------------------------------------------------------------------------ body rendering


def compact_json(text: str) -> str:
    """``text`` without whitespace outside strings. Only meaningful for valid JSON (or a fragment of it cut at
    token boundaries): the result then has exactly the same tokens."""
    if not _ANY_SPACE.search(text) or _COMPACT.fullmatch(text):  # whitespace only inside strings
        return text
    return "".join(_TOKENS.findall(text))


def json_lines(text: str) -> list[str] | None:
    """The line rendering of a JSON body with one array to split, or ``None`` if ``text`` is not such a body.

    ``"\\n".join(result)`` is valid JSON with the same tokens as ``text``: only whitespace differs.
    """
    try:
        return _split(text)
    except (StopIteration, IndexError, ValueError):
        return None


def _skip(text: str, index: int) -> int:
    match = _SPACE.match(text, index)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _array(text: str, index: int) -> tuple[list[tuple[int, int]], int]:
    """Spans of the elements of the array opening at ``index``, and the index just past its ``]``."""
    spans: list[tuple[int, int]] = []
    index = _skip(text, index + 1)
    if text[index] == "]":
        return spans, index + 1
    while True:
        _, end = _SCAN(text, index)
        spans.append((index, end))
        index = _skip(text, end)
        if text[index] == ",":
            index = _skip(text, index + 1)
        elif text[index] == "]":
            return spans, index + 1
        else:
            raise ValueError(f"expected ',' or ']' at {index}")


def _split(text: str) -> list[str] | None:
    start = _skip(text, 0)
    if text[start] == "[":
        spans, end = _array(text, start)
        if _skip(text, end) != len(text):
            raise ValueError("trailing data")
        return ["[", *_element_lines(text, spans), "]"]
    if text[start] != "{":
        return None
    arrays: list[tuple[int, int, list[tuple[int, int]]]] = []
    index = _skip(text, start + 1)
    if text[index] == "}":
        return None
    while True:
        if text[index] != '"':
            raise ValueError(f"expected a key at {index}")
        _, end = _SCAN(text, index)
        index = _skip(text, end)
        if text[index] != ":":
            raise ValueError(f"expected ':' at {index}")
        index = _skip(text, index + 1)
        if text[index] == "[":
            spans, end = _array(text, index)
            arrays.append((index, end, spans))
        else:
            _, end = _SCAN(text, index)
        index = _skip(text, end)
        if text[index] == ",":
            index = _skip(text, index + 1)
        elif text[index] == "}":
            break
        else:
            raise ValueError(f"expected ',' or '}}' at {index}")
    if _skip(text, index + 1) != len(text):
        raise ValueError("trailing data")
    if len(arrays) != 1:
        return None
    opening, closing, spans = arrays[0]
    prefix = compact_json(text[start : opening + 1])
    suffix = compact_json(text[closing - 1 : index + 1])
    return [prefix, *_element_lines(text, spans), suffix]


def _element_lines(text: str, spans: list[tuple[int, int]]) -> list[str]:
    lines = [compact_json(text[begin:end]) + "," for begin, end in spans]
    if lines:
        lines[-1] = lines[-1][:-1]
    return lines


# ------------------------------------------------------------------------------------------ serialize


def serialize(cassette_dict: Mapping[str, Any]) -> str:
    """vcrpy's cassette dict -> the document (see the module docstring). Deterministic: same input, same bytes."""
    metadata = dict(cassette_dict.get("metadata") or {})
    provenance = metadata.pop(PROVENANCE_KEY, None)
    document: dict[str, Any] = {"format": FORMAT, "provenance": _canonical(provenance)}
    if metadata:
        document["metadata"] = _canonical(metadata)
    document["interactions"] = [_dump_interaction(item) for item in cassette_dict["interactions"]]
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _canonical(value: Any) -> Any:
    """Keys sorted at every level, so that metadata built in another order still gives the same bytes."""
    return json.loads(json.dumps(value, sort_keys=True)) if value is not None else None


def _dump_interaction(item: Mapping[str, Any]) -> dict[str, Any]:
    request, response = item["request"], item["response"]
    method = str(request["method"])
    status = response["status"]
    code = int(status["code"])
    headers = _dump_headers(response["headers"])
    encoding = str(headers.get("content-encoding", "identity")).strip().lower()
    if encoding not in ("identity", ""):
        raise ValueError(
            f"refusing to store a {encoding!r}-encoded body for {request['uri']}: decode it first "
            "(decode_compressed_response=True), or the secret scrubber cannot see inside it"
        )
    is_json = "json" in str(headers.get("content-type", "json")).lower()
    body, size = _dump_body(response["body"]["string"], split_json=is_json)
    if "content-length" in headers and _has_sized_body(method, code):
        headers["content-length"] = str(size)
    request_body, _ = _dump_body(request.get("body"), split_json=False)
    return {
        "request": {
            "method": method,
            "uri": str(request["uri"]),
            "headers": _dump_headers(request.get("headers") or {}),
            **request_body,
        },
        "response": {"status": code, "reason": status.get("message") or "", "headers": headers, **body},
    }


def _dump_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, list[str]] = {}
    for name, values in headers.items():
        listed = values if isinstance(values, list | tuple) else [values]
        merged.setdefault(str(name).lower(), []).extend(str(value) for value in listed)
    return {name: values[0] if len(values) == 1 else values for name, values in sorted(merged.items())}


def _dump_body(value: Any, *, split_json: bool) -> tuple[dict[str, Any], int]:
    """The stored form of a body and its length in bytes as it will be replayed."""
    if value is None:
        return {"body": None}, 0
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return {"body_base64": base64.b64encode(value).decode("ascii")}, len(value)
    if not isinstance(value, str):
        raise TypeError(f"cannot store a body of type {type(value).__name__}")
    if split_json:
        lines = json_lines(value)
        if lines is not None:
            return {"body_lines": lines}, len("\n".join(lines).encode("utf-8"))
    return {"body": value}, len(value.encode("utf-8"))


def _has_sized_body(method: str, code: int) -> bool:
    """Whether ``content-length`` describes the stored body (not for HEAD, 1xx, 204 and 304)."""
    return method.upper() != "HEAD" and code >= 200 and code not in (204, 304)


# ------------------------------------------------------------------------------------------ deserialize


def deserialize(text: str) -> dict[str, Any]:
    """The document -> vcrpy's cassette dict. Raises ``ValueError`` (with the interaction number) on anything
    that is not a well-formed ``catalog-guard-cassette/1`` document."""
    document = json.loads(text)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        found = document.get("format") if isinstance(document, dict) else type(document).__name__
        raise ValueError(f"not a {FORMAT} document (format: {found!r})")
    interactions = document.get("interactions")
    if not isinstance(interactions, list):
        raise ValueError("'interactions' must be a list")
    loaded = []
    for number, item in enumerate(interactions):
        try:
            loaded.append(_load_interaction(item))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"interaction {number}: {type(error).__name__}: {error}") from error
    result: dict[str, Any] = {"interactions": loaded}
    metadata = dict(document.get("metadata") or {})
    if document.get("provenance") is not None:
        metadata[PROVENANCE_KEY] = document["provenance"]
    if metadata:
        result["metadata"] = metadata
    return result


def _load_interaction(item: Mapping[str, Any]) -> dict[str, Any]:
    request, response = item["request"], item["response"]
    method, code = request["method"], response["status"]
    if not isinstance(method, str) or not isinstance(request["uri"], str) or not isinstance(code, int):
        raise TypeError("method and uri must be strings and status an integer")
    body = _load_body(response)
    headers = _load_headers(response["headers"])
    if "content-length" in headers and _has_sized_body(method, code):
        headers["content-length"] = [str(len(body or b""))]
    return {
        "request": {
            "method": method,
            "uri": request["uri"],
            "body": _load_body(request),
            "headers": _load_headers(request["headers"]),
        },
        "response": LoadedResponse(
            status={"code": code, "message": response.get("reason") or ""},
            headers=headers,
            body={"string": body if body is not None else b""},
        ),
    }


class LoadedResponse(dict[str, Any]):
    """A response as loaded: ``{"status": {...}, "headers": {name: [str]}, "body": {"string": bytes}}``.

    vcrpy deep-copies every loaded response twice (``Cassette.append`` and the ``decode_response`` hook) with
    the generic ``copy.deepcopy``, 6 % of the recorded audit. Every leaf of this shape is immutable (str, int,
    bytes), so a copy of its containers is a complete deep copy, made here directly; anything else a hook put
    in is handed to ``copy.deepcopy``.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> LoadedResponse:
        return LoadedResponse({key: _copy(value, memo) for key, value in self.items()})


_IMMUTABLE = (str, bytes, int, float, type(None))


def _copy(value: Any, memo: dict[int, Any]) -> Any:
    if isinstance(value, _IMMUTABLE):
        return value
    if type(value) is dict:
        return {key: _copy(item, memo) for key, item in value.items()}
    if type(value) is list and all(isinstance(item, _IMMUTABLE) for item in value):
        return list(value)
    return copy.deepcopy(value, memo)


def _load_headers(headers: Any) -> dict[str, list[str]]:
    if not isinstance(headers, dict):
        raise TypeError("headers must be an object")
    loaded: dict[str, list[str]] = {}
    for name, value in headers.items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(item, str) for item in values):
            raise TypeError(f"header {name!r} must be a string or a list of strings")
        loaded[name] = list(values)
    return loaded


def _load_body(part: Mapping[str, Any]) -> bytes | None:
    present = [key for key in _BODY_KEYS if key in part]
    if len(present) != 1:
        raise ValueError(f"expected exactly one of {', '.join(_BODY_KEYS)}, found {present or 'none'}")
    value = part[present[0]]
    if present[0] == "body_lines":
        if not isinstance(value, list) or not all(isinstance(line, str) for line in value):
            raise TypeError("body_lines must be a list of strings")
        return "\n".join(value).encode("utf-8")
    if present[0] == "body_base64":
        if not isinstance(value, str):
            raise TypeError("body_base64 must be a string")
        return base64.b64decode(value, validate=True)
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("body must be a string or null")
    return value.encode("utf-8")
