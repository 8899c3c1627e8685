"""The upstream truth a gateway is judged against: fetched live, or replayed from cassettes, as one typed object.

Why live truth: a gateway lists its upstreams *as they are now* (the Hub's ``hf-inference`` listing and the
providers' lists change daily), so judging a real staging gateway against the shipped, synthetic corpus reports
every model as a coverage gap. ``catalog-guard audit --gateway-url URL`` therefore fetches the truth at audit
time, with the project's reference fetchers (the Hub's complete cursor walk, :func:`catalog_guard.hub.fetch_hub`;
every provider at once, :func:`catalog_guard.providers.fetch_all`), *while* the gateway is observed, so that
both describe the same moment. What is left of the difference between the two snapshots is skew, forgiven up to
:class:`~catalog_guard.skew.SkewAllowance`.

Three choices (``--truth``), one :class:`Truth`:

- ``live``: :func:`fetch_live_truth` (the default with ``--gateway-url``);
- ``recorded``: the shipped (or re-recorded) corpus, :func:`load_truth`;
- a directory: truth saved earlier with ``--save-truth DIR`` (:func:`save_truth`), replayed by :func:`load_truth`
  to the same verdict. Saved truth is cassettes in the project's own format (``docs/cassette-format.md``):
  scrubbed, rewritten to the canonical hosts, with a provenance block saying live, when and from where.

Honesty rules: an upstream whose truth could not be had (its key is not set, a 401, an outage after the walk's
retries, a missing cassette) is *not judged* by the checks that need truth, by name and reason
(:data:`catalog_guard.checks.TRUTH_CHECKS`), never passed; ``--require-all-truth`` turns any of those into exit 2.
Keys are read from the variables ``catalog-guard record`` reads (:func:`catalog_guard.corpus.upstream_tokens`),
sent in headers only, and scrubbed from everything printed or saved.

Bounds: every request of a live truth fetch goes through the same bounded transport as the gateway's
(:mod:`catalog_guard.bounded`), under the audit's own :class:`~catalog_guard.limits.Meter`: one deadline, one
request budget and one wait budget for the whole run, a whole-response ``--timeout`` and a streamed ``--max-body``
per response, ``--max-wait`` per wait. An upstream that drips, hangs, never ends its body or asks to wait for
ever is cut off like a gateway would be, and the limit is named (:attr:`UpstreamTruth.limit`): the audit is then
not judged (exit 2), never passed on the truth that happened to arrive.

Why the traffic is captured by a transport wrapper rather than recorded with vcrpy: vcrpy patches httpx for the
whole process, and the gateway is observed on another thread at the same time; its requests would land in the
truth's cassettes. :class:`_Capture` sees only the truth fetchers' own clients.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx

from catalog_guard import checks, corpus
from catalog_guard.bounded import AsyncBoundedTransport, BoundedTransport, async_network_transport, network_transport
from catalog_guard.cassettes import RewritingPolicy, ScrubPolicy, known_secrets, live_provenance, scan_for_secrets
from catalog_guard.cassettes import format as cassette_format
from catalog_guard.cassettes.persister import write_atomically
from catalog_guard.errors import CatalogGuardError, LimitReached, RunStopped
from catalog_guard.gateways import HUGGINGFACE, KNOWN
from catalog_guard.hub import fetch_hub
from catalog_guard.limits import Limits, Meter
from catalog_guard.paging import WalkSettings
from catalog_guard.providers import GATEWAY_SPECS, fetch_all

Kind = Literal["live", "recorded"]
LIVE: Kind = "live"
RECORDED: Kind = "recorded"
#: The upstreams a truth is about: the Hub, then the twelve providers (the gateway names they back).
UPSTREAMS: tuple[str, ...] = (HUGGINGFACE, *GATEWAY_SPECS)
CASSETTES = {HUGGINGFACE: f"{HUGGINGFACE}/cursor", **{name: f"{corpus.PROVIDERS}/{name}" for name in GATEWAY_SPECS}}
NO_BASELINE = "no count baseline: pass --baseline FILE (a previous audit's JSON report)"
Sleep = Callable[[float], Any]


class TruthError(CatalogGuardError):
    """Truth that cannot be used at all: a ``--truth``/``--baseline`` path that is not what it should be."""


@dataclass(frozen=True)
class UpstreamTruth:
    """One upstream's listing, or why there is none. ``ids is None`` means *not judged*, for ``reason``."""

    name: str
    ids: frozenset[str] | None
    reason: str = ""
    requests: int = 0
    url: str = ""  # where it was fetched or replayed from (never a token)
    limit: str = ""  # the option of the bound (--timeout, --deadline, ...) that cut its fetch off, if one did

    @property
    def judged(self) -> bool:
        return self.ids is not None


