"""``catalog-guard record``: re-record the corpus, all of it or ``--only`` a part, without ever losing the old one.

Why it is built this way:

- **All or nothing.** Everything is recorded into a temporary directory next to ``cassettes/``. Nothing is
  replaced until every requested recording succeeded, replays completely, validates against its schema and holds
  no secret, so a flaky upstream can never half-refresh the corpus. Then the files are swapped in one by one
  (each with an atomic ``os.replace``), under a journal (:func:`_replace`): the old files are copied aside and
  listed in ``.cassettes-swap/journal.json`` before the first replace, and the journal is removed after the last.
  A swap interrupted in-process is rolled back at once; one cut short by a kill is rolled back by
  :func:`recover` at the start of the next ``catalog-guard record``. (Until then, and while a swap runs, a reader
  of ``cassettes/`` may see old and new files side by side.)
- **One writer.** The whole run holds the corpus's lock (:mod:`catalog_guard.record_lock`); a second run refuses
  at once, or waits ``--wait`` seconds. The journal and the staging directory name their owner, so a recovery never
  undoes another live run's swap and a killed run's staging directory is removed by the next run.
- **Live by default, fakes on request.** ``--source live`` talks to the real hosts with the tokens of the
  environment (``HF_TOKEN`` and the variables named in :mod:`catalog_guard.providers`); ``--source fakes``
  records the in-process fakes over the deterministic universe, which is how the shipped synthetic corpus is
  made and how this command is tested. ``--base-url NAME=URL`` points one upstream elsewhere (a local server);
  what is recorded is rewritten to the canonical host before it is written, so the cassette replays for code
  that calls the real host, and the provenance notes where it really came from.
- **Nothing secret on disk.** The cassettes package's one scrub policy runs on every interaction, with every
  token this run sent added to its known secrets; afterwards the secret scanner must find nothing.
- **Reviewable.** A progress bar on stderr while it works; at the end, per cassette, the models added, removed
  and changed and the count before and after, computed from the old and new bodies, so a reviewer sees what
  the upstream changed before reading a diff.

Exit codes (:attr:`RecordReport.exit_code`; the command line is in :mod:`catalog_guard.cli`): 0 recorded (or
nothing to record), 1 a recording, a replay, a schema or the secret scan failed (nothing was replaced), 2 a usage
error, or another run holds the corpus (nothing was recorded).
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import httpx

from catalog_guard import audit, corpus, schemas
from catalog_guard import universe as universe_module
from catalog_guard.bounded import AsyncBoundedTransport, BoundedTransport, async_network_transport, network_transport
from catalog_guard.cassettes import (
    RewritingPolicy,
    ScrubPolicy,
    content_diff,
    known_secrets,
    live_provenance,
    scan_for_secrets,
    synthetic_provenance,
    use_cassette,
)
from catalog_guard.cassettes.persister import write_atomically
from catalog_guard.corpus import GATEWAY, Recording, Traffic
from catalog_guard.errors import CatalogGuardError
from catalog_guard.fakes.upstreams import FakeUpstreams
from catalog_guard.gateways import HUGGINGFACE
from catalog_guard.history import HISTORY
from catalog_guard.limits import Limits, Meter
from catalog_guard.progress import Progress
from catalog_guard.providers import GATEWAY_SPECS
from catalog_guard.record_lock import (
    CorpusBusyError,
    Owner,
    RecordLock,
    claim_staging,
    remove_stale_staging,
    staging_prefix,
)
from catalog_guard.target import TOKEN_ENV, URL_ENV

Source = Literal["live", "fakes"]
SOURCES: tuple[Source, ...] = ("live", "fakes")
HF_TOKEN_ENV = corpus.HF_TOKEN_ENV
TIMEOUT = 60.0
#: The bounds of one live recording (``catalog-guard record --timeout/--deadline/...``): a slow upstream's page
#: gets a minute, and the longest recording (the Hub's cursor walk) half an hour; the rest as an audit's.
RECORD_LIMITS = Limits(timeout=TIMEOUT, deadline=1800.0)
# httpx advertises br/zstd only where brotli/zstandard happen to be installed: fixed here, so that the request
# headers in a cassette do not depend on the recording machine's packages (the bodies are decoded either way).
CLIENT_HEADERS = {"accept-encoding": "gzip, deflate"}
EXAMPLES = 3
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class RecordingError(CatalogGuardError):
    """A recording whose result cannot be trusted (an upstream failed, a walk broke off)."""


class UsageError(CatalogGuardError, ValueError):
    """Arguments that do not make a recording run (an unknown name, a base URL for the fakes)."""


# ------------------------------------------------------------------------------------------------ the report


@dataclass(frozen=True)
class CassetteDiff:
    """What changed in one cassette's models between the old file and the new one."""

    name: str
    before: int | None
    after: int
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    identical: bool = False
    versions_only: bool = False  # the bytes differ only in provenance.recorded_with (cassettes.content_diff)

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.removed or self.changed) or self.before != self.after

    def line(self, width: int) -> str:
        before = "new" if self.before is None else f"{self.before:,}"
        counts = f"{before:>7} -> {self.after:<7,}"
        if self.before is None:
            return f"{self.name:<{width}}  {counts}  new cassette"
        if not self.has_changes:
            state = "unchanged" + (
                "" if self.identical else " (library versions only)" if self.versions_only else " (bytes differ)"
            )
            return f"{self.name:<{width}}  {counts}  {state}"
        delta = f"+{len(self.added):,} added  -{len(self.removed):,} removed  ~{len(self.changed):,} changed"
        return f"{self.name:<{width}}  {counts}  {delta}"

    def examples(self) -> list[str]:
        """A few ids per kind of change (none for a new cassette: every model in it is "added")."""
        lines: list[str] = []
        if self.before is None:
            return lines
        for label, ids in (("added", self.added), ("removed", self.removed), ("changed", self.changed)):
            if ids:
                more = f" (+{len(ids) - EXAMPLES:,} more)" if len(ids) > EXAMPLES else ""
                lines.append(f"    {label}: {', '.join(ids[:EXAMPLES])}{more}")
        return lines


