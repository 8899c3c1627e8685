"""Reading the corpus's files as data, without replaying them: interactions, provenance, schema drift, and the
count baseline (``gateway/baseline.json``)."""

from __future__ import annotations

import collections
import functools
import json
import os
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from catalog_guard import schemas
from catalog_guard.cassettes import format as cassette_format
from catalog_guard.cassettes.errors import CassetteError
from catalog_guard.corpus.location import BASELINE, BASELINE_FORMAT, CURRENT, GATEWAY, cassette_path
from catalog_guard.gateways import GATEWAY_HOST, HUB_HOST
from catalog_guard.hub import LIST_PATH
from catalog_guard.observe import Observation
from catalog_guard.providers import GATEWAY_SPECS
from catalog_guard.records import any_id


def body_schema(method: str, uri: str, status: int) -> str | None:
    """The schema a recorded response body must match, or ``None`` for bodies no schema describes (errors,
    chat completions). Hub pages get the shape the query asked for; providers their own envelope."""
    if method.upper() != "GET" or status != 200:
        return None
    url = httpx.URL(uri)
    if url.host == HUB_HOST and url.path.rstrip("/") == LIST_PATH:
        params = url.params
        if params.get_list("expand") or params.get_list("expand[]"):
            return schemas.hub_list_schema("expand")
        return schemas.hub_list_schema("full" if params.get("full") in ("true", "True", "1") else "default")
    if url.host == GATEWAY_HOST and url.path.rstrip("/") == "/v1/models":
        return "gateway/models-response.json"
    for name, spec in GATEWAY_SPECS.items():
        if url.host == spec.host and url.path == spec.path:
            return f"providers/{name}.json"
    return None


# ------------------------------------------------------------------------------------------------ reading files


@dataclass(frozen=True)
class Interaction:
    """One recorded request and its response, read from a cassette file without vcrpy."""

    method: str
    uri: str
    request_headers: dict[str, list[str]]
    request_body: bytes
    status: int
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    @functools.cached_property
    def parsed(self) -> Any:
        """The parsed body, or ``None`` when it is not JSON. Decoded once and shared by every reader of this
        interaction (the recorder validates a new cassette's bodies and lists its models from one read; seed
        000's listing is 20 MB to decode): treat it as read-only."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass(frozen=True)
class CassetteFile:
    path: Path
    provenance: dict[str, Any] | None
    interactions: list[Interaction]


#: A cassette file to read, or one already read (a check of several aspects of one file reads it once).
CassetteSource = str | os.PathLike[str] | CassetteFile


def cassette_file(source: CassetteSource) -> CassetteFile:
    """``source`` itself when it was already read, else :func:`read_cassette` of it."""
    return source if isinstance(source, CassetteFile) else read_cassette(source)


def read_cassette(path: str | os.PathLike[str]) -> CassetteFile:
    """A cassette's interactions and provenance, decoded by the format module (for checks on the files)."""
    file = Path(path)
    loaded = cassette_format.deserialize(file.read_text(encoding="utf-8"))
    interactions = []
    for item in loaded["interactions"]:
        request, response = item["request"], item["response"]
        interactions.append(
            Interaction(
                method=request["method"],
                uri=request["uri"],
                request_headers=request["headers"],
                request_body=request["body"] or b"",
                status=response["status"]["code"],
                headers=response["headers"],
                body=response["body"]["string"] or b"",
            )
        )
    provenance = (loaded.get("metadata") or {}).get(cassette_format.PROVENANCE_KEY)
    return CassetteFile(file, provenance, interactions)


def body_items(body: Any) -> list[dict[str, Any]] | None:
    """The model objects of a list body (a bare array, or the ``data`` / ``models`` of an envelope)."""
    if isinstance(body, list):
        rows = body
    elif isinstance(body, dict) and isinstance(body.get("data"), list):
        rows = body["data"]
    elif isinstance(body, dict) and isinstance(body.get("models"), list):
        rows = body["models"]
    else:
        return None
    return [row for row in rows if isinstance(row, dict)]


def models_by_id(cassette: CassetteSource) -> dict[str, frozenset[str]]:
    """Every model id in a cassette's 200 list bodies, with each distinct object listed under it (as canonical
    JSON). One id may carry several objects (an ``expand`` page next to a default one, ``gateway=all`` listing
    one id from two gateways); comparing the sets tells a changed model from an unchanged one. ``cassette`` is
    a path, or a file already read (whose bodies are then not decoded again)."""
    found: dict[str, set[str]] = {}
    for identifier, item in _listed_models(cassette):
        found.setdefault(identifier, set()).add(json.dumps(item, sort_keys=True, separators=(",", ":")))
    return {identifier: frozenset(objects) for identifier, objects in found.items()}


