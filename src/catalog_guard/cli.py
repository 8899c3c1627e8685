"""The ``catalog-guard`` command. Thin: parse arguments, call the library, print, set the exit code.

Exit codes (every subcommand): 0 all checks pass; 1 a contract violation (or a recording that failed);
2 not judged: bad arguments, a gateway that could not be reached, or a limit (deadline, timeout, body size,
waits, request budget) that stopped the run. Exit 2 always comes with one line that says why, never a
traceback; a live audit stopped by a limit still prints the report of everything it saw.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from catalog_guard import __version__
from catalog_guard.chains import DEFAULT_CONCURRENCY
from catalog_guard.limits import OPTIONS, Limits
from catalog_guard.skew import DEFAULT_MAX_FRACTION, DEFAULT_MAX_IDS, EXACT, SkewAllowance
from catalog_guard.target import TOKEN_ENV, URL_ENV, gateway_url

if TYPE_CHECKING:
    from catalog_guard.audit import Audit
    from catalog_guard.checks import ContractConfig
    from catalog_guard.observe import ObservePlan

EXIT_OK, EXIT_VIOLATION, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Arguments that parse but do not make sense together (exit 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``catalog-guard audit: argument --timeout: ... (see --help)``, exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _number(text: str) -> float:
    """A finite number (``nan`` and ``inf`` parse as floats but are no bound at all)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


_number.__name__ = "finite number"  # argparse names the type in its message: "invalid finite number value"


def _port(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a TCP port is 1-65535, got {value}")
    return value


LIVE_OPTIONS = ("token", "limit", *(name for name in OPTIONS))


def _contract_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--coverage-floor",
        type=_number,
        default=1.0,
        help="fraction of the upstream listing each gateway must list (default 1.0)",
    )
    parser.add_argument(
        "--count-tolerance",
        type=_number,
        default=0.0,
        help="fraction a gateway's count may drop below the recorded baseline (default 0)",
    )
    parser.add_argument(
        "--skew-max-ids",
        type=int,
        default=None,
        help="ids a gateway may miss, or list beyond, its upstream's listing (cache skew; default "
        f"{DEFAULT_MAX_IDS} live, and never more than --skew-max-fraction; 0 on the recorded cassettes, whose "
        "gateway and truth were recorded together)",
    )
    parser.add_argument(
        "--skew-max-fraction",
        type=_number,
        default=None,
        help=f"the same as a fraction of the upstream's listing, rounded up (default {DEFAULT_MAX_FRACTION} live, "
        "0 on the recorded cassettes)",
    )
    parser.add_argument(
        "--latency-budget",
        type=_number,
        default=None,
        metavar="SECONDS",
        help="p95 seconds per gateway before latency is a finding (default 10: generous on purpose; 0 turns it off)",
    )
    parser.add_argument(
        "--curated",
        action="append",
        default=[],
        metavar="GATEWAY=PATTERN",
        help="ids GATEWAY (or *) lists on purpose without an upstream, a shell pattern; not phantoms (repeatable)",
    )


def _config(args: argparse.Namespace, live: bool) -> ContractConfig:
    """The contract's knobs from the command line (``ValueError`` for a bad skew allowance, ``UsageError`` for a
    malformed ``--curated``).

    The skew allowance forgives a live gateway's cache for being a few ids behind upstreams fetched now. The
    recorded cassettes hold a gateway and its truth recorded in one run, so nothing is forgiven there unless asked:
    a recorded gateway one model short is a finding."""
    from catalog_guard.checks import ContractConfig

    curated: list[tuple[str, str]] = []
    for entry in args.curated:
        gateway, sep, pattern = entry.partition("=")
        if not sep or not gateway or not pattern:
            raise UsageError(f"--curated wants GATEWAY=PATTERN (e.g. openrouter=openrouter/*), got {entry!r}")
        curated.append((gateway, pattern))
    budget = ContractConfig().latency_budget if args.latency_budget is None else (args.latency_budget or None)
    return ContractConfig(
        coverage_floor=args.coverage_floor,
        count_tolerance=args.count_tolerance,
        skew=_skew(args.skew_max_ids, args.skew_max_fraction, default=SkewAllowance() if live else EXACT),
        curated=tuple(curated),
        latency_budget=budget,
    )


def _skew(max_ids: int | None, max_fraction: float | None, default: SkewAllowance) -> SkewAllowance:
    """The allowance asked for, each option not given taken from ``default``."""
    return SkewAllowance(
        default.max_ids if max_ids is None else max_ids,
        default.max_fraction if max_fraction is None else max_fraction,
    )