@dataclass
class RecordReport:
    """What a run did: recorded, skipped (and why), failed (and why), the diff per file, where, how long."""

    cassettes_dir: Path
    source: Source
    recorded: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    diffs: list[CassetteDiff] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    removed_staging: list[Path] = field(default_factory=list)
    history_store: str = ""  # what became of the history store (empty: no input of it was recorded)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_FAILED

    def changes(self) -> list[CassetteDiff]:
        """Cassettes that existed before and whose models or counts changed (new ones are :meth:`new`)."""
        return [diff for diff in self.diffs if diff.has_changes and diff.before is not None]

    def new(self) -> list[CassetteDiff]:
        """Cassettes that did not exist (or could not be read) before this run."""
        return [diff for diff in self.diffs if diff.before is None]

    def lines(self) -> list[str]:
        out: list[str] = []
        if self.recovered:
            out.append(f"rolled back an interrupted swap of {len(self.recovered)} file(s) in {self.cassettes_dir}")
        if self.removed_staging:
            out.append(f"removed {len(self.removed_staging)} staging director(ies) left by killed runs")
        for name, why in self.skipped.items():
            out.append(f"skipped {name}: {why}")
        if self.failures:
            out.append(f"FAILED: nothing in {self.cassettes_dir} was replaced")
            out += [f"  {name}: {why}" for name, why in self.failures.items()]
            return out
        if not self.diffs:
            out.append("nothing recorded")
            return out
        width = max(len(diff.name) for diff in self.diffs)
        out.append(f"{'cassette':<{width}}  {'before':>7} -> {'after':<7}  changes (models)")
        for diff in self.diffs:
            out.append(diff.line(width))
            out += diff.examples()
        identical = sum(diff.identical for diff in self.diffs)
        if self.history_store:
            out.append(self.history_store)
        out.append(
            f"{len(self.recorded)} recorded ({self.source}) into {self.cassettes_dir} in {self.seconds:.1f} s: "
            f"{len(self.new())} new, {len(self.changes())} with model changes, {identical} byte-identical"
        )
        return out


# ------------------------------------------------------------------------------------------------ recording


@dataclass(frozen=True)
class _Plan:
    """Everything a run needs, decided before the first request."""

    todo: list[Recording]
    skipped: dict[str, str]
    tokens: dict[str, str]
    base_urls: dict[str, str]
    secrets: dict[str, str]
    limits: Limits = RECORD_LIMITS