@dataclass(frozen=True)
class Exchange:
    """One request the truth fetchers sent and what came back, kept only to save the truth as cassettes."""

    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...]
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    content: bytes


@dataclass(frozen=True)
class Truth:
    """What the truth checks compare with, where it came from, and what it could not say.

    ``kind`` is how it was obtained (``live`` or ``recorded``); ``data`` what the ids are (``live`` or
    ``synthetic``, from the cassettes' provenance); ``origin`` where from (URLs or a directory); ``baseline``
    the count-floor's counts (``None``: not judged).
    """

    kind: Kind
    data: str
    origin: str
    upstreams: Mapping[str, UpstreamTruth]
    baseline: Mapping[str, int] | None = None
    baseline_origin: str = ""
    fetched_at: str | None = None
    seconds: float = 0.0
    base_urls: Mapping[str, str] = field(default_factory=dict)
    exchanges: tuple[Exchange, ...] = field(default=(), repr=False, compare=False)

    def ids(self) -> dict[str, frozenset[str]]:
        return {name: up.ids for name, up in self.upstreams.items() if up.ids is not None}

    def not_judged(self) -> dict[str, str]:
        """Upstreams without truth, and why."""
        return {name: up.reason for name, up in self.upstreams.items() if up.ids is None}

    def cut_off(self) -> str | None:
        """The line that says which of catalog-guard's own limits left an upstream without truth (the audit is
        then not judged, exit 2: the tool stopped itself, the upstream did not say no), or ``None``."""
        for name, up in self.upstreams.items():
            if up.limit:
                return f"the live truth of {name} was cut off by {up.limit}: {up.reason}"
        return None

    @property
    def requests(self) -> int:
        return sum(up.requests for up in self.upstreams.values())

    def with_baseline(self, counts: Mapping[str, int], origin: str) -> Truth:
        return dataclasses.replace(self, baseline=dict(counts), baseline_origin=origin)

    def context(self, config: checks.ContractConfig | None = None) -> checks.Context:
        """The checks' context: the judged ids, the baseline, and per check what it cannot judge."""
        unjudged: dict[str, dict[str, str]] = {name: self.not_judged() for name in checks.TRUTH_CHECKS}
        if self.baseline is None:
            unjudged.update({name: dict.fromkeys(KNOWN, NO_BASELINE) for name in checks.BASELINE_CHECKS})
        return checks.Context(
            truth=self.ids(),
            baseline=dict(self.baseline or {}),
            config=config or checks.ContractConfig(),
            not_judged=unjudged,
        )

    def headline(self) -> str:
        """One line for the top of every report: which truth, from where, and what it could not judge."""
        when = f" at {self.fetched_at}" if self.fetched_at else ""
        judged = len(self.ids())
        line = f"truth: {self.kind} ({self.data} data) from {self.origin}{when}"
        line += f"; {judged} of {len(self.upstreams)} upstreams judged"
        missing = self.not_judged()
        if missing:
            line += f"; NOT JUDGED: {', '.join(missing)}"
        return line

    def summary(self) -> dict[str, Any]:
        """The JSON report's ``truth`` block."""
        return {
            "kind": self.kind,
            "data": self.data,
            "origin": self.origin,
            "fetched_at": self.fetched_at,
            "seconds": round(self.seconds, 3),
            "requests": self.requests,
            "baseline_origin": self.baseline_origin if self.baseline is not None else None,
            "upstreams": {
                name: {
                    "judged": up.judged,
                    "models": len(up.ids or ()),
                    "requests": up.requests,
                    "reason": up.reason,
                    "from": up.url,
                }
                for name, up in self.upstreams.items()
            },
            "not_judged": self.not_judged(),
        }


