"""The recorded corpus: where ``cassettes/`` is, what each named recording asks the upstreams, and the replays
that the suite, the contract classes and the audit read.

Why one manifest serves both directions: a recording is a function that makes traffic through whatever clients
and base URLs it is given. The recorder hands it clients aimed at the fakes or at the live hosts inside a
recording cassette; a replay hands the *same* function plain ``httpx`` clients aimed at the canonical hosts
inside the same cassette in record mode ``none``. The requests are therefore the same by construction, and a
cassette with an interaction that the code no longer asks for fails loudly as partly unplayed
(:func:`~catalog_guard.cassettes.replay.use_cassette`) instead of feeding the checks stale traffic.

Names (``catalog-guard record --only <name>``) are paths under ``cassettes/`` without ``.json``:

- ``huggingface/cursor``, ``huggingface/sort-union``, ``huggingface/single``: :func:`~catalog_guard.hub.fetch_hub`
  with each strategy; ``huggingface/quirks``: the Hub's quirks as evidence (``offset`` ignored, ``sort=trending``
  refused with a 400, an ``expand`` page);
- ``providers/<gateway>``: :func:`~catalog_guard.providers.fetch_provider` for each of the twelve gateways;
- ``gateway/current``: :func:`~catalog_guard.observe.observe` of a correct gateway;
- ``gateway/history/<state>``: the same observation of each historical deployment of
  :data:`catalog_guard.gallery.HISTORY`, with ``limit=50000`` single requests as the seed reports made them.
  Past deployments cannot be visited again, so these exist only as synthetic recordings;
- ``gateway/baseline.json`` (not a cassette): each gateway's unique count in ``gateway/current``.

Every replay here is a pure read, cached per process (:func:`functools.cache`) and keyed by the cassette
directory, so it is safe under pytest-xdist (nothing is ever written) and cheap to call from many tests. The
returned objects are shared: treat them as read-only.
"""

from __future__ import annotations

import asyncio
import collections
import difflib
import functools
import json
import os
import re
import ssl
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from catalog_guard import checks, gallery, gateways, schemas
from catalog_guard.cassettes import format as cassette_format
from catalog_guard.cassettes.errors import CassetteError
from catalog_guard.cassettes.replay import use_cassette
from catalog_guard.errors import CatalogGuardError, IncompleteCatalogError
from catalog_guard.gateways import GATEWAY_HOST, GATEWAY_URL, HUB_HOST, HUB_URL, HUGGINGFACE
from catalog_guard.hub import LIST_PATH, STRATEGIES, HubResult, Strategy, fetch_hub
from catalog_guard.observe import Observation, ObservePlan, observe
from catalog_guard.providers import GATEWAY_SPECS, ProviderResult, fetch_provider
from catalog_guard.records import ModelRecord, any_id

CASSETTES_ENV = "CATALOG_GUARD_CASSETTES"
GATEWAY = "gateway"
PROVIDERS = "providers"
GROUPS = (HUGGINGFACE, PROVIDERS, GATEWAY)
CURRENT = "current"
BASELINE = "gateway/baseline"
BASELINE_FORMAT = "catalog-guard-baseline/1"
HISTORY_LIMIT = 50_000  # the seed reports fetched every gateway with limit=50000

# The quirks recording: what the Hub does that broke the gateway's fetchers (docs/upstreams.md §H1.5, §H2.3, §H2.4).
QUIRK_FILTER = {"inference_provider": "hf-inference"}
QUIRK_PAGE = 100
QUIRK_OFFSETS = (0, 100, 200)
QUIRK_BAD_SORT = "trending"
QUIRK_EXPAND = ("downloads", "likes")
QUIRK_EXPAND_LIMIT = 10


class UnknownRecordingError(CatalogGuardError, LookupError):
    """A name given to ``--only`` (or to a replay) that the manifest does not hold."""


# ------------------------------------------------------------------------------------------------ location