def _plan(
    recordings: Sequence[Recording],
    source: Source,
    base_urls: Mapping[str, str],
    gateway_url: str | None,
    gateway_token: str | None,
    environ: Mapping[str, str],
) -> _Plan:
    unknown = sorted(set(base_urls) - set(corpus.upstreams()))
    if unknown:
        raise UsageError(f"--base-url for unknown upstream(s) {', '.join(unknown)}; known: {corpus.upstreams()}")
    if source == "fakes" and (base_urls or gateway_url):
        raise UsageError("--base-url and --gateway-url are for live recording; --source fakes records in-process")
    urls = {name: url.rstrip("/") for name, url in base_urls.items()}
    if gateway_url:
        urls[GATEWAY] = gateway_url.rstrip("/")
    tokens = _tokens(source, gateway_token, environ)
    todo, skipped = [], {}
    for recording in recordings:
        why = _skip_reason(recording, source, urls, tokens)
        if why:
            skipped[recording.name] = why
        else:
            todo.append(recording)
    # Every token this run may send is a known secret to the scrubber and the scanner, whatever its name.
    secrets = {**known_secrets(environ), **{f"{name} token": token for name, token in tokens.items()}}
    return _Plan(todo, skipped, tokens, urls, secrets)


def _tokens(source: Source, gateway_token: str | None, environ: Mapping[str, str]) -> dict[str, str]:
    """Tokens by upstream. With the fakes every upstream gets one (the environment's, or a synthetic one) so that
    the synthetic corpus is the authenticated view whatever the environment holds: the same bytes everywhere."""
    found = corpus.upstream_tokens(environ)
    gateway = gateway_token or environ.get(TOKEN_ENV)
    if gateway:
        found[GATEWAY] = gateway
    if source == "fakes":
        for upstream in (HUGGINGFACE, *GATEWAY_SPECS, GATEWAY):
            found.setdefault(upstream, f"catalog-guard-synthetic-{upstream}-token")
    return found


def _skip_reason(recording: Recording, source: Source, urls: Mapping[str, str], tokens: Mapping[str, str]) -> str:
    if source == "fakes":
        return ""
    if not recording.live:
        return "a past deployment exists only as a synthetic recording (record it with --source fakes)"
    if recording.upstream == GATEWAY and GATEWAY not in urls:
        return f"no gateway to record: pass --gateway-url or set {URL_ENV}"
    return corpus.key_missing(recording.upstream, tokens)


def _provenance(recording: Recording, source: Source, urls: Mapping[str, str], recorded_at: str) -> dict[str, Any]:
    if source == "fakes":
        block = synthetic_provenance(
            seed=universe_module.DEFAULT_SEED,
            generator=universe_module.GENERATOR,
            generator_version=universe_module.GENERATOR_VERSION,
            hosts=[recording.host],
        )
        if recording.state is not None and recording.state != corpus.CURRENT:
            block["note"] = f"historical deployment {recording.state}: {HISTORY[recording.state].source}"
        return block
    block = live_provenance([recording.host], recorded_at)
    actual = urls.get(recording.upstream)
    if actual:
        canonical = corpus.canonical_base_url(recording.upstream)
        block["note"] = f"recorded from {actual}; requests rewritten to {canonical}"
    return block


def _traffic(
    recording: Recording, source: Source, plan: _Plan, fakes: FakeUpstreams, note: Callable[[str], None]
) -> Traffic:
    """Clients for one recording, built *before* its cassette opens (building a historical state runs the old
    fetchers against fakes, which must not end up in the cassette)."""
    progress = _prefixed(note, recording.name)
    if source == "fakes":
        internet = fakes.internet(recording)
        return Traffic(
            client=lambda: internet.client(timeout=TIMEOUT, headers=CLIENT_HEADERS),
            async_client=lambda: internet.async_client(timeout=TIMEOUT, headers=CLIENT_HEADERS),
            tokens=plan.tokens,
            progress=progress,
        )
    # Live upstreams are held to the same bounds as an audit (a body cap, a deadline per response and per
    # recording, waits charged to the recording): a hostile or broken upstream fails the recording instead of
    # hanging it.
    meter = Meter(plan.limits)
    return Traffic(
        client=lambda: httpx.Client(
            transport=BoundedTransport(network_transport(), meter), timeout=TIMEOUT, headers=CLIENT_HEADERS
        ),
        async_client=lambda: httpx.AsyncClient(
            transport=AsyncBoundedTransport(async_network_transport(), meter), timeout=TIMEOUT, headers=CLIENT_HEADERS
        ),
        base_urls=plan.base_urls,
        tokens=plan.tokens,
        sleep=meter.sleeper(time.sleep, f"{recording.upstream} (recording {recording.name})"),
        progress=progress,
    )