# ------------------------------------------------------------------------------------------------ capture


class _Capture:
    """Every exchange the truth clients made, in order (thread-safe: the Hub walks on its own thread)."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()

    def add(self, request: httpx.Request, response: httpx.Response) -> None:
        exchange = Exchange(
            method=request.method,
            url=str(request.url),
            request_headers=tuple(request.headers.multi_items()),
            status=response.status_code,
            reason=response.reason_phrase,
            headers=tuple(response.headers.multi_items()),
            content=response.content,
        )
        with self._lock:
            self.exchanges.append(exchange)


class _CapturingTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, capture: _Capture) -> None:
        self._inner, self._capture = inner, capture

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        response.read()
        self._capture.add(request, response)
        return response

    def close(self) -> None:
        self._inner.close()


class _AsyncCapturingTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, capture: _Capture) -> None:
        self._inner, self._capture = inner, capture

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        await response.aread()
        self._capture.add(request, response)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


# ------------------------------------------------------------------------------------------------ live


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _reason(error: BaseException | None, fallback: str, secrets: Mapping[str, str]) -> str:
    text = f"{type(error).__name__}: {error}" if error is not None else fallback
    return ScrubPolicy(secrets).scrub_text(text)[:300]


def _limit_of(error: BaseException | None) -> str:
    """The option of the limit behind ``error`` (a request not sent after the run stopped names its cause's)."""
    if isinstance(error, RunStopped):
        error = error.cause
    return error.limit if isinstance(error, LimitReached) else ""


class LiveFetch(Protocol):
    """Live truth to fetch while the gateway is observed: called with the audit's meter (one deadline and one
    set of budgets for the whole run), or with none for a meter of its own."""

    def __call__(self, meter: Meter | None = None) -> Truth: ...


def fetch_live_truth(
    names: Iterable[str] = UPSTREAMS,
    *,
    tokens: Mapping[str, str],
    base_urls: Mapping[str, str] | None = None,
    meter: Meter | None = None,
    sleep: Sleep | None = None,
    settings: WalkSettings | None = None,
    transport: Callable[[], httpx.BaseTransport] = network_transport,
    async_transport: Callable[[], httpx.AsyncBaseTransport] = async_network_transport,
) -> Truth:
    """Fetch the truth of ``names`` now: the Hub cursor walk on one thread while every provider is listed
    concurrently (:func:`~catalog_guard.providers.fetch_all`) on another's event loop.

    ``tokens`` by upstream (:func:`catalog_guard.corpus.upstream_tokens`); an upstream whose listing needs a key
    that is not there is not asked, and reported not judged. ``base_urls`` moves upstreams elsewhere (the same
    ``NAME=URL`` overrides as ``catalog-guard record --base-url``; tests point them at loopback fakes).
    ``meter`` is the run's account (:class:`~catalog_guard.limits.Meter`; default: one of its own with the
    default :class:`~catalog_guard.limits.Limits`): every request goes through the bounded transport under it
    and every wait is charged to it. ``transport``/``async_transport`` make the network transports that the
    bounded ones wrap. ``sleep`` is the wait between retries (default: real waits). Never raises for upstream
    trouble.
    """
    meter = meter or Meter(Limits(), one_host=False)
    wanted = [name for name in UPSTREAMS if name in set(names)]
    urls = {name: (dict(base_urls or {}).get(name) or corpus.canonical_base_url(name)).rstrip("/") for name in wanted}
    secrets = {**known_secrets(os.environ), **{f"{name} token": token for name, token in tokens.items()}}
    capture = _Capture()
    started, fetched_at = time.perf_counter(), _now()
    found: dict[str, UpstreamTruth] = {}
    skipped = {name: why for name in wanted if (why := corpus.key_missing(name, tokens))}
    specs = [GATEWAY_SPECS[n].with_base_url(urls[n]) for n in wanted if n in GATEWAY_SPECS and n not in skipped]

    def hub() -> UpstreamTruth:
        bounded = BoundedTransport(transport(), meter, host_health=False)
        with httpx.Client(transport=_CapturingTransport(bounded, capture)) as client:
            result = fetch_hub(
                client,
                strategy="cursor",
                token=tokens.get(HUGGINGFACE, ""),
                settings=settings,
                sleep=meter.sleeper(sleep or time.sleep, "the Hub (live truth)"),
                base_url=urls[HUGGINGFACE],
            )
        if not result.complete:
            why = _reason(result.error, f"the cursor walk did not finish ({result.stop_reason})", secrets)
            limit = _limit_of(result.error)
            return UpstreamTruth(HUGGINGFACE, None, why, result.requests, urls[HUGGINGFACE], limit)
        return UpstreamTruth(HUGGINGFACE, frozenset(result.ids), "", result.requests, urls[HUGGINGFACE])

    async def providers() -> dict[str, UpstreamTruth]:
        bounded = AsyncBoundedTransport(async_transport(), meter, host_health=False)
        async with httpx.AsyncClient(transport=_AsyncCapturingTransport(bounded, capture)) as client:
            results = await fetch_all(
                specs,
                client=client,
                tokens={spec.name: tokens.get(spec.name, "") for spec in specs},
                settings=settings,
                sleep=meter.sleeper(sleep or asyncio.sleep, "a provider (live truth)"),
            )
        listed = {}
        for name, result in results.items():
            if result.complete:
                listed[name] = UpstreamTruth(name, frozenset(result.models()), "", result.walk.requests, urls[name])
            else:
                why = _reason(result.error, f"the listing did not finish ({result.stop_reason})", secrets)
                limit = _limit_of(result.error)
                listed[name] = UpstreamTruth(name, None, why, result.walk.requests, urls[name], limit)
        return listed

    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="catalog-guard-hub") as pool:
        pending = pool.submit(hub) if HUGGINGFACE in wanted else None
        found.update(asyncio.run(providers()) if specs else {})
        if pending is not None:
            found[HUGGINGFACE] = pending.result()
    found.update({name: UpstreamTruth(name, None, why, 0, urls[name]) for name, why in skipped.items()})
    overridden = sorted(name for name in wanted if urls[name] != corpus.canonical_base_url(name))
    origin = "the upstreams' own APIs" + (f" ({', '.join(overridden)} from overridden base URLs)" if overridden else "")
    return Truth(
        kind=LIVE,
        data="live",
        origin=origin,
        upstreams={name: found[name] for name in wanted},
        fetched_at=fetched_at,
        seconds=time.perf_counter() - started,
        base_urls=urls,
        exchanges=tuple(capture.exchanges),
    )


