"""The ``catalog-guard`` command. Thin: parse arguments, call the library, print, set the exit code.

Exit codes (every subcommand): 0 all checks pass; 1 a contract violation (or a recording that failed);
2 a usage or connection error (the gateway could not be reached, the request budget ran out, bad arguments).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from catalog_guard import __version__
from catalog_guard.chains import DEFAULT_CONCURRENCY
from catalog_guard.skew import DEFAULT_MAX_FRACTION, DEFAULT_MAX_IDS
from catalog_guard.target import TOKEN_ENV, URL_ENV

if TYPE_CHECKING:
    from catalog_guard.audit import Audit
    from catalog_guard.checks import ContractConfig

EXIT_OK, EXIT_VIOLATION, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Arguments that parse but do not make sense together (exit 2)."""


def _contract_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--coverage-floor",
        type=float,
        default=1.0,
        help="fraction of the upstream listing each gateway must list (default 1.0)",
    )
    parser.add_argument(
        "--count-tolerance",
        type=float,
        default=0.0,
        help="fraction a gateway's count may drop below the recorded baseline (default 0)",
    )
    parser.add_argument(
        "--skew-max-ids",
        type=int,
        default=DEFAULT_MAX_IDS,
        help="ids a gateway may miss, or list beyond, its upstream's listing (cache skew; default "
        f"{DEFAULT_MAX_IDS}, and never more than --skew-max-fraction)",
    )
    parser.add_argument(
        "--skew-max-fraction",
        type=float,
        default=DEFAULT_MAX_FRACTION,
        help=f"the same as a fraction of the upstream's listing, rounded up (default {DEFAULT_MAX_FRACTION})",
    )
    parser.add_argument(
        "--latency-budget",
        type=float,
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


def _config(args: argparse.Namespace) -> ContractConfig:
    """The contract's knobs from the command line (``ValueError`` for a bad skew allowance, ``UsageError`` for a
    malformed ``--curated``)."""
    from catalog_guard.checks import ContractConfig
    from catalog_guard.skew import SkewAllowance

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
        skew=SkewAllowance(args.skew_max_ids, args.skew_max_fraction),
        curated=tuple(curated),
        latency_budget=budget,
    )


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _add_audit(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = sub.add_parser(
        "audit",
        help="judge the recorded cassettes (default) or a live gateway",
        description="Without --gateway-url: the shipped cassettes, no network. With it: a live "
        "backend, judged against its upstreams' truth fetched while it is observed (--truth live), or "
        "against recorded truth (--truth recorded or a --save-truth directory).",
    )
    audit.add_argument(
        "--gateway-url", default=os.environ.get(URL_ENV), help=f"base URL of a running gateway (env {URL_ENV})"
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
    audit.add_argument("--limit", type=int, default=100, help="page size to walk with (default 100)")
    audit.add_argument(
        "--max-requests", type=int, default=2000, help="give up (exit 2) after this many requests in all (default 2000)"
    )
    audit.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default 30)")
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


def _truth_options(audit: argparse.ArgumentParser) -> None:
    from catalog_guard.recorder import parse_base_url

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


def _add_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="run the reference gateway (or a regression mode) as an HTTP server")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--regression",
        metavar="MODE",
        default=None,
        help="serve a gallery mode instead of the correct gateway (G1-G13, U1-U11, F1-F10)",
    )
    serve.add_argument("--log-level", default="warning")