def _prefixed(note: Callable[[str], None], name: str) -> Callable[[str], None]:
    return lambda step: note(f"{name}: {step}")


def record_corpus(
    *,
    only: Sequence[str] | None = None,
    source: Source = "live",
    base_urls: Mapping[str, str] | None = None,
    gateway_url: str | None = None,
    gateway_token: str | None = None,
    cassettes_dir: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    fakes: FakeUpstreams | None = None,
    manifest: Mapping[str, Recording] | None = None,
    environ: Mapping[str, str] | None = None,
    wait: float = 0.0,
    limits: Limits | None = None,
) -> RecordReport:
    """Record the recordings ``only`` names (default: all) and replace their files in ``cassettes_dir`` if, and
    only if, every one of them succeeded, replays, validates and is free of secrets.

    The whole run holds the corpus's :class:`~catalog_guard.record_lock.RecordLock`: while another run holds it,
    this one waits up to ``wait`` seconds (default: not at all) and then raises
    :class:`~catalog_guard.record_lock.CorpusBusyError` without touching anything.

    ``limits`` bound each live recording (default :data:`RECORD_LIMITS`; the fakes are in-process and need
    none, so giving them with ``source="fakes"`` is a :class:`UsageError`).
    ``fakes`` replaces upstreams for ``source="fakes"`` (tests change one model or break one provider);
    ``manifest`` replaces the recordings themselves. Raises :class:`UsageError` for arguments that cannot work;
    upstream trouble ends up in :attr:`RecordReport.failures`.
    """
    started = time.perf_counter()
    env = os.environ if environ is None else environ
    directory = Path(cassettes_dir).resolve() if cassettes_dir is not None else corpus.find_cassettes_dir(environ=env)
    if source not in SOURCES:
        raise UsageError(f"unknown source {source!r}; one of {', '.join(SOURCES)}")
    try:
        chosen = corpus.select(only, manifest)
    except corpus.UnknownRecordingError as error:
        raise UsageError(str(error)) from error
    if gateway_url is None and source == "live":
        gateway_url = env.get(URL_ENV) or None
    if limits is not None and source == "fakes":
        raise UsageError(
            "the limits (--timeout, --deadline, ...) bound live recording; --source fakes records in-process"
        )
    plan = _plan(chosen, source, base_urls or {}, gateway_url, gateway_token, env)
    if limits is not None:
        plan = dataclasses.replace(plan, limits=limits)
    directory.parent.mkdir(parents=True, exist_ok=True)
    with RecordLock(directory, wait=wait):  # one writer, from recovery to the last replaced file
        stale = remove_stale_staging(directory)
        recovered = recover(directory)  # before anything reads the corpus: a killed swap is rolled back first
        report = RecordReport(directory, source, skipped=dict(plan.skipped), recovered=recovered, removed_staging=stale)
        if plan.todo:
            _record_plan(plan, source, directory, report, progress, fakes or FakeUpstreams())
    report.seconds = time.perf_counter() - started
    return report