def _limit_options(parser: argparse.ArgumentParser, default: Limits, run: str) -> None:
    """The bounds of a live run (:class:`catalog_guard.limits.Limits`, where the defaults are explained):
    ``default`` is the command's own, ``run`` what ``--deadline`` bounds (the whole audit, each recording)."""
    bounds = (
        (
            "--timeout",
            _number,
            "SECONDS",
            f"seconds for one whole response, connect to last byte ({default.timeout:g})",
        ),
        ("--deadline", _number, "SECONDS", f"seconds for {run} ({default.deadline:g})"),
        ("--max-body", int, "BYTES", f"bytes in one response body, cut off while streaming ({default.max_body:,})"),
        ("--max-wait", _number, "SECONDS", f"seconds of any single Retry-After/RateLimit wait ({default.max_wait:g})"),
        ("--wait-budget", _number, "SECONDS", f"seconds of all waits between retries ({default.wait_budget:g})"),
        ("--max-requests", int, "N", f"requests in all, retries included ({default.max_requests})"),
        ("--max-failures", int, "N", f"requests in a row without a usable answer ({default.max_failures})"),
    )
    for flag, kind, metavar, text in bounds:
        parser.add_argument(flag, type=kind, default=None, metavar=metavar, help=f"{text}; exit 2 when reached")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _add_audit(sub: argparse._SubParsersAction[_Parser]) -> None:
    audit = sub.add_parser(
        "audit",
        help="judge the recorded cassettes (default) or a live gateway",
        description="Without --gateway-url: the shipped cassettes, no network. With it: a live "
        "backend, judged against its upstreams' truth fetched while it is observed (--truth live), or "
        "against recorded truth (--truth recorded or a --save-truth directory).",
    )
    audit.add_argument(
        "--gateway-url",
        default=None,
        help=f"base URL of a running gateway (env {URL_ENV}); given, even empty, it means a live audit",
    )
    audit.add_argument(
        "--gateway",
        action="append",
        dest="gateways",
        metavar="NAME",
        help="only this gateway (repeatable); default: all thirteen",
    )
    audit.add_argument(
        "--token",
        default=None,
        help=f"the gateway's API key (prefer env {TOKEN_ENV}); sent as a bearer token, never printed",
    )
    audit.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    audit.add_argument("--output", metavar="FILE", help="also write the report to FILE (e.g. $GITHUB_STEP_SUMMARY)")
    audit.add_argument("--limit", type=int, default=None, help="page size to walk with, 1-1000 (default 100)")
    _limit_options(audit, Limits(), "the whole audit, the live truth's fetch included")
    audit.add_argument(
        "--concurrency",
        type=_positive_int,
        default=DEFAULT_CONCURRENCY,
        help="independent walks and probes of a live audit in flight at once, each walk still page after page "
        f"(default {DEFAULT_CONCURRENCY}; 1: one request after another)",
    )
    audit.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    audit.add_argument(
        "--cassettes",
        metavar="DIR",
        default=None,
        help="the recorded corpus to judge against (default: the shipped one; env CATALOG_GUARD_CASSETTES)",
    )
    _truth_options(audit)
    _contract_options(audit)


def parse_base_url(value: str) -> tuple[str, str]:
    """``NAME=URL`` of ``--base-url`` (record, and audit's live truth)."""
    name, sep, url = value.partition("=")
    if not sep or not name or not url:
        raise argparse.ArgumentTypeError(f"expected NAME=URL, got {value!r}")
    if not url.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"{name}: the base URL must start with http:// or https://, got {url!r}")
    return name.strip(), url.strip()


