"""``catalog-guard audit``: everything a gateway team wants at a glance, as one plain data structure.

The audit is assembled here and rendered by :mod:`catalog_guard.report` (table, JSON, Markdown), so the three
formats can never disagree. Two sources:

- **recorded** (the default): the shipped cassettes. The gateway observation is ``gateway/current``; the Hub
  coverage comes from replaying each Hub strategy's cassette; the seed days' deployments are replayed too, so
  the report shows what the gate would have said on each of them.
- **live**: a running backend (``--gateway-url``), observed over HTTP and judged against a
  :class:`~catalog_guard.truth.Truth`: fetched from the upstreams while the gateway is observed (``--truth
  live``), or replayed from cassettes (``recorded``, a directory).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import gc
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from catalog_guard import checks, latency, merge
from catalog_guard.checks import CheckResult
from catalog_guard.errors import HtmlErrorPageError, LimitReached
from catalog_guard.gateway_client import GatewayResponse
from catalog_guard.gateways import ALL
from catalog_guard.hub import STRATEGIES
from catalog_guard.observe import Observation, ObservePlan, observe_target
from catalog_guard.records import ModelRecord, id_of
from catalog_guard.target import GatewayTarget
from catalog_guard.truth import LiveFetch, Truth, load_truth

if TYPE_CHECKING:
    from catalog_guard.corpus.replay import Version


@dataclass(frozen=True)
class WalkRow:
    gateway: str
    fetched: int
    unique: int
    duplicates: int
    pages: int
    requests: int
    ended: str


@dataclass(frozen=True)
class CoverageRow:
    strategy: str
    models: int
    upstream: int
    covered: int
    requests: int
    complete: bool
    note: str

    @property
    def ratio(self) -> float:
        return self.covered / self.upstream if self.upstream else 0.0


@dataclass(frozen=True)
class StateVerdict:
    """A historical deployment's verdict; ``failed`` lists ``(check, reason)``, the regression's own check first."""

    name: str
    source: str
    failed: tuple[tuple[str, str], ...]


@dataclass
class Audit:
    """The whole report. ``exit_code`` is 0 when every check on the judged observation passed, else 1."""

    source: str
    target: str
    provenance: dict[str, Any]
    walks: list[WalkRow]
    checks: list[checks.CheckResult]
    merge: dict[str, Any]
    coverage: list[CoverageRow] = field(default_factory=list)
    history: list[StateVerdict] = field(default_factory=list)
    seed_merge: dict[str, Any] | None = None
    truth_kind: str = "synthetic"  # provenance of the recorded upstream truth the checks compared against
    truth: Truth | None = None  # what the truth checks compared with (None: no truth at all)
    require_all_truth: bool = False  # an upstream not judged is exit 2 (--require-all-truth)
    incomplete: str | None = None  # why the observation cannot be judged as a whole (a limit, no answer)
    latency: dict[str, latency.Figures] = field(default_factory=dict)
    latency_budget: float | None = None  # the p95 budget the latency check applied (None: off)

    @property
    def latency_measured(self) -> bool:
        """Live figures are the gateway's; a replayed cassette's are the replay's (cassettes record no timing)."""
        return self.source == "live"

    @property
    def root_causes(self) -> list[CheckResult]:
        return checks.root_causes(self.checks)

    @property
    def passed(self) -> bool:
        return self.incomplete is None and all(result.passed for result in self.checks)

    @property
    def verdict(self) -> str:
        """``NOT JUDGED`` (a limit or a missing answer: exit 2), ``FAIL`` (a contract violation), ``PASS for what
        was judged`` (an upstream without truth is never reported as passed) or ``PASS``."""
        if self.incomplete:
            return "NOT JUDGED"
        if not self.passed:
            return "FAIL"
        if self.judged_no_upstream or self.observed_nothing:
            return "NOT JUDGED"
        return "PASS for what was judged" if self.truth is not None and self.truth.not_judged() else "PASS"

    @property
    def observed_nothing(self) -> bool:
        """:func:`observed_nothing` (an outage, a wrong base URL, a limit on the first request): a check's pass is
        then shown as not judged and never counted as a pass; the exit code is never 0."""
        return _no_page_came_back([row.pages for row in self.walks])

    @property
    def judged_no_upstream(self) -> bool:
        """Truth was wanted and not one upstream's could be had (no keys, no route to any upstream): coverage,
        phantoms and counts were never compared, so a pass would be a pass without checking."""
        return self.truth is not None and bool(self.truth.upstreams) and not self.truth.ids()

    @property
    def exit_code(self) -> int:
        """2 when the observation is incomplete (a limit, a request without an answer: the checks' results are
        shown but do not count); 1 for a violation; 2 when every check passed but no upstream's truth could be had
        (nothing was compared with its upstream), or no catalog page came back (nothing was checked at all), or
        ``require_all_truth`` and an upstream was not judged; else 0."""
        if self.incomplete:
            return 2
        if not self.passed:
            return 1
        if self.judged_no_upstream or self.observed_nothing:
            return 2
        return 2 if self.require_all_truth and self.truth is not None and self.truth.not_judged() else 0