# ------------------------------------------------------------------------------------------------ cassettes


def load_truth(directory: str | os.PathLike[str] | None = None, names: Iterable[str] = UPSTREAMS) -> Truth:
    """Truth replayed from a cassette directory: the shipped corpus (``None``) or one ``--save-truth`` wrote.

    Each upstream is replayed on its own, so a missing or incomplete cassette leaves that upstream not judged
    (naming the file) instead of failing the audit. The baseline is the directory's ``gateway/baseline.json``
    when it has one.
    """
    folder = Path(directory).resolve() if directory is not None else corpus.find_cassettes_dir()
    if not folder.is_dir():
        raise TruthError(f"--truth {folder}: not a directory of cassettes")
    wanted = [name for name in UPSTREAMS if name in set(names)]
    found: dict[str, UpstreamTruth] = {}
    started = time.perf_counter()
    for name in wanted:
        path = corpus.cassette_path(CASSETTES[name], folder)
        if not path.is_file():
            found[name] = UpstreamTruth(name, None, f"no {CASSETTES[name]} cassette in {folder}", 0, str(path))
            continue
        try:
            if name == HUGGINGFACE:
                hub = corpus.replay_hub("cursor", cassettes_dir=folder)
                # models() raises for an incomplete walk: a partial listing is never truth
                ids, requests = frozenset(model["id"] for model in hub.models()), hub.requests
            else:
                result = corpus.replay_provider(name, cassettes_dir=folder)
                ids, requests = frozenset(result.models()), result.walk.requests
        except (CatalogGuardError, ValueError, OSError) as error:
            found[name] = UpstreamTruth(name, None, f"{path}: {type(error).__name__}: {error}"[:300], 0, str(path))
            continue
        found[name] = UpstreamTruth(name, ids, "", requests, str(path))
    provenance = _first_provenance(folder, wanted)
    data = str(provenance.get("kind", "unknown"))
    baseline_path = corpus.cassette_path(corpus.BASELINE, folder)
    truth = Truth(
        kind=RECORDED,
        data=data,
        origin=str(folder) if directory is not None else f"the shipped corpus ({folder})",
        upstreams=found,
        fetched_at=provenance.get("recorded_at"),
        seconds=time.perf_counter() - started,
    )
    if baseline_path.is_file():
        return truth.with_baseline(corpus.read_baseline(baseline_path), str(baseline_path))
    return truth