def _seconds(value: str) -> float:
    """A finite number of seconds, 0 or more (``--wait``)."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds >= 0, got {value!r}")
    return seconds


def _truth_options(audit: argparse.ArgumentParser) -> None:
    audit.add_argument(
        "--truth",
        metavar="live|recorded|DIR",
        default=None,
        help="the upstream truth to judge a live gateway against: live (fetched from the upstreams while the "
        "gateway is observed; the default with --gateway-url), recorded (the cassettes), or a directory "
        "written by --save-truth",
    )
    audit.add_argument(
        "--save-truth",
        metavar="DIR",
        default=None,
        help="write the live truth fetched as cassettes (scrubbed) to DIR, to replay later with --truth DIR",
    )
    audit.add_argument(
        "--baseline",
        metavar="FILE",
        default=None,
        help="the count-floor's baseline: a previous (passing) audit's JSON report, or a baseline.json",
    )
    audit.add_argument(
        "--require-all-truth",
        action="store_true",
        help="exit 2 when any upstream's truth could not be fetched (no key, 401, outage): for teams that hold "
        "every key",
    )
    audit.add_argument(
        "--base-url",
        action="append",
        type=parse_base_url,
        default=[],
        metavar="NAME=URL",
        help="fetch upstream NAME's live truth from URL instead of its real host (repeatable; as for record)",
    )


def _add_serve(sub: argparse._SubParsersAction[_Parser]) -> None:
    serve = sub.add_parser("serve", help="run the reference gateway (or a regression mode) as an HTTP server")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000)
    serve.add_argument(
        "--regression",
        metavar="MODE",
        default=None,
        help="serve a gallery mode instead of the correct gateway (G1-G13, U1-U11, F1-F10)",
    )
    serve.add_argument(
        "--log-level", choices=("critical", "error", "warning", "info", "debug", "trace"), default="warning"
    )


def _add_gallery(sub: argparse._SubParsersAction[_Parser]) -> None:
    gallery = sub.add_parser("gallery", help="run every regression mode through the checks and print the table")
    gallery.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    gallery.add_argument("--mode", action="append", dest="modes", metavar="MODE", help="only these modes")


def _add_record(sub: argparse._SubParsersAction[_Parser]) -> None:
    from catalog_guard.corpus import CASSETTES_ENV
    from catalog_guard.recorder import RECORD_LIMITS, SOURCES

    record = sub.add_parser(
        "record",
        help="re-record the cassettes (live by default; --source fakes for synthetic)",
        description="Re-record the corpus, all of it or --only a part, into a staging directory; nothing is "
        "replaced unless every recording succeeded, replays, validates and holds no secret.",
    )
    record.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="record only this part (repeatable, or comma-separated): huggingface, providers, gateway, a folder "
        "such as gateway/history, or a name such as providers/google; default: everything",
    )
    record.add_argument(
        "--source",
        choices=SOURCES,
        default="live",
        help="live: the real hosts (default); fakes: the in-process fakes over the synthetic universe",
    )
    record.add_argument(
        "--base-url",
        action="append",
        type=parse_base_url,
        default=[],
        metavar="NAME=URL",
        help="record upstream NAME (huggingface, openrouter, ..., gateway) from URL; the cassette is stored under "
        "the canonical host (repeatable)",
    )
    record.add_argument(
        "--gateway-url",
        default=None,
        help=f"the gateway backend to record gateway/current from (env {URL_ENV}); without it the gateway is skipped",
    )
    record.add_argument(
        "--gateway-token",
        default=None,
        help=f"the gateway's API key (prefer env {TOKEN_ENV}); sent as a bearer token, never stored",
    )
    record.add_argument(
        "--cassettes",
        default=None,
        metavar="DIR",
        help=f"the corpus directory (default: env {CASSETTES_ENV}, else the repository's cassettes/)",
    )
    record.add_argument(
        "--wait",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="if another record holds the corpus, wait up to SECONDS for it (default 0: refuse at once, exit 2)",
    )
    _limit_options(record, RECORD_LIMITS, "each live recording")
    record.add_argument("--list", action="store_true", help="list the recordings and exit")
    record.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="catalog-guard", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"catalog-guard {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_audit(sub)
    _add_record(sub)
    _add_serve(sub)
    _add_gallery(sub)
    return parser


def run_audit(args: argparse.Namespace) -> int:
    from catalog_guard import audit, report
    from catalog_guard.errors import CatalogGuardError
    from catalog_guard.redaction import Redactor

    try:
        url = gateway_url(*_given_url(args.gateway_url))
        config = _config(args, live=url is not None)
        _check_output(args.output)
        live = {name: getattr(args, name) for name in LIVE_OPTIONS if getattr(args, name) is not None}
        limits = Limits(**{k: v for k, v in live.items() if k not in ("token", "limit")})
        plan = _plan(args.gateways, live.get("limit", 100))
        given = [f"--{name.replace('_', '-')}" for name in (*live, *(["gateway"] * bool(args.gateways)))]
        given += [flag for flag, value in _LIVE_ONLY.items() if getattr(args, value)]
        if url is None and given:
            raise UsageError(
                f"{', '.join(given)} {'applies' if len(given) == 1 else 'apply'} to a live audit; "
                f"give --gateway-url (or set {URL_ENV})"
            )
    except (UsageError, ValueError) as error:
        print(f"catalog-guard audit: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if url:
            result = _live(args, url, plan, limits, config)
        else:
            result = audit.recorded_audit(config, cassettes_dir=args.cassettes)
        if args.save_truth:
            _save_truth(result, args.save_truth)
    except (CatalogGuardError, UsageError) as error:  # the truth could not be chosen or saved
        print(f"catalog-guard audit: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_USAGE
    redactor = Redactor(known_secrets_of(args))  # before rendering: a clipped table cell could hold half a secret
    text = redactor.redact_output(report.render(redactor.redact_data(result), args.format))
    print(text)
    if result.incomplete:
        print(f"catalog-guard audit: not judged: {result.incomplete}", file=sys.stderr)
    elif result.exit_code == EXIT_USAGE and result.truth is not None:
        unjudged = ", ".join(result.truth.not_judged())
        why = "no upstream's truth could be had" if result.judged_no_upstream else "--require-all-truth"
        print(f"catalog-guard audit: {why}: no truth for {unjudged} (see NOT JUDGED)", file=sys.stderr)
    if args.output:
        try:
            with open(args.output, "a", encoding="utf-8") as handle:
                handle.write(text + "\n")
        except OSError as error:
            print(f"catalog-guard audit: cannot write --output {args.output}: {error.strerror}", file=sys.stderr)
            return EXIT_USAGE
    return result.exit_code


_LIVE_ONLY = {
    "--truth": "truth",
    "--save-truth": "save_truth",
    "--baseline": "baseline",
    "--base-url": "base_url",
    "--require-all-truth": "require_all_truth",
}


def _save_truth(result: Audit, directory: str) -> None:
    from catalog_guard import corpus, truth

    if result.truth is None or result.truth.kind != truth.LIVE:
        raise UsageError("--save-truth saves live truth; this audit used --truth recorded or a directory")
    tokens = corpus.upstream_tokens(os.environ)
    written = truth.save_truth(result.truth, directory, secrets={f"{k} token": v for k, v in tokens.items()})
    print(f"catalog-guard audit: saved the live truth as {len(written)} cassettes in {directory}", file=sys.stderr)


def _given_url(flag: str | None) -> tuple[str | None, str]:
    """The gateway URL and where it came from: the flag, else the variable when it is set (even to empty)."""
    if flag is not None:
        return flag, "--gateway-url"
    return os.environ.get(URL_ENV), URL_ENV


def _check_output(path: str | None) -> None:
    """Refuse an ``--output`` that cannot be written before spending a whole audit on it."""
    if path is None:
        return
    if Path(path).is_dir():
        raise UsageError(f"--output {path} is a directory")
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as error:
        raise UsageError(f"cannot write --output {path}: {error.strerror}") from None


def _plan(gateways: list[str] | None, limit: int) -> ObservePlan:
    from catalog_guard.gateways import KNOWN
    from catalog_guard.observe import ObservePlan

    unknown = sorted(set(gateways or ()) - set(KNOWN))
    if unknown:
        raise UsageError(f"unknown gateway(s) {', '.join(unknown)}; one of {', '.join(KNOWN)}")
    return ObservePlan(gateways=tuple(gateways or KNOWN), limit=limit, include_all=gateways is None)


def _live(args: argparse.Namespace, url: str, plan: ObservePlan, limits: Limits, config: ContractConfig) -> Audit:
    from catalog_guard import audit, truth
    from catalog_guard.progress import Progress
    from catalog_guard.target import GatewayTarget

    token = args.token or os.environ.get(TOKEN_ENV)
    target = GatewayTarget(base_url=url, token=token, limits=limits)
    choice = args.truth or truth.LIVE
    if args.save_truth and choice != truth.LIVE:
        raise UsageError("--save-truth saves live truth; it cannot be combined with --truth " + choice)
    fetch = truth.choose(
        choice,
        plan.gateways,
        environ=os.environ,
        base_urls=dict(args.base_url),
        limits=limits,
        baseline=args.baseline,
        cassettes_dir=args.cassettes,
    )
    progress = None if args.no_progress else Progress(total=None, label="observing")
    try:
        return audit.live_audit(
            target,
            plan,
            truth=fetch,
            config=config,
            progress=progress.step if progress else None,
            concurrency=args.concurrency,
            require_all_truth=args.require_all_truth,
        )
    finally:
        if progress:
            progress.close()


def run_serve(args: argparse.Namespace) -> int:
    import socket

    import uvicorn

    from catalog_guard.serve import reference_app

    try:
        app = reference_app(args.regression)
    except KeyError as error:
        print(f"catalog-guard serve: {error.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    try:  # uvicorn reports a port it cannot bind with exit 1, which here means "contract violated"
        with socket.create_server((args.host, args.port)):
            pass
    except OSError as error:
        print(f"catalog-guard serve: cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return EXIT_USAGE
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"catalog-guard serve: binding {args.host} exposes the fake gateway beyond this machine", file=sys.stderr)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    except SystemExit as stopped:
        return EXIT_USAGE if stopped.code else EXIT_OK
    return EXIT_OK


def run_gallery(args: argparse.Namespace) -> int:
    from catalog_guard import gallery, gallery_run

    unknown = [mode for mode in args.modes or () if mode not in gallery.MODES]
    if unknown:
        print(
            f"catalog-guard gallery: unknown mode(s) {', '.join(unknown)}; one of {', '.join(gallery.MODES)}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    rows = gallery_run.run_gallery(args.modes)
    print(gallery_run.render(rows, args.format))
    return EXIT_OK if all(row.ok for row in rows) else EXIT_VIOLATION


def run_record(args: argparse.Namespace) -> int:
    """``catalog-guard record``: the diff summary on stdout, progress and problems on stderr. Exit 0 recorded,
    1 a recording failed (nothing was replaced), 2 a usage error or another run holds the corpus."""
    import dataclasses

    from catalog_guard import corpus, recorder
    from catalog_guard.errors import CatalogGuardError
    from catalog_guard.progress import Progress
    from catalog_guard.record_lock import CorpusBusyError

    if args.list:
        for recording in corpus.MANIFEST.values():
            print(f"{recording.name}{'' if recording.live else '  (synthetic only)'}")
        return EXIT_OK
    try:
        url = gateway_url(args.gateway_url, "--gateway-url") if args.gateway_url is not None else None
        if url is None and args.gateway_url is None and URL_ENV in os.environ:
            url = gateway_url(os.environ[URL_ENV], URL_ENV)
        given = {name: getattr(args, name) for name in OPTIONS if getattr(args, name) is not None}
        limits = dataclasses.replace(recorder.RECORD_LIMITS, **given) if given else None
        chosen = corpus.select(args.only)
    except (ValueError, corpus.UnknownRecordingError) as error:
        print(f"catalog-guard record: {error}", file=sys.stderr)
        return EXIT_USAGE
    progress = None if args.no_progress else Progress(len(chosen), label="recording")
    try:
        report = recorder.record_corpus(
            only=args.only,
            source=args.source,
            base_urls=dict(args.base_url),
            gateway_url=url,
            gateway_token=args.gateway_token,
            cassettes_dir=args.cassettes,
            progress=progress,
            wait=args.wait,
            limits=limits,
        )
    except (recorder.UsageError, CorpusBusyError) as error:  # nothing was recorded: not a failed recording
        print(f"catalog-guard record: {error}", file=sys.stderr)
        return EXIT_USAGE
    except CatalogGuardError as error:  # e.g. a swap journal that cannot be read: nothing was recorded
        print(f"catalog-guard record: {error}", file=sys.stderr)
        return EXIT_VIOLATION
    finally:
        if progress is not None:
            progress.close()
    stream = sys.stdout if report.ok else sys.stderr
    for line in report.lines():
        print(line, file=stream)
    return report.exit_code


def known_secrets_of(args: argparse.Namespace) -> dict[str, str]:
    """The secrets a run knows: the tokens in the environment and those given as options."""
    from catalog_guard.redaction import known_secrets

    given = {f"--{name.replace('_', '-')}": getattr(args, name, None) for name in ("token", "gateway_token")}
    return {**known_secrets(), **{name: value for name, value in given.items() if value}}


def main(argv: Sequence[str] | None = None) -> int:
    from catalog_guard.redaction import Redactor, redacting_output

    args = build_parser().parse_args(argv)
    command = {"audit": run_audit, "record": run_record, "serve": run_serve, "gallery": run_gallery}[args.command]
    # The output boundary: whatever a gateway or an upstream echoes, no known secret is printed, in any encoding.
    with redacting_output(Redactor(known_secrets_of(args))):
        try:
            return command(args)
        except KeyboardInterrupt:
            print(f"catalog-guard {args.command}: interrupted", file=sys.stderr)
            return EXIT_USAGE
        except Exception as error:  # the last net: a gate that crashes must still say why in one line, not pass
            print(f"catalog-guard {args.command}: not judged: {type(error).__name__}: {error}", file=sys.stderr)
            return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