def _add_gallery(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    gallery = sub.add_parser("gallery", help="run every regression mode through the checks and print the table")
    gallery.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    gallery.add_argument("--mode", action="append", dest="modes", metavar="MODE", help="only these modes")


def build_parser() -> argparse.ArgumentParser:
    from catalog_guard import recorder

    parser = argparse.ArgumentParser(
        prog="catalog-guard", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"catalog-guard {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_audit(sub)
    record = sub.add_parser("record", help="re-record the cassettes (live by default; --source fakes for synthetic)")
    recorder.add_arguments(record)
    _add_serve(sub)
    _add_gallery(sub)
    return parser


def run_audit(args: argparse.Namespace) -> int:
    from catalog_guard import audit, report
    from catalog_guard.errors import CatalogGuardError
    from catalog_guard.redaction import Redactor

    try:
        config = _config(args)
    except (ValueError, UsageError) as error:
        print(f"catalog-guard audit: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.cassettes:
        os.environ["CATALOG_GUARD_CASSETTES"] = args.cassettes
    if args.gateways and not args.gateway_url:
        print(
            "catalog-guard audit: --gateway selects gateways of a live audit; give --gateway-url too", file=sys.stderr
        )
        return EXIT_USAGE
    live_only = [flag for flag, value in _LIVE_ONLY.items() if getattr(args, value)]
    if live_only and not args.gateway_url:
        given = ", ".join(live_only)
        print(f"catalog-guard audit: {given} judge a live gateway; give --gateway-url too", file=sys.stderr)
        return EXIT_USAGE
    try:
        result = _live(args, config) if args.gateway_url else audit.recorded_audit(config)
        if args.save_truth:
            _save_truth(result, args.save_truth)
    except (CatalogGuardError, UsageError) as error:
        print(f"catalog-guard audit: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_USAGE
    redactor = Redactor(known_secrets_of(args))  # before rendering: a clipped table cell could hold half a secret
    text = redactor.redact_output(report.render(redactor.redact_data(result), args.format))
    print(text)
    if args.output:
        with open(args.output, "a", encoding="utf-8") as handle:
            handle.write(text + "\n")
    if result.exit_code == EXIT_USAGE and result.truth is not None:
        unjudged = ", ".join(result.truth.not_judged())
        print(f"catalog-guard audit: --require-all-truth: no truth for {unjudged} (see NOT JUDGED)", file=sys.stderr)
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


def _live(args: argparse.Namespace, config: ContractConfig) -> Audit:
    from catalog_guard import audit, truth
    from catalog_guard.gateways import KNOWN
    from catalog_guard.observe import ObservePlan
    from catalog_guard.progress import Progress
    from catalog_guard.target import GatewayTarget

    gateways = tuple(args.gateways or KNOWN)
    unknown = sorted(set(gateways) - set(KNOWN))
    if unknown:
        raise UsageError(f"unknown gateway(s) {', '.join(unknown)}; one of {', '.join(KNOWN)}")
    plan = ObservePlan(gateways=gateways, limit=args.limit, include_all=args.gateways is None)
    token = args.token or os.environ.get(TOKEN_ENV)
    target = GatewayTarget(base_url=args.gateway_url, token=token, timeout=args.timeout, max_requests=args.max_requests)
    choice = args.truth or truth.LIVE
    if args.save_truth and choice != truth.LIVE:
        raise UsageError("--save-truth saves live truth; it cannot be combined with --truth " + choice)
    fetch = truth.choose(
        choice,
        gateways,
        environ=os.environ,
        base_urls=dict(args.base_url),
        timeout=args.timeout,
        baseline=args.baseline,
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
    import uvicorn

    from catalog_guard.serve import reference_app

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"catalog-guard serve: binding {args.host} exposes the fake gateway beyond this machine", file=sys.stderr)
    try:
        app = reference_app(args.regression)
    except KeyError as error:
        print(f"catalog-guard serve: {error.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return EXIT_OK


def run_gallery(args: argparse.Namespace) -> int:
    from catalog_guard import gallery_run

    rows = gallery_run.run_gallery(args.modes)
    print(gallery_run.render(rows, args.format))
    return EXIT_OK if all(row.ok for row in rows) else EXIT_VIOLATION


def known_secrets_of(args: argparse.Namespace) -> dict[str, str]:
    """The secrets a run knows: the tokens in the environment and those given as options."""
    from catalog_guard.redaction import known_secrets

    given = {f"--{name.replace('_', '-')}": getattr(args, name, None) for name in ("token", "gateway_token")}
    return {**known_secrets(), **{name: value for name, value in given.items() if value}}


def main(argv: Sequence[str] | None = None) -> int:
    from catalog_guard.redaction import Redactor, redacting_output

    args = build_parser().parse_args(argv)
    # The output boundary: whatever a gateway or an upstream echoes, no known secret is printed, in any encoding.
    with redacting_output(Redactor(known_secrets_of(args))):
        if args.command == "audit":
            return run_audit(args)
        if args.command == "record":
            from catalog_guard import recorder

            return recorder.run(args)
        if args.command == "serve":
            return run_serve(args)
        return run_gallery(args)


if __name__ == "__main__":
    raise SystemExit(main())