def find_cassettes_dir(package_dir: Path | None = None, *, environ: Mapping[str, str] | None = None) -> Path:
    """The corpus directory: ``$CATALOG_GUARD_CASSETTES`` if set, else ``cassettes/`` next to the nearest
    ``pyproject.toml`` above the package (a checkout or an editable install), found the way
    :func:`catalog_guard.schemas.find_schemas_dir` finds ``schemas/``.

    The directory need not exist yet (a first recording creates it); a replay of a missing cassette fails with the
    command that records it.
    """
    env = os.environ if environ is None else environ
    override = env.get(CASSETTES_ENV)
    if override:
        return Path(override).expanduser().resolve()
    here = (package_dir if package_dir is not None else Path(__file__).parent).resolve()
    packaged = here / "_cassettes"  # a wheel carries the shipped corpus (pyproject's force-include)
    if packaged.is_dir():
        return packaged
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file():
            return parent / "cassettes"
    raise CatalogGuardError(
        f"no cassettes directory for the package at {here}: no pyproject.toml above it; set {CASSETTES_ENV}"
    )


def cassette_path(name: str, cassettes_dir: str | os.PathLike[str] | None = None) -> Path:
    """The file of recording ``name``."""
    directory = Path(cassettes_dir) if cassettes_dir is not None else find_cassettes_dir()
    return directory / f"{name}{cassette_format.SUFFIX}"