def walk_rows(seen: Observation) -> list[WalkRow]:
    rows = []
    for name, walk in seen.every_walk(unique=False).items():
        unique = len(set(walk.ids))
        label = f"{ALL} (a row per provider)" if name == ALL else name
        rows.append(
            WalkRow(
                label, len(walk.ids), unique, len(walk.ids) - unique, len(walk.pages), walk.requests, walk.stop_reason
            )
        )
    return rows


def _records(gateway: str, items: Iterable[dict[str, Any]]) -> list[ModelRecord]:
    return [ModelRecord(id=identifier, gateway=gateway) for item in items if (identifier := id_of(item))]


def merge_walks(seen: Observation, focus: str = "huggingface") -> merge.MergedCatalog:
    """Merge what the gateway listed per gateway (the walks), as the seed frontend did."""
    catalogs = {name: [ModelRecord(id=i, gateway=name) for i in walk.ids] for name, walk in seen.walks.items()}
    return merge.merge(catalogs, focus=focus if focus in catalogs else None)


def merge_singles(singles: dict[str, GatewayResponse], focus: str = "huggingface") -> merge.MergedCatalog:
    """Merge one large-``limit`` request per gateway: the seed reports' own method (``limit=50000``)."""
    catalogs = {name: _records(name, response.items) for name, response in singles.items()}
    return merge.merge(catalogs, focus=focus if focus in catalogs else None)


def verdict(name: str, source: str, results: Sequence[checks.CheckResult], first: Sequence[str] = ()) -> StateVerdict:
    failed = [r for r in results if not r.passed]
    failed.sort(key=lambda r: (r.name not in first, list(checks.CHECKS).index(r.name)))
    return StateVerdict(name, source, tuple((r.name, r.summary()) for r in failed))


@functools.cache
def _history(
    directory: str, _version: Version, config: checks.ContractConfig
) -> tuple[tuple[StateVerdict, ...], dict[str, Any] | None]:
    """What the gate would have said of each historical deployment, and the seed-000 merge: from the corpus's
    history store (:data:`HISTORY_STORE`) when it was computed from exactly these files and this ``config``,
    else judged now (:func:`judge_history`). Cached for a process that audits again (the test suite) by the
    corpus's version (:meth:`~catalog_guard.corpus.Corpus.version`): a re-recorded corpus is judged again."""
    stored = stored_history(directory, config)
    return stored if stored is not None else judge_history(directory, config)


def judge_history(
    directory: str | os.PathLike[str], config: checks.ContractConfig
) -> tuple[tuple[StateVerdict, ...], dict[str, Any] | None]:
    """Replay and judge every historical deployment of ``directory`` (and merge seed-000's single request)."""
    return judge_history_under(directory, [config])[0]