def _record_plan(
    plan: _Plan,
    source: Source,
    directory: Path,
    report: RecordReport,
    progress: Progress | None,
    upstreams: FakeUpstreams,
) -> None:
    """Record into a fresh staging directory, verify, and swap in; the caller holds the corpus lock."""
    bar = progress or Progress(len(plan.todo), label="recording", stream=io.StringIO())
    bar.total = len(plan.todo)
    recorded_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    staging = Path(tempfile.mkdtemp(prefix=staging_prefix(directory), dir=directory.parent))
    try:
        claim_staging(staging)
        for recording in plan.todo:
            bar.note(f"{recording.name}")
            try:
                _record_one(recording, staging, source, plan, upstreams, recorded_at, bar.note)
            except Exception as error:  # every recording is attempted, so one run reports every failure
                report.failures[recording.name] = f"{type(error).__name__}: {error}"
            else:
                report.recorded.append(recording.name)
            bar.step(recording.name)
        if not report.failures:
            bar.note("verifying: schemas, secrets; comparing with the corpus")
            failures, diffs = _verify(plan.todo, staging, directory, ScrubPolicy(plan.secrets))
            report.failures.update(failures)
        if not report.failures:
            report.diffs = diffs
            try:
                report.written = _replace(staging, directory)
            except OSError as error:  # rolled back by _replace: nothing was replaced
                report.failures["swap"] = f"{type(error).__name__}: {error} (rolled back)"
            else:
                report.history_store = _store_history(plan.todo, directory, bar.note)
    finally:
        bar.close()
        shutil.rmtree(staging, ignore_errors=True)


def _store_history(recordings: Sequence[Recording], directory: Path, note: Callable[[str], None]) -> str:
    """Rewrite the corpus's history store (:data:`catalog_guard.audit.HISTORY_STORE`) when this run re-recorded
    a file it is computed from and the corpus holds all of them; what was done, in words.

    Always recomputed, never kept because its inputs are unchanged: a change to the checks is refreshed by
    re-recording (``tests/test_history_store.py`` says so). A store that could not be written is not an error:
    it no longer matches its inputs, so the audit judges the history itself, as without one."""
    inputs = audit.history_inputs(directory)
    recorded = {recording.name for recording in recordings}
    if f"{GATEWAY}/{corpus.CURRENT}" in recorded:  # it writes the baseline too
        recorded.add(corpus.BASELINE)
    if not recorded & inputs.keys():
        return ""
    missing = [name for name, digest in inputs.items() if digest is None]
    if missing:
        return f"history store not written: the corpus has no {missing[0]}"
    note("judging the historical deployments for the history store")
    try:
        path = _write_history_store(directory)
    except (CatalogGuardError, ValueError, OSError) as error:
        return f"history store not written: {type(error).__name__}: {error}"
    return f"history store rewritten: {path}"


def _write_history_store(directory: Path) -> Path:
    path = directory / audit.HISTORY_STORE
    write_atomically(path, audit.history_document(directory).encode("utf-8"))
    return path


def rewrite_history_store(cassettes_dir: str | os.PathLike[str] | None = None, *, wait: float = 0.0) -> Path:
    """Judge the corpus's history again and rewrite its store, cassettes untouched, holding the corpus's lock
    (``python scripts/history_store.py``: after a change to the checks, instead of re-recording)."""
    directory = Path(cassettes_dir).resolve() if cassettes_dir is not None else corpus.find_cassettes_dir()
    with RecordLock(directory, wait=wait):
        return _write_history_store(directory)


def _record_one(
    recording: Recording,
    staging: Path,
    source: Source,
    plan: _Plan,
    fakes: FakeUpstreams,
    recorded_at: str,
    note: Callable[[str], None],
) -> None:
    traffic = _traffic(recording, source, plan, fakes, note)
    actual = plan.base_urls.get(recording.upstream)
    canonical = corpus.canonical_base_url(recording.upstream)
    rewrites = {actual: canonical} if actual and actual != canonical else {}
    policy = RewritingPolicy(plan.secrets, rewrites)
    provenance = _provenance(recording, source, plan.base_urls, recorded_at)
    with use_cassette(
        recording.path(staging), record_mode="all", provenance=provenance, cassette_dir=staging, policy=policy
    ):
        result = recording.make(traffic)
        problem = recording.check(result)
        if problem:  # raising inside the cassette: vcrpy does not save it (record_on_exception is off)
            raise RecordingError(problem)
    # The new cassette must replay on its own, completely: what the suite will do with it.
    try:
        replayed = corpus.replay_recording(recording, staging)
    except Exception as error:
        raise RecordingError(f"the new cassette does not replay: {type(error).__name__}: {error}") from error
    if recording.name == f"{GATEWAY}/{corpus.CURRENT}":
        text = corpus.baseline_document(replayed, provenance)
        write_atomically(corpus.cassette_path(corpus.BASELINE, staging), text.encode("utf-8"))