def model_ids(cassette: CassetteSource) -> set[str]:
    """The keys of :func:`models_by_id` without rendering each object as canonical JSON (a count, the ids of a
    new cassette: seed 000's 50,000 objects take a second to render)."""
    return {identifier for identifier, _item in _listed_models(cassette)}


def _listed_models(cassette: CassetteSource) -> Iterator[tuple[str, dict[str, Any]]]:
    for interaction in cassette_file(cassette).interactions:
        if interaction.status != 200:
            continue
        for item in body_items(interaction.parsed) or []:
            identifier = any_id(item)
            if identifier is not None:
                yield identifier, item


def provenance_of(name: str, cassettes_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The provenance block of recording ``name`` (``{}`` when it has none)."""
    path = cassette_path(name, cassettes_dir)
    stat = path.stat()
    block: dict[str, Any] = json.loads(_provenance_json(str(path.resolve()), stat.st_mtime_ns, stat.st_size))
    return block


@functools.cache
def _provenance_json(path: str, _mtime_ns: int, _size: int) -> str:
    """Cached by file version: tests ask every cassette's kind, and a history cassette is 25 MB to decode."""
    return json.dumps(read_cassette(path).provenance or {})


def is_live(name: str, cassettes_dir: str | os.PathLike[str] | None = None) -> bool:
    """Whether recording ``name`` was recorded from a real upstream (provenance ``kind: live``).

    Anything compared with the synthetic universe (sizes, ids, the fakes' invented catalogs) holds only for a
    ``synthetic`` cassette; a live one is judged on the contract alone (status, headers, envelope, paging).
    """
    return provenance_of(name, cassettes_dir).get("kind") == "live"


# ------------------------------------------------------------------------------------------------ drift


def body_drift(cassette: CassetteSource) -> dict[tuple[str, str], int]:
    """Fields the recorded bodies of a cassette carry that their schemas do not name: ``(schema, field)`` with
    array indexes folded to ``[*]``, and how many times each occurs. Upstreams add fields; this says which."""
    found: collections.Counter[tuple[str, str]] = collections.Counter()
    for interaction in cassette_file(cassette).interactions:
        schema = body_schema(interaction.method, interaction.uri, interaction.status)
        if schema is not None:
            for field_path in schemas.drift(interaction.parsed, schema):
                found[(schema, re.sub(r"\[\d+\]", "[*]", field_path))] += 1
    return dict(found)


def warn_drift(
    name: str, cassettes_dir: str | os.PathLike[str] | None = None, *, cassette: CassetteFile | None = None
) -> dict[tuple[str, str], int]:
    """:func:`body_drift` of recording ``name`` (its file in ``cassettes_dir``, or ``cassette`` when the caller has
    read it already), each field reported as a :class:`~catalog_guard.schemas.SchemaDriftWarning`: not a failure
    (upstreams may add fields), but visible in pytest's warnings summary, also under xdist, where a ``print`` in a
    passing test is not."""
    drift = body_drift(cassette if cassette is not None else cassette_path(name, cassettes_dir))
    for (schema, field_path), count in sorted(drift.items()):
        message = f"drift in {name}: {field_path} is not named by {schema} ({count:,} times)"
        warnings.warn(schemas.SchemaDriftWarning(message), stacklevel=2)
    return drift


def baseline_counts(seen: Observation) -> dict[str, int]:
    """Each observed gateway's number of unique ids: the floor the count check holds later runs to."""
    return {name: len(set(walk.ids)) for name, walk in sorted(seen.walks.items())}


def baseline_document(seen: Observation, provenance: Mapping[str, Any] | None) -> str:
    """``gateway/baseline.json``: the counts, where they came from, and the recording's provenance."""
    document = {
        "format": BASELINE_FORMAT,
        "source": f"{GATEWAY}/{CURRENT}",
        "provenance": dict(provenance or {}),
        "counts": baseline_counts(seen),
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def read_baseline(path: str | os.PathLike[str]) -> dict[str, int]:
    """The counts of a baseline file; a :class:`~catalog_guard.cassettes.CassetteError` naming the file for
    anything else (unreadable, not JSON, or JSON of another shape: a list, a count that is not an integer)."""
    file = Path(path)
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CassetteError(f"baseline {file} cannot be read: {error}", path=str(file)) from error
    counts = document.get("counts") if isinstance(document, dict) else None
    if not isinstance(document, dict) or document.get("format") != BASELINE_FORMAT or not isinstance(counts, dict):
        raise CassetteError(
            f"baseline {file} is not a {BASELINE_FORMAT} document (an object with format and counts); "
            f"re-record it: catalog-guard record --only {BASELINE}",
            path=str(file),
        )
    bad = [name for name, count in counts.items() if not isinstance(count, int) or isinstance(count, bool)]
    if bad:
        raise CassetteError(
            f"baseline {file}: the counts of {', '.join(map(str, bad))} are not integers", path=str(file)
        )
    return {str(name): count for name, count in counts.items()}