def judge_history_under(
    directory: str | os.PathLike[str], configs: Sequence[checks.ContractConfig]
) -> list[tuple[tuple[StateVerdict, ...], dict[str, Any] | None]]:
    """:func:`judge_history` under each of ``configs``, each deployment replayed once for all of them.

    Replayed one deployment at a time and not kept (the seed-000 one alone holds a 50,000-entry listing: ~75
    MiB decoded and its body), before the caller holds the current observation.
    """
    from catalog_guard import corpus, gallery
    from catalog_guard.history import HISTORY

    truth = load_truth(directory)
    contexts = [truth.context(config) for config in configs]
    history: list[list[StateVerdict]] = [[] for _ in configs]
    seed_merge = None
    # An observation sits in reference cycles (a walk's typed error holds its traceback), so it is freed only by
    # a collection: one after each deployment, over what that deployment made (what was held before is frozen
    # out of the collector's walk for the loop: a full collection of everything took 8 % of the audit).
    gc.freeze()
    try:
        for name, state in HISTORY.items():
            past = corpus.open_corpus(directory).observation(name, cache=False)
            first = [c for mode in state.regressions for c in gallery.MODES[mode].expected]
            first += gallery.MODES[state.fetcher].expected
            for verdicts, context in zip(history, contexts, strict=True):
                verdicts.append(verdict(name, state.source, checks.run_checks(past, context), first))
            if seed_merge is None and name.endswith("seed-000"):
                seed_merge = {"state": name, **merge_singles(past.singles).stats.to_dict()}
            del past
            gc.collect()
    finally:
        gc.unfreeze()
    return [(tuple(verdicts), seed_merge) for verdicts in history]


# ------------------------------------------------------------------------------------------ the history store

#: The history's verdicts as ``catalog-guard record`` computed them, stored with the corpus (derived data, not a
#: cassette: not ``.json``, so no cassette listing sees it). Used only when every file they were computed from
#: has the same content (SHA-256) and the audit's config is the one they were computed with; otherwise the
#: history is judged again. ``tests/test_history_store.py`` recomputes them from the cassettes and requires the
#: stored ones: a change to the checks fails there until the store is rewritten (docs/architecture.md).
HISTORY_STORE = "gateway/history.verdicts"
HISTORY_STORE_FORMAT = "catalog-guard-history-verdicts/1"


def history_inputs(directory: str | os.PathLike[str]) -> dict[str, str | None]:
    """SHA-256 of every file the history's verdicts are computed from (each deployment's cassette, the
    recorded truth's, the baseline), by name; ``None`` for a missing one."""
    from catalog_guard import corpus
    from catalog_guard.history import HISTORY
    from catalog_guard.truth import CASSETTES

    names = [*(f"{corpus.GATEWAY}/history/{name}" for name in HISTORY), *CASSETTES.values(), corpus.BASELINE]
    found: dict[str, str | None] = {}
    for name in names:
        try:
            found[name] = hashlib.sha256(corpus.cassette_path(name, directory).read_bytes()).hexdigest()
        except OSError:
            found[name] = None
    return found


def _config_document(config: checks.ContractConfig) -> Any:
    document: Any = json.loads(json.dumps(dataclasses.asdict(config)))
    return document


#: The configs the store holds verdicts for: the recorded audit's command-line default (nothing forgiven: the
#: recorded gateway and its truth were recorded in one run) and the library's default (``recorded_audit()``).
def stored_configs() -> tuple[checks.ContractConfig, ...]:
    from catalog_guard.skew import EXACT

    return (dataclasses.replace(checks.ContractConfig(), skew=EXACT), checks.ContractConfig())


