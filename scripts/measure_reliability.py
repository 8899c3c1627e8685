"""Re-measure the fault matrix of docs/reliability.md: ``catalog-guard audit`` against hostile loopback servers.

Run: ``.venv/bin/python scripts/measure_reliability.py`` (about five minutes; ``--write`` also replaces the
table in docs/reliability.md between its markers). Each case starts a :class:`HostileServer` on 127.0.0.1 in
this process and runs the real command, with the **default limits** unless the case says otherwise, in a fresh
child process: the wall time to its exit and the child's peak RSS (``os.wait4``) are measured, side by side
with a baseline run against the well-behaved reference gateway through the same server. A case with an
``upstream`` puts the hostile server behind that upstream's live truth instead (``--truth live --base-url
NAME=URL``, auditing that one gateway of the reference gateway, served well by a second server). Every child is
killed after ``--kill-after`` seconds (default 900), so the measurement itself always ends; a row that needed
it says so. Nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from catalog_guard.fakes.hostile import HostileServer, Rule, Settings, always, on_param
from catalog_guard.serve import reference_gateway

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- measure_reliability: begin -->", "<!-- measure_reliability: end -->"
MB = 1024 * 1024


def first_request(fault: str) -> Rule:
    return lambda _request, n: fault if n == 0 else None


@dataclass(frozen=True)
class Case:
    name: str
    limit: str  # the bound that must end it (the documented one)
    rule: Rule
    args: tuple[str, ...] = ()
    settings: Settings = field(default_factory=Settings)
    upstream: str | None = None  # the hostile server serves this upstream's live truth, not the gateway


CASES = (
    Case("baseline: the reference gateway, well behaved", "none (passes)", lambda _r, _n: None),
    Case("hung server (accepts, never answers)", "--timeout 20 s, then unreachable", always("hung")),
    Case("slow drip (1 byte / 2 s, chunked)", "--timeout 20 s x --max-failures 3", always("drip"), (),
         Settings(drip_interval=2.0)),
    Case("endless body", "--max-body 32 MiB x --max-failures 3", always("endless")),
    Case("200 MB body (declared)", "--max-body 32 MiB (refused on its content-length)", always("huge")),
    Case("200 MB body, first page, accepted", "none: --max-body raised to 300 MB", first_request("huge"),
         ("--max-body", str(300 * MB))),
    Case("JSON nested 100,000 deep", "none: malformed body (schema)", always("deep")),
    Case("429 Retry-After: 299 forever", "--max-wait 30 s", always("rate-limited")),
    Case("429 Retry-After: 0 forever", "--max-failures 3 (throttled in a row)", always("rate-limited"), (),
         Settings(retry_after="0")),
    Case("429 Retry-After: ³", "backoff, then --max-failures 3", always("rate-limited"), (), Settings(retry_after="³")),
    Case("429 Retry-After: 5,000 digits", "--max-wait 30 s", always("rate-limited"), (),
         Settings(retry_after="9" * 5000)),
    Case("429 RateLimit t= 5,000 digits", "--max-wait 30 s", always("rate-limited"), (),
         Settings(retry_after=None, ratelimit='"api";r=0;t=' + "9" * 5000)),
    Case("connection reset, every request", "unreachable (first request)", always("reset")),
    Case("not HTTP (protocol error)", "unreachable (first request)", always("garbage")),
    Case("one probe reset, the rest correct", "none: a finding on that request", on_param("reset", offset="-5")),
    Case("drip, short deadline", "--deadline 5 s", always("drip"), ("--deadline", "5"), Settings(drip_interval=0.5)),
    Case("live truth: the Hub drips (1 byte / 2 s)", "--timeout 20 s", always("drip"), (),
         Settings(drip_interval=2.0), upstream="huggingface"),
    Case("live truth: a provider's endless body", "--max-body 32 MiB", always("endless"), upstream="openrouter"),
    Case("live truth: a provider hangs, short deadline", "--deadline 10 s (one for the whole audit)", always("hung"),
         ("--deadline", "10"), upstream="openrouter"),
    Case("live truth: the Hub's 429 Retry-After: 299", "--max-wait 30 s", always("rate-limited"),
         upstream="huggingface"),
)  # fmt: skip


@dataclass(frozen=True)
class Row:
    case: Case
    seconds: float
    peak_mib: float
    exit: int
    outcome: str


def measure(case: Case, kill_after: float) -> Row:
    with ExitStack() as stack:
        if case.upstream is None:
            url = stack.enter_context(HostileServer(case.rule, reference_gateway(), case.settings))
            # recorded truth: the upstreams' live listings are beyond loopback
            truth = ["--truth", "recorded"]
        else:
            url = stack.enter_context(HostileServer(lambda _r, _n: None, reference_gateway()))
            hostile = stack.enter_context(HostileServer(case.rule, None, case.settings))
            truth = ["--truth", "live", "--base-url", f"{case.upstream}={hostile}", "--gateway", case.upstream]
        command = [sys.executable, "-m", "catalog_guard.cli", "audit", "--gateway-url", url, "--no-progress"]
        # one request after another, as measured
        command += ["--format", "json", *truth, "--concurrency", "1"]
        with tempfile.TemporaryFile() as errors, tempfile.TemporaryFile() as report:
            started = time.monotonic()
            child = subprocess.Popen([*command, *case.args], stdout=report, stderr=errors)
            killer = _Killer(child, kill_after)
            _, status, usage = os.wait4(child.pid, 0)
            seconds = time.monotonic() - started
            killer.cancel()
            child.returncode = os.waitstatus_to_exitcode(status)
            errors.seek(0)
            err = errors.read().decode("utf-8", "replace").strip()
            report.seek(0)
            failed = _failed_checks(report.read())
    outcome = err.splitlines()[-1] if err else f"FAIL: {', '.join(failed)}" if failed else "PASS"
    if killer.fired:
        outcome = f"KILLED after {kill_after:g} s: {outcome}"
    peak = usage.ru_maxrss / 1024  # Linux reports kB
    return Row(case, seconds, peak, child.returncode, _short(outcome))


def _failed_checks(report: bytes) -> list[str]:
    try:
        return [check["name"] for check in json.loads(report)["checks"] if not check["passed"]]
    except (ValueError, KeyError, TypeError):
        return []


class _Killer:
    def __init__(self, child: subprocess.Popen[bytes], seconds: float) -> None:
        import threading

        self.fired = False
        self._child = child
        self._timer = threading.Timer(seconds, self._kill)
        self._timer.daemon = True
        self._timer.start()

    def _kill(self) -> None:
        self.fired = True
        self._child.kill()

    def cancel(self) -> None:
        self._timer.cancel()


def _short(line: str) -> str:
    line = line.removeprefix("catalog-guard audit: ")
    line = re.sub(r"http://127\.0\.0\.1:\d+", "", line)
    return line if len(line) <= 160 else line[:157] + "..."


def table(rows: list[Row]) -> str:
    base = rows[0]
    lines = [
        "| case | limit that applies | exit | time to end | x baseline | peak RSS | x baseline | outcome |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.case.name} | {row.case.limit} | {row.exit} | {row.seconds:.1f} s | "
            f"{row.seconds / base.seconds:.1f} | {row.peak_mib:.0f} MiB | {row.peak_mib / base.peak_mib:.1f} | "
            f"{row.outcome.replace('|', '/')} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="replace the table in docs/reliability.md")
    parser.add_argument("--only", action="append", help="only cases whose name contains this (repeatable)")
    parser.add_argument("--kill-after", type=float, default=900.0, help="seconds before a child is killed")
    args = parser.parse_args()
    chosen = [CASES[0], *(c for c in CASES[1:] if not args.only or any(o in c.name for o in args.only))]
    rows = []
    for case in chosen:
        row = measure(case, args.kill_after)
        print(f"{row.seconds:7.1f} s {row.peak_mib:7.0f} MiB exit {row.exit}  {case.name}: {row.outcome}", flush=True)
        rows.append(row)
    text = table(rows)
    print()
    print(text)
    if args.write:
        doc = DOC.read_text()
        head, _, rest = doc.partition(BEGIN)
        _, _, tail = rest.partition(END)
        DOC.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