def cassette_files(cassettes_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Every cassette file under the directory, sorted (``gateway/baseline.json`` is not a cassette)."""
    directory = Path(cassettes_dir) if cassettes_dir is not None else find_cassettes_dir()
    baseline = cassette_path(BASELINE, directory)
    return sorted(p for p in directory.rglob(f"*{cassette_format.SUFFIX}") if p != baseline and _visible(p, directory))


def _visible(path: Path, directory: Path) -> bool:
    """Hidden files and folders (a recorder's temporary directory, an editor's swap file) are not the corpus."""
    return not any(part.startswith(".") for part in path.relative_to(directory).parts)


# ------------------------------------------------------------------------------------------------ traffic


def _no_sleep(_seconds: float) -> None:
    return None


def _no_progress(_step: str) -> None:
    return None


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every default client of the process: building one loads the CA bundle
    (tens of milliseconds), and a recorded audit makes a client per recording (22 of them)."""
    return httpx.create_ssl_context()


def _client() -> httpx.Client:
    return httpx.Client(verify=_ssl_context())


def _async_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(verify=_ssl_context())


@dataclass(frozen=True)
class Traffic:
    """What a recording needs to make its requests: client factories, where each upstream is, and credentials.

    ``base_urls`` and ``tokens`` are keyed by upstream (``huggingface``, a gateway name of the providers,
    ``gateway``); a missing base URL is the canonical one, a missing token is "send none" (the fetchers would
    otherwise read the environment, and a replay must not depend on it).
    """

    client: Callable[[], httpx.Client] = _client
    async_client: Callable[[], httpx.AsyncClient] = _async_client
    base_urls: Mapping[str, str] = field(default_factory=dict)
    tokens: Mapping[str, str] = field(default_factory=dict)
    sleep: Callable[[float], Any] = _no_sleep
    progress: Callable[[str], None] = _no_progress

    def base_url(self, upstream: str) -> str:
        return self.base_urls.get(upstream) or canonical_base_url(upstream)

    def token(self, upstream: str) -> str:
        return self.tokens.get(upstream) or ""


def canonical_base_url(upstream: str) -> str:
    """Where ``upstream`` really is: the address every cassette is stored under, whatever it was recorded from."""
    if upstream == HUGGINGFACE:
        return HUB_URL
    if upstream == GATEWAY:
        return GATEWAY_URL
    if upstream in GATEWAY_SPECS:
        return GATEWAY_SPECS[upstream].base_url
    raise UnknownRecordingError(f"no upstream {upstream!r}; known: {', '.join(upstreams())}")


#: Where each upstream's credentials are read from: ``HF_TOKEN`` for the Hub, each provider spec's ``token_env``.
HF_TOKEN_ENV = "HF_TOKEN"


def upstream_tokens(environ: Mapping[str, str]) -> dict[str, str]:
    """The upstreams' tokens found in ``environ``, keyed by upstream (unset or empty variables are left out).

    One reading of the environment for ``catalog-guard record`` and for live truth (``audit --truth live``), so
    both authenticate with the same keys; the gateway's own token is read apart (it is the gateway's, not an
    upstream's)."""
    found: dict[str, str] = {}
    if environ.get(HF_TOKEN_ENV):
        found[HUGGINGFACE] = environ[HF_TOKEN_ENV]
    for name, spec in GATEWAY_SPECS.items():
        value = environ.get(spec.token_env) if spec.token_env else None
        if value:
            found[name] = value
    return found


def key_missing(upstream: str, tokens: Mapping[str, str]) -> str:
    """Why ``upstream`` cannot be listed with ``tokens`` (its listing needs a key that is not there), or ``""``."""
    spec = GATEWAY_SPECS.get(upstream)
    if spec is not None and spec.auth_required and upstream not in tokens:
        return f"{spec.token_env} is not set and {spec.name} requires a key"
    return ""


def provider_names() -> list[str]:
    """The gateways with a ``providers/<name>`` recording (the twelve of the seed reports), in manifest order."""
    return list(GATEWAY_SPECS)


def upstreams() -> tuple[str, ...]:
    """Every upstream a base URL can be given for."""
    return (HUGGINGFACE, *GATEWAY_SPECS, GATEWAY)


# ------------------------------------------------------------------------------------------------ recordings


@dataclass(frozen=True)
class HubQuirks:
    """The Hub's quirks as the quirks cassette holds them: ``offset`` pages, the refused sort, an expand page."""

    offset_ids: dict[int, list[str]]
    offset_statuses: dict[int, int]
    bad_sort_status: int
    bad_sort_error: str
    expand_status: int
    expand_items: list[dict[str, Any]]


@dataclass(frozen=True)
class Recording:
    """One named recording: the upstream it talks to and the function that makes its traffic.

    ``check`` says why a result is not a trustworthy recording (``None``: it is); ``live`` is false for
    recordings that only exist synthetically (past gateway deployments); ``state`` names the gateway state
    (``current`` or a :data:`~catalog_guard.gallery.HISTORY` key).
    """

    name: str
    upstream: str
    make: Callable[[Traffic], Any] = field(repr=False)
    check: Callable[[Any], str | None] = field(repr=False)
    live: bool = True
    state: str | None = None

    @property
    def group(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def host(self) -> str:
        return httpx.URL(canonical_base_url(self.upstream)).host

    def path(self, cassettes_dir: str | os.PathLike[str] | None = None) -> Path:
        return cassette_path(self.name, cassettes_dir)


def _hub_recording(strategy: Strategy) -> Recording:
    def make(traffic: Traffic) -> HubResult:
        with traffic.client() as client:
            return fetch_hub(
                client,
                strategy=strategy,
                token=traffic.token(HUGGINGFACE),
                sleep=traffic.sleep,
                base_url=traffic.base_url(HUGGINGFACE),
            )

    def check(result: HubResult) -> str | None:
        if result.error is not None:
            return f"the {strategy} walk failed: {type(result.error).__name__}: {result.error}"
        if strategy == "cursor" and not result.complete:
            return f"the cursor walk did not reach the end ({result.stop_reason})"
        return None

    return Recording(f"{HUGGINGFACE}/{strategy}", HUGGINGFACE, make, check)


def _quirks(traffic: Traffic) -> HubQuirks:
    url = traffic.base_url(HUGGINGFACE).rstrip("/") + LIST_PATH
    token = traffic.token(HUGGINGFACE)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    offset_ids: dict[int, list[str]] = {}
    offset_statuses: dict[int, int] = {}
    with traffic.client() as client:
        for offset in QUIRK_OFFSETS:
            params = httpx.QueryParams({**QUIRK_FILTER, "limit": QUIRK_PAGE, "offset": offset})
            response = client.get(url, params=params, headers=headers)
            offset_statuses[offset] = response.status_code
            offset_ids[offset] = [str(item.get("id")) for item in _json_list(response)] if response.is_success else []
        bad = client.get(url, params={**QUIRK_FILTER, "sort": QUIRK_BAD_SORT, "limit": 10}, headers=headers)
        expand_params = httpx.QueryParams([*QUIRK_FILTER.items(), *(("expand", e) for e in QUIRK_EXPAND)])
        expand_params = expand_params.add("limit", QUIRK_EXPAND_LIMIT)
        expand = client.get(url, params=expand_params, headers=headers)
    return HubQuirks(
        offset_ids=offset_ids,
        offset_statuses=offset_statuses,
        bad_sort_status=bad.status_code,
        bad_sort_error=bad.text[:300],
        expand_status=expand.status_code,
        expand_items=_json_list(expand) if expand.is_success else [],
    )


def _json_list(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        return []
    return [item for item in body if isinstance(item, dict)] if isinstance(body, list) else []


def _check_quirks(quirks: HubQuirks) -> str | None:
    """Only an *unusable* answer fails the recording: if the Hub changed a quirk, the new evidence is recorded
    and ``tests/test_corpus.py`` shows the change to a reviewer."""
    statuses = [*quirks.offset_statuses.values(), quirks.bad_sort_status, quirks.expand_status]
    unusable = [status for status in statuses if status == 429 or status >= 500]
    return f"the Hub answered {unusable} (rate limited or failing): no evidence recorded" if unusable else None


def _provider_recording(name: str) -> Recording:
    def make(traffic: Traffic) -> ProviderResult:
        spec = GATEWAY_SPECS[name].with_base_url(traffic.base_url(name))

        async def fetch() -> ProviderResult:
            async with traffic.async_client() as client:
                return await fetch_provider(client, spec, token=traffic.token(name), sleep=traffic.sleep)

        return asyncio.run(fetch())

    def check(result: ProviderResult) -> str | None:
        if result.complete:
            return None
        return f"{name}: the catalog is incomplete ({result.stop_reason}: {result.error})"

    return Recording(f"{PROVIDERS}/{name}", name, make, check)


def history_plan() -> ObservePlan:
    """What is asked of a historical deployment: the contract's observation, with ``limit=50000`` singles as the
    seed reports made them.

    Two departures from the contract's plan keep the corpus under 50 MB (seed 000's single Hugging Face request
    alone is 50,000 entries, ~20 MB on disk) without losing evidence of what these deployments got wrong:

    - the probes and the repeated request go to the first gateway of the plan, so the plan lists Hugging Face
      last: these backends *accept* the over-maximum probe (``limit=50000``), and aimed at Hugging Face it would
      store seed 000's listing a second time, byte for byte the single request's. Aimed at OpenRouter it shows
      the same violation with 340 models;
    - ``gateway=all`` is walked, but not again with ``unique_models``: no historical state has a merge bug
      (G10/G12 are gallery modes), so that walk would only repeat the ``all`` rows deduplicated (~4 MB), and the
      seed-000 unique figure (3,668) comes from the ``limit=50000`` singles, as the seed report computed it;
    - the end probes (``offset = total`` and past it) are not sent: no historical state has a paging-end bug
      (U5-U7 are gallery modes), and the history cassettes predate those probes.
    """
    return ObservePlan(
        gateways=(*gateways.PROVIDERS, HUGGINGFACE), large_limit=HISTORY_LIMIT, include_unique=False, probe_ends=False
    )


def _gateway_recording(state: str) -> Recording:
    plan = ObservePlan() if state == CURRENT else history_plan()

    def make(traffic: Traffic) -> Observation:
        token = traffic.token(GATEWAY)
        headers = {"Authorization": f"Bearer {token}"} if token else None
        with traffic.client() as client:
            return observe(
                client, traffic.base_url(GATEWAY), plan, headers=headers, progress=traffic.progress, sleep=traffic.sleep
            )

    def check(seen: Observation) -> str | None:
        """A misbehaving gateway *is* the observation; a request that got no answer (a failed connection, a
        limit) is not: it left nothing to replay."""
        unanswered = seen.unanswered()
        if unanswered:
            label, error = unanswered[0]
            return f"{len(unanswered)} request(s) got no answer; the first: {label}: {error}"
        return None

    name = f"{GATEWAY}/{CURRENT}" if state == CURRENT else f"{GATEWAY}/history/{state}"
    return Recording(name, GATEWAY, make, check, live=state == CURRENT, state=state)


def _manifest() -> dict[str, Recording]:
    recordings = [_hub_recording(strategy) for strategy in STRATEGIES]
    recordings.append(Recording(f"{HUGGINGFACE}/quirks", HUGGINGFACE, _quirks, _check_quirks))
    recordings += [_provider_recording(name) for name in GATEWAY_SPECS]
    recordings.append(_gateway_recording(CURRENT))
    recordings += [_gateway_recording(state) for state in gallery.HISTORY]
    return {recording.name: recording for recording in recordings}


#: Every recording, by name, in recording order.
MANIFEST: dict[str, Recording] = _manifest()


def select(only: Iterable[str] | None = None, manifest: Mapping[str, Recording] | None = None) -> list[Recording]:
    """The recordings ``--only`` names, in manifest order: a group (``huggingface``, ``providers``, ``gateway``),
    an exact name, or a folder (``gateway/history``); values may be comma-separated. ``gateway/baseline`` means
    ``gateway/current`` (the baseline is computed from it). ``None`` or empty: everything."""
    chosen_manifest = MANIFEST if manifest is None else manifest
    selectors = [part.strip().strip("/") for value in (only or ()) for part in value.split(",") if part.strip()]
    if not selectors:
        return list(chosen_manifest.values())
    wanted: set[str] = set()
    for selector in selectors:
        selector = f"{GATEWAY}/{CURRENT}" if selector == BASELINE else selector
        matched = [name for name in chosen_manifest if name == selector or name.startswith(f"{selector}/")]
        if not matched:
            close = difflib.get_close_matches(selector, [*GROUPS, *chosen_manifest], n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else f"; one of {', '.join(GROUPS)} or a name"
            raise UnknownRecordingError(f"no recording {selector!r}{hint}")
        wanted.update(matched)
    return [recording for name, recording in chosen_manifest.items() if name in wanted]


# ------------------------------------------------------------------------------------------------ schemas


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

    def json(self) -> Any:
        """The parsed body, or ``None`` when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass(frozen=True)
class CassetteFile:
    path: Path
    provenance: dict[str, Any] | None
    interactions: list[Interaction]


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


def models_by_id(path: str | os.PathLike[str]) -> dict[str, frozenset[str]]:
    """Every model id in a cassette's 200 list bodies, with each distinct object listed under it (as canonical
    JSON). One id may carry several objects (an ``expand`` page next to a default one, ``gateway=all`` listing
    one id from two gateways); comparing the sets tells a changed model from an unchanged one."""
    found: dict[str, set[str]] = {}
    for interaction in read_cassette(path).interactions:
        if interaction.status != 200:
            continue
        for item in body_items(interaction.json()) or []:
            identifier = any_id(item)
            if identifier is not None:
                found.setdefault(identifier, set()).add(json.dumps(item, sort_keys=True, separators=(",", ":")))
    return {identifier: frozenset(objects) for identifier, objects in found.items()}


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


def body_drift(path: str | os.PathLike[str]) -> dict[tuple[str, str], int]:
    """Fields the recorded bodies of a cassette carry that their schemas do not name: ``(schema, field)`` with
    array indexes folded to ``[*]``, and how many times each occurs. Upstreams add fields; this says which."""
    found: collections.Counter[tuple[str, str]] = collections.Counter()
    for interaction in read_cassette(path).interactions:
        schema = body_schema(interaction.method, interaction.uri, interaction.status)
        if schema is not None:
            for field_path in schemas.drift(interaction.json(), schema):
                found[(schema, re.sub(r"\[\d+\]", "[*]", field_path))] += 1
    return dict(found)


def warn_drift(name: str, cassettes_dir: str | os.PathLike[str] | None = None) -> dict[tuple[str, str], int]:
    """:func:`body_drift` of recording ``name``, each field reported as a
    :class:`~catalog_guard.schemas.SchemaDriftWarning`: not a failure (upstreams may add fields), but visible in
    pytest's warnings summary, also under xdist, where a ``print`` in a passing test is not."""
    drift = body_drift(cassette_path(name, cassettes_dir))
    for (schema, field_path), count in sorted(drift.items()):
        message = f"drift in {name}: {field_path} is not named by {schema} ({count:,} times)"
        warnings.warn(schemas.SchemaDriftWarning(message), stacklevel=2)
    return drift


# ------------------------------------------------------------------------------------------------ replays


def _directory(cassettes_dir: str | os.PathLike[str] | None) -> str:
    return str(Path(cassettes_dir).resolve() if cassettes_dir is not None else find_cassettes_dir())


def replay(name: str, cassettes_dir: str | os.PathLike[str] | None = None) -> Any:
    """Replay recording ``name`` (record mode ``none``: no network, every interaction must be played). Not
    cached; the typed replays below are."""
    recording = MANIFEST.get(name)
    if recording is None:
        raise UnknownRecordingError(f"no recording {name!r}")
    return replay_recording(recording, cassettes_dir)


def replay_recording(recording: Recording, cassettes_dir: str | os.PathLike[str] | None = None) -> Any:
    """Make ``recording``'s traffic with plain clients against the canonical hosts, answered by its cassette."""
    directory = _directory(cassettes_dir)
    with use_cassette(recording.path(directory), record_mode="none", cassette_dir=directory):
        return recording.make(Traffic())


@functools.cache
def _replay_cached(name: str, directory: str) -> Any:
    return replay(name, directory)


def replay_hub(strategy: str = "cursor", *, cassettes_dir: str | os.PathLike[str] | None = None) -> HubResult:
    """The Hub fetch of ``strategy`` (one of :data:`~catalog_guard.hub.STRATEGIES`) as recorded."""
    if strategy not in STRATEGIES:
        raise UnknownRecordingError(f"no Hub strategy {strategy!r}; one of {', '.join(STRATEGIES)}")
    result: HubResult = _replay_cached(f"{HUGGINGFACE}/{strategy}", _directory(cassettes_dir))
    return result


def replay_quirks(*, cassettes_dir: str | os.PathLike[str] | None = None) -> HubQuirks:
    """The Hub's quirks as recorded."""
    quirks: HubQuirks = _replay_cached(f"{HUGGINGFACE}/quirks", _directory(cassettes_dir))
    return quirks


def replay_provider(name: str, *, cassettes_dir: str | os.PathLike[str] | None = None) -> ProviderResult:
    """Gateway ``name``'s provider catalog as recorded."""
    result: ProviderResult = _replay_cached(f"{PROVIDERS}/{name}", _directory(cassettes_dir))
    return result


def replay_observation(
    name: str = CURRENT, *, cassettes_dir: str | os.PathLike[str] | None = None, cache: bool = True
) -> Observation:
    """The observation of the current gateway (``current``) or of a historical deployment (a HISTORY key).

    ``cache=False`` replays it afresh and keeps nothing: a one-shot caller (the recorded audit) then holds one
    deployment's bodies at a time instead of all seven (the seed-000 one alone holds a 50,000-entry listing).
    """
    recording = f"{GATEWAY}/{CURRENT}" if name == CURRENT else f"{GATEWAY}/history/{name}"
    seen: Observation = (_replay_cached if cache else replay)(recording, _directory(cassettes_dir))
    return seen


def recorded_hub_models(*, cassettes_dir: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """The cursor walk's models, each with the ``inferenceProviderMapping`` entry the listing's
    ``inference_provider=hf-inference`` filter implies (the listing does not send it), so that a FakeHub built
    from them serves the same listing. ``status`` is ``live`` and ``task`` the ``pipeline_tag`` (``other``
    when the model has none): the listing says the model is served, not how."""
    return [dict(model) for model in _hub_models(_directory(cassettes_dir))]


@functools.cache
def _hub_models(directory: str) -> tuple[dict[str, Any], ...]:
    models = []
    for model in _complete_hub_models(directory):
        task = model.get("pipeline_tag")
        mapping = {
            "provider": "hf-inference",
            "providerId": model["id"],
            "status": "live",
            "task": task if isinstance(task, str) and task else "other",
        }
        models.append({**model, "inferenceProviderMapping": [mapping]})
    return tuple(models)


def recorded_records(name: str, *, cassettes_dir: str | os.PathLike[str] | None = None) -> list[ModelRecord]:
    """Gateway ``name``'s recorded rows, normalised and in listing order, or :class:`IncompleteCatalogError`
    naming the cassette when the recorded walk did not finish."""
    directory = _directory(cassettes_dir)
    return _complete(f"{PROVIDERS}/{name}", directory, replay_provider(name, cassettes_dir=directory).records)


def recorded_truth(*, cassettes_dir: str | os.PathLike[str] | None = None) -> dict[str, frozenset[str]]:
    """What each upstream lists: the Hub cursor walk's ids for ``huggingface``, each provider's own ids."""
    return dict(_truth(_directory(cassettes_dir)))


@functools.cache
def _truth(directory: str) -> tuple[tuple[str, frozenset[str]], ...]:
    truth = [(HUGGINGFACE, frozenset(model["id"] for model in _complete_hub_models(directory)))]
    for name in GATEWAY_SPECS:
        result = replay_provider(name, cassettes_dir=directory)
        truth.append((name, frozenset(_complete(f"{PROVIDERS}/{name}", directory, result.models))))
    return tuple(truth)


def _complete_hub_models(directory: str) -> list[dict[str, Any]]:
    return _complete(f"{HUGGINGFACE}/cursor", directory, replay_hub("cursor", cassettes_dir=directory).models)


def _complete(name: str, directory: str, models: Callable[[], list[Any]]) -> list[Any]:
    """``models()`` of a replayed fetch, or :class:`IncompleteCatalogError` naming the cassette: a recorded walk
    that did not finish is never truth, and never a shorter one."""
    try:
        return models()
    except IncompleteCatalogError as error:
        path = cassette_path(name, directory)
        raise IncompleteCatalogError(
            f"{path}: the recorded {name} is incomplete, it cannot be the truth ({error}); "
            f"re-record it: catalog-guard record --only {name}",
            reason=error.reason,
        ) from error


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


def recorded_baseline(*, cassettes_dir: str | os.PathLike[str] | None = None) -> dict[str, int]:
    """The count baseline written with ``gateway/current``."""
    return dict(_baseline(_directory(cassettes_dir)))


@functools.cache
def _baseline(directory: str) -> tuple[tuple[str, int], ...]:
    return tuple(read_baseline(cassette_path(BASELINE, directory)).items())


def recorded_context(
    config: checks.ContractConfig | None = None, *, cassettes_dir: str | os.PathLike[str] | None = None
) -> checks.Context:
    """The context the contract checks judge against: recorded truth, recorded baseline, and ``config``."""
    return checks.Context(
        truth=recorded_truth(cassettes_dir=cassettes_dir),
        baseline=recorded_baseline(cassettes_dir=cassettes_dir),
        config=config or checks.ContractConfig(),
    )