def history_document(directory: str | os.PathLike[str]) -> str:
    """The history store of ``directory``, judged now under each of :func:`stored_configs`, as the file's text."""
    configs = stored_configs()
    judged = judge_history_under(directory, configs)
    entries = [
        {
            "config": _config_document(config),
            "history": [{"name": v.name, "source": v.source, "failed": [list(f) for f in v.failed]} for v in history],
            "seed_merge": seed_merge,
        }
        for config, (history, seed_merge) in zip(configs, judged, strict=True)
    ]
    document = {
        "format": HISTORY_STORE_FORMAT,
        "note": "derived from the cassettes by catalog-guard record; used only while every input is unchanged",
        "inputs": history_inputs(directory),
        "verdicts": entries,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def stored_history(
    directory: str | os.PathLike[str], config: checks.ContractConfig
) -> tuple[tuple[StateVerdict, ...], dict[str, Any] | None] | None:
    """The stored verdicts when they hold for these files and this ``config``, else ``None`` (also for a
    missing or unreadable store: it is an optimisation, never a source of truth)."""
    try:
        document = json.loads((Path(directory) / HISTORY_STORE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("format") != HISTORY_STORE_FORMAT:
        return None
    wanted = _config_document(config)
    try:
        entry = next((e for e in document["verdicts"] if e["config"] == wanted), None)
        if entry is None or document["inputs"] != history_inputs(directory):
            return None
        history = tuple(
            StateVerdict(item["name"], item["source"], tuple((check, reason) for check, reason in item["failed"]))
            for item in entry["history"]
        )
        seed_merge = entry["seed_merge"]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return history, seed_merge if isinstance(seed_merge, dict) else None


def recorded_audit(
    config: checks.ContractConfig | None = None, *, cassettes_dir: str | os.PathLike[str] | None = None
) -> Audit:
    """The audit of the recorded cassettes in ``cassettes_dir`` (default: the shipped corpus, or
    ``$CATALOG_GUARD_CASSETTES``). Reads only the corpus: no network."""
    from catalog_guard.corpus import CURRENT, GATEWAY, open_corpus, provenance_of

    recorded = open_corpus(cassettes_dir)
    judged = load_truth(cassettes_dir)
    context = judged.context(config)
    history, seed_merge = _history(str(recorded.directory), recorded.version(), config or checks.ContractConfig())
    seen = recorded.observation(CURRENT)
    truth = context.truth.get("huggingface", frozenset())
    coverage = []
    for strategy in STRATEGIES:
        result = recorded.hub(strategy)
        ids = set(result.ids)
        note = "" if result.complete else ("next page ignored" if result.truncated else result.stop_reason)
        coverage.append(
            CoverageRow(strategy, len(result.ids), len(truth), len(ids & truth), result.requests, result.complete, note)
        )
    return Audit(
        source="recorded",
        target="cassettes/gateway/current",
        provenance=provenance_of(f"{GATEWAY}/{CURRENT}", recorded.directory),
        walks=walk_rows(seen),
        checks=checks.run_checks(seen, context),
        merge=merge_walks(seen).stats.to_dict(),
        coverage=coverage,
        history=list(history),
        seed_merge=dict(seed_merge) if seed_merge is not None else None,
        truth_kind=judged.data,
        truth=judged,
        latency_budget=(config or checks.ContractConfig()).latency_budget or None,  # no figures: replay timing
    )


def _describe(request: Any) -> str:
    params = request.url.params
    if "gateway" in params:
        return f"{request.method} gateway={params.get('gateway')} offset={params.get('offset', 0)}"
    return f"{request.method} {request.url.path}"


def live_audit(
    target: GatewayTarget,
    plan: ObservePlan,
    *,
    truth: Truth | LiveFetch | None = None,
    config: checks.ContractConfig | None = None,
    progress: Callable[[str], None] | None = None,
    concurrency: int = 1,
    require_all_truth: bool = False,
) -> Audit:
    """Observe a running gateway and judge it against ``truth``: a :class:`Truth`, or a fetch of one
    (:func:`catalog_guard.truth.choose`), run on another thread *while* the gateway is observed so that both
    describe the same moment. ``None`` is the recorded corpus. ``concurrency``: see
    :func:`~catalog_guard.observe.observe`. The observation and the truth fetch keep to ``target.limits`` under
    one meter: one deadline, one request budget and one wait budget for the whole audit."""
    # one step per response: walking thousands of pages must not look hung
    hook = (lambda response: progress(_describe(response.request))) if progress is not None else None
    meter = target.meter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="catalog-guard-truth") as pool:
        pending = pool.submit(truth, meter=meter) if callable(truth) else None
        seen = observe_target(target, plan, on_response=hook, concurrency=concurrency, meter=meter)
        judged = pending.result() if pending is not None else truth if isinstance(truth, Truth) else load_truth()
    if seen.stopped is None:  # the truth fetch may have stopped the run after the observation ended
        seen.stopped = meter.stopped
    return Audit(
        source="live",
        target=target.base_url,
        provenance={"kind": "live", "url": target.base_url},
        truth_kind=judged.data,
        walks=walk_rows(seen),
        checks=checks.run_checks(seen, judged.context(config)),
        merge=merge_walks(seen).stats.to_dict(),
        truth=judged,
        require_all_truth=require_all_truth,
        incomplete=why_incomplete(seen) or judged.cut_off(),
        latency=latency.by_gateway(seen),
        latency_budget=(config or checks.ContractConfig()).latency_budget or None,
    )


def why_incomplete(seen: Observation) -> str | None:
    """The one line that says why an observation cannot be judged, naming the limit that stopped it; ``None``
    when every request got an answer."""
    if seen.stopped is not None:
        stopped = seen.stopped
        by = f"stopped by {stopped.limit}" if isinstance(stopped, LimitReached) else "stopped"
        return f"{by}: {stopped}"
    unanswered = seen.unanswered()
    if not unanswered:
        return not_a_catalog(seen)
    label, first = unanswered[0]
    limit = f" ({first.limit})" if isinstance(first, LimitReached) else ""
    return (
        f"{len(unanswered)} request(s) got no usable answer{limit}; the first: {label}: {type(first).__name__}: {first}"
    )


def observed_nothing(seen: Observation) -> bool:
    """Not one catalog page came back: every walk ended before its first page. A check that passes on such an
    observation had nothing to find fault with (:attr:`Audit.observed_nothing` is the same, read from the report's
    walk rows)."""
    return _no_page_came_back([len(walk.pages) for walk in seen.every_walk(unique=False).values()])


def _no_page_came_back(pages_per_walk: list[int]) -> bool:
    """Walks were asked for, and none got a page."""
    return bool(pages_per_walk) and not any(pages_per_walk)


_NOT_HERE = frozenset({404, 405, 410})


def not_a_catalog(seen: Observation) -> str | None:
    """The line that says the base URL serves no ``/v1/models`` catalog at all, or ``None``.

    A gateway down or refusing (a 5xx, a 401, an empty but well-formed listing) is the gateway's answer, judged by
    the checks. But when every gateway asked for answers "not here" (404, 405, 410) or a 2xx that is not JSON (a
    web server's welcome page), the URL points at something else: a path given twice (``.../v1/models`` in the
    base URL), the wrong host or port. Nothing of the contract can be judged there, so it is exit 2, not a list
    of violations that all say the same thing."""
    answers: list[str] = []
    for name in seen.plan.gateways:
        walk = seen.walks.get(name)
        if walk is None:
            return None
        status = getattr(walk.error, "status", None)
        welcome_page = isinstance(walk.error, HtmlErrorPageError) and status is not None and status < 300
        if walk.pages or not (status in _NOT_HERE or welcome_page):
            return None  # a listing answered (whatever its content), or an outage or refusal: the gateway's answer
        answers.append(f"{status}{', an HTML page,' if welcome_page else ''} from {getattr(walk.error, 'url', '')}")
    if not answers:
        return None
    return (
        f"no /v1/models catalog at {seen.base_url}: every gateway asked for answered 'not here' or a page that is "
        f"not JSON (first: {answers[0]}); is that the base URL /v1/models is under (--gateway-url, "
        "GatewayTarget.base_url)?"
    )