def _verify(
    recordings: Sequence[Recording], staging: Path, directory: Path, policy: ScrubPolicy
) -> tuple[dict[str, str], list[CassetteDiff]]:
    """Every recorded body matches its schema, and the scanner finds no secret in what would be written; and
    what each new file changes in the corpus (used only when nothing failed).

    Each new cassette is read and its bodies decoded once, for its schemas and its diff together (seed 000's
    listing is 20 MB of JSON), one cassette at a time so that a full run never holds every decoded body."""
    failures: dict[str, str] = {}
    diffs: list[CassetteDiff] = []
    for recording in recordings:
        new = recording.path(staging)
        cassette = corpus.read_cassette(new)
        problems = body_problems(cassette)
        if problems:
            failures[recording.name] = "schema: " + "; ".join(problems[:3])
        diffs.append(diff_cassette(recording.name, directory / new.relative_to(staging), new, cassette))
    findings = scan_for_secrets(staging, policy=policy)
    if findings:
        shown = "; ".join(str(f).replace(str(staging), "cassettes") for f in findings[:5])
        failures["secrets"] = f"{len(findings)} suspected secret(s) left after scrubbing: {shown}"
    baseline_new = corpus.cassette_path(corpus.BASELINE, staging)
    if baseline_new.is_file():
        diffs.append(diff_baseline(corpus.cassette_path(corpus.BASELINE, directory), baseline_new))
    return failures, diffs


def body_problems(cassette: corpus.CassetteSource) -> list[str]:
    """Every recorded body of a cassette (a file, or one already read) that does not match its schema, as
    ``<request>: <first violation>``."""
    problems = []
    for interaction in corpus.cassette_file(cassette).interactions:
        schema = corpus.body_schema(interaction.method, interaction.uri, interaction.status)
        if schema is None:
            continue
        violations = schemas.validate(interaction.parsed, schema)
        if violations:
            problems.append(f"{interaction.method} {interaction.uri}: {schema}: {violations[0]}")
    return problems


def _diff(
    name: str,
    old: Path,
    new: Path,
    after_keys: Collection[str],
    after: Callable[[], Mapping[str, Any]],
    read: Callable[[Path], Mapping[str, Any]],
    unreadable: tuple[type[Exception], ...],
    describe: Callable[[str, Any, Any], str],
) -> CassetteDiff:
    """Keys added, removed and changed from ``old`` to ``new`` as ``read`` sees them; ``before`` is ``None`` when
    there was no (readable) old file. One comparison for cassettes and the baseline alike.

    ``after_keys`` are the new file's keys; ``after()`` gives its whole mapping, asked only when there is an old
    file to compare values with (a cassette's mapping renders every model as canonical JSON)."""
    if old.is_file():
        old_bytes, new_bytes = old.read_bytes(), new.read_bytes()
        if old_bytes == new_bytes:
            return CassetteDiff(name, len(after_keys), len(after_keys), identical=True)
        if not content_diff(name, old_bytes, new_bytes):
            return CassetteDiff(name, len(after_keys), len(after_keys), versions_only=True)
    try:
        before = read(old) if old.is_file() else None
    except unreadable:  # an unreadable old file: everything is new
        before = None
    if before is None:
        return CassetteDiff(name, None, len(after_keys), added=tuple(sorted(after_keys)))
    now = after()
    return CassetteDiff(
        name,
        len(before),
        len(now),
        added=tuple(sorted(set(now) - set(before))),
        removed=tuple(sorted(set(before) - set(now))),
        changed=tuple(describe(k, before[k], now[k]) for k in sorted(set(before) & set(now)) if before[k] != now[k]),
    )


def diff_cassette(name: str, old: Path, new: Path, cassette: corpus.CassetteFile | None = None) -> CassetteDiff:
    """Models added, removed and changed (same id, another object) from ``old`` to ``new`` (``cassette``: ``new``
    already read, its bodies then decoded only once)."""
    read_new = cassette if cassette is not None else corpus.read_cassette(new)
    return _diff(
        name,
        old,
        new,
        corpus.model_ids(read_new),
        lambda: corpus.models_by_id(read_new),
        corpus.models_by_id,
        (ValueError, KeyError, TypeError),
        lambda key, _b, _a: key,
    )