def recorded_context(
    config: checks.ContractConfig | None = None, *, cassettes_dir: str | os.PathLike[str] | None = None
) -> checks.Context:
    """The context the contract checks judge against: recorded truth, recorded baseline, and ``config``."""
    return checks.Context(
        truth=corpus.recorded_truth(cassettes_dir=cassettes_dir),
        baseline=corpus.recorded_baseline(cassettes_dir=cassettes_dir),
        config=config or checks.ContractConfig(),
    )


def _first_provenance(folder: Path, names: Sequence[str]) -> dict[str, Any]:
    for name in names:
        path = corpus.cassette_path(CASSETTES[name], folder)
        if path.is_file():
            try:
                return corpus.provenance_of(CASSETTES[name], folder)
            except (ValueError, OSError):
                continue
    return {}


def _upstream_of(url: str, base_urls: Mapping[str, str]) -> str | None:
    """The upstream whose base URL is the longest prefix of ``url`` (loopback fakes may share a host)."""
    matches = [name for name, base in base_urls.items() if url == base or url.startswith(base + "/")]
    return max(matches, key=lambda name: len(base_urls[name]), default=None)


def save_truth(
    truth: Truth, directory: str | os.PathLike[str], *, secrets: Mapping[str, str] | None = None
) -> list[Path]:
    """Write live ``truth`` as cassettes under ``directory`` (``huggingface/cursor.json``,
    ``providers/<name>.json``), replayable by ``--truth directory`` to the same verdict.

    Each exchange goes through the recorder's policy: moved from the URL it was fetched from to the canonical
    host, then scrubbed (``secrets``: every token sent, plus the environment's known secrets). The secret scanner
    must then find nothing in the directory, or the files are removed and :class:`TruthError` raised.
    """
    from vcr.request import Request as VcrRequest

    if truth.kind != LIVE:
        raise TruthError("only live truth is saved: recorded truth is already a cassette directory")
    folder = Path(directory).resolve()
    known = {**known_secrets(os.environ), **dict(secrets or {})}
    by_upstream: dict[str, list[Exchange]] = {}
    for exchange in truth.exchanges:
        upstream = _upstream_of(exchange.url, truth.base_urls)
        if upstream is not None:
            by_upstream.setdefault(upstream, []).append(exchange)
    written: list[Path] = []
    for name, exchanges in by_upstream.items():
        actual, canonical = truth.base_urls[name], corpus.canonical_base_url(name)
        policy = RewritingPolicy(known, {actual: canonical} if actual != canonical else {})
        provenance = live_provenance([httpx.URL(canonical).host], truth.fetched_at or _now())
        provenance["note"] = f"live truth fetched by catalog-guard audit from {actual}; rewritten to {canonical}"
        interactions = []
        for exchange in exchanges:
            request = policy.before_record_request(
                VcrRequest(exchange.method, exchange.url, b"", dict(exchange.request_headers))
            )
            headers: dict[str, list[str]] = {}
            for key, value in exchange.headers:
                if key.lower() != "content-encoding":  # the content was decoded by httpx
                    headers.setdefault(key, []).append(value)
            response = policy.before_record_response(
                {
                    "status": {"code": exchange.status, "message": exchange.reason},
                    "headers": headers,
                    "body": {"string": exchange.content},
                }
            )
            interactions.append({"request": request._to_dict(), "response": response})
        text = cassette_format.serialize(
            {"version": 1, "interactions": interactions, "metadata": {cassette_format.PROVENANCE_KEY: provenance}}
        )
        path = corpus.cassette_path(CASSETTES[name], folder)
        write_atomically(path, text.encode("utf-8"))
        written.append(path)
    findings = scan_for_secrets(folder, policy=ScrubPolicy(known))
    if findings:
        for path in written:
            path.unlink(missing_ok=True)
        raise TruthError(f"--save-truth: {len(findings)} suspected secret(s) left after scrubbing; nothing saved")
    return written