def diff_baseline(old: Path, new: Path) -> CassetteDiff:
    """The baseline's gateways as its "models": a changed count is a changed gateway."""
    counts = corpus.read_baseline(new)
    return _diff(
        corpus.BASELINE,
        old,
        new,
        counts,
        lambda: counts,
        corpus.read_baseline,
        (CatalogGuardError,),
        lambda gateway, before, after: f"{gateway} {before:,}->{after:,}",
    )


SWAP_JOURNAL = "journal.json"


def swap_dir(directory: Path) -> Path:
    """Where a swap keeps its journal and the old files: a hidden sibling of the corpus (same file system)."""
    return directory.parent / f".{directory.name}-swap"


def _replace(staging: Path, directory: Path) -> list[Path]:
    """Move every staged file over the corpus, all or nothing.

    Each file is swapped with one atomic ``os.replace`` (staging is a sibling: same file system). What makes the
    set all-or-nothing is the journal: every old file is first copied aside, then the journal listing the files
    is written (atomically), then the files are replaced, and removing the journal commits. Any interruption in
    between is undone by :func:`recover`: here for an exception (Ctrl-C included), on the next run after a kill.
    """
    files = sorted(p.relative_to(staging) for p in staging.rglob("*") if p.is_file() and not p.name.startswith("."))
    swap = swap_dir(directory)
    recover(directory)  # a leftover of an earlier run must not be mistaken for this swap's backups
    try:
        entries = []
        for relative in files:
            target, backup = directory / relative, swap / "old" / relative
            existed = target.is_file()
            if existed:  # fsynced, like the journal: a recovery after a power cut must find whole backups
                write_atomically(backup, target.read_bytes())
                shutil.copystat(target, backup)  # a rollback restores the mode and mtime too
            entries.append({"path": relative.as_posix(), "existed": existed})
        journal = {"owner": Owner.current().to_json(), "files": entries}
        write_atomically(swap / SWAP_JOURNAL, json.dumps(journal, indent=1).encode("utf-8"))
        for relative in files:
            (directory / relative).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / relative, directory / relative)
        (swap / SWAP_JOURNAL).unlink()  # the commit point
    except BaseException:
        recover(directory)
        raise
    shutil.rmtree(swap, ignore_errors=True)
    return [directory / relative for relative in files]


def recover(directory: Path) -> list[str]:
    """Roll back a swap that did not commit (its journal is still there): put every old file back, remove the
    files that are new. Idempotent, so a recovery that is itself interrupted is finished by the next one. Returns
    the journal's paths (empty: there was nothing to undo).

    The journal names its owner: a swap whose owner still runs (another process, on this host or one that cannot
    be checked) is never undone; :class:`CorpusBusyError` says whose it is. Callers hold the corpus lock, so this
    only happens with a writer that does not take it (an older catalog-guard, another host on a shared disk)."""
    swap = swap_dir(directory)
    journal = swap / SWAP_JOURNAL
    if not journal.is_file():
        shutil.rmtree(swap, ignore_errors=True)  # backups of a swap that never started, or that committed
        return []
    try:
        document = json.loads(journal.read_text(encoding="utf-8"))
        entries = document["files"] if isinstance(document, dict) else document  # a list: before owners existed
        owner = Owner.from_json(document.get("owner")) if isinstance(document, dict) else None
        paths = [(str(entry["path"]), bool(entry["existed"])) for entry in entries]
        if any(not (directory / path).resolve().is_relative_to(directory.resolve()) for path, _ in paths):
            raise ValueError("a path outside the corpus")
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise CatalogGuardError(
            f"the swap journal {journal} cannot be read ({error}); restore {directory} from "
            f"version control and delete {swap}"
        ) from error
    if owner is not None and not owner.is_me() and owner.alive() is not False:
        raise CorpusBusyError(
            f"the swap journal {journal} belongs to {owner}, which "
            f"{'still runs' if owner.alive() else 'runs on another host'}: its swap is not rolled back. If that "
            f"run is gone, restore {directory} from version control and delete {swap}"
        )
    for path, existed in paths:
        target, backup = directory / path, swap / "old" / path
        if existed and backup.is_file():
            os.replace(backup, target)
        elif not existed:
            target.unlink(missing_ok=True)
    journal.unlink()
    shutil.rmtree(swap, ignore_errors=True)
    return [path for path, _existed in paths]