# ------------------------------------------------------------------------------------------------ baseline


def read_baseline(path: str | os.PathLike[str]) -> dict[str, int]:
    """The count baseline from a previous audit's JSON report (``--format json``: each gateway's unique count in
    ``walks``) or a ``catalog-guard-baseline/1`` file. A report whose audit did not pass is refused: a baseline
    is the last *good* deploy."""
    file = Path(path)
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TruthError(f"--baseline {file} cannot be read: {error}") from error
    if isinstance(document, dict) and document.get("format") == corpus.BASELINE_FORMAT:
        return corpus.read_baseline(file)
    walks = document.get("walks") if isinstance(document, dict) else None
    if not isinstance(walks, list):
        raise TruthError(f"--baseline {file}: neither an audit JSON report (with walks) nor a baseline file")
    if document.get("passed") is not True:
        raise TruthError(f"--baseline {file}: that audit did not pass; a baseline must be a good deploy's report")
    counts = {
        row["gateway"]: row["unique"]
        for row in walks
        if isinstance(row, dict) and row.get("gateway") in KNOWN and isinstance(row.get("unique"), int)
    }
    if not counts:
        raise TruthError(f"--baseline {file}: the report lists no gateway's unique count")
    return counts


def choose(
    choice: str,
    names: Iterable[str] = UPSTREAMS,
    *,
    environ: Mapping[str, str],
    base_urls: Mapping[str, str] | None = None,
    limits: Limits | None = None,
    sleep: Sleep | None = None,
    baseline: str | os.PathLike[str] | None = None,
    cassettes_dir: str | os.PathLike[str] | None = None,
) -> Truth | LiveFetch:
    """The truth ``--truth choice`` names: ``live`` as a :class:`LiveFetch`, to run while the gateway is observed
    (under the audit's meter; called without one, under a meter of ``limits``); ``recorded`` (the shipped corpus,
    or ``$CATALOG_GUARD_CASSETTES``) or a directory as a :class:`Truth` replayed now, *before* the observation (a
    replay patches httpx for the whole process, and would answer the gateway's requests too). ``baseline``
    (``--baseline``) replaces the truth's baseline; ``cassettes_dir`` (``--cassettes``) is the corpus ``recorded``
    means."""
    wanted = list(names)
    unknown = sorted(set(base_urls or {}) - set(UPSTREAMS))
    if unknown:
        raise TruthError(f"--base-url for unknown upstream(s) {', '.join(unknown)}; known: {', '.join(UPSTREAMS)}")
    if choice not in (LIVE, RECORDED) and not Path(choice).is_dir():
        raise TruthError(f"--truth {choice!r}: expected live, recorded or a directory written by --save-truth")
    if base_urls and choice != LIVE:
        raise TruthError("--base-url moves where live truth is fetched from; it needs --truth live")
    counts = read_baseline(baseline) if baseline is not None else None

    def with_baseline(truth: Truth) -> Truth:
        return truth.with_baseline(counts, str(baseline)) if counts is not None else truth

    if choice != LIVE:
        return with_baseline(load_truth(cassettes_dir if choice == RECORDED else choice, wanted))

    def fetch(meter: Meter | None = None) -> Truth:
        tokens = corpus.upstream_tokens(environ)
        meter = meter or Meter(limits or Limits(), one_host=False)
        return with_baseline(fetch_live_truth(wanted, tokens=tokens, base_urls=base_urls, meter=meter, sleep=sleep))

    return fetch
