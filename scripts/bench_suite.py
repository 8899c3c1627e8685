"""Benchmark: the whole test suite of a baseline commit and of the work tree, side by side, per test module.

Run: ``python scripts/bench_suite.py [--baseline REF] [--workers 2] [--top 20]``. The baseline is a ``git archive``
of ``REF`` (default ``main``) in a temporary directory, imported through ``PYTHONPATH`` so that the same venv runs
both; then the work tree. Each run is ``pytest -n WORKERS -q -p no:cacheprovider -p no:randomly --durations=0``
with bytecode caching on (as ``.ci/run`` runs it), and reports:

- wall seconds and the CPU seconds of the pytest process and all its children (workers, subprocess servers and
  CLI runs), which a loaded machine inflates less than the wall time;
- the sum of the test durations per module (setup, call, teardown), the ratio of the work tree to the baseline,
  and the modules that cost most.

The two runs are back to back on the same machine; a figure is only ever compared with the other run of the same
sitting. docs/benchmarks.md records the output. Nothing is asserted in a test.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_DURATION = re.compile(r"^([\d.]+)s (?:call|setup|teardown)\s+(\S+?)::")
_OUTCOME = re.compile(r"^=* ?(\d+ (?:passed|failed|error).*?) in ([\d.]+)s")


@dataclass
class SuiteRun:
    label: str
    wall: float
    cpu: float
    outcome: str
    modules: dict[str, float] = field(default_factory=dict)

    @property
    def test_seconds(self) -> float:
        return sum(self.modules.values())


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_suite(label: str, tree: Path, workers: str, pythonpath: Path | None) -> SuiteRun:
    environ = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    if pythonpath is not None:
        environ["PYTHONPATH"] = str(pythonpath)
    command = [sys.executable, "-m", "pytest", "-n", workers, "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    command += ["--durations=0", "-o", "console_output_style=classic"]
    cpu, start = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=tree, env=environ, capture_output=True, text=True, timeout=3600, check=False)
    wall, cpu = time.perf_counter() - start, _children_cpu() - cpu
    modules: dict[str, float] = collections.defaultdict(float)
    outcome = "no summary line"
    for line in done.stdout.splitlines():
        if match := _DURATION.match(line):
            modules[match[2]] += float(match[1])
        elif match := _OUTCOME.match(line):
            outcome = match[1]
    if done.returncode != 0:
        print(f"{label}: pytest exited {done.returncode} ({outcome})", file=sys.stderr)
    return SuiteRun(label, wall, cpu, outcome, dict(modules))


def baseline_tree(ref: str, into: Path) -> Path:
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    path = into / "baseline.tar"
    path.write_bytes(archive)
    with tarfile.open(path) as tar:
        tar.extractall(into / "tree", filter="data")
    return into / "tree"


def report(baseline: SuiteRun, now: SuiteRun, top: int) -> str:
    lines = [
        f"{'':24} {'baseline':>10} {'work tree':>10} {'ratio':>7}",
        f"{'wall s':24} {baseline.wall:10.1f} {now.wall:10.1f} {now.wall / baseline.wall:7.2f}",
        f"{'CPU s (all processes)':24} {baseline.cpu:10.1f} {now.cpu:10.1f} {now.cpu / baseline.cpu:7.2f}",
        f"{'sum of test durations s':24} {baseline.test_seconds:10.1f} {now.test_seconds:10.1f} "
        f"{now.test_seconds / baseline.test_seconds:7.2f}",
        f"baseline: {baseline.outcome}",
        f"work tree: {now.outcome}",
        "",
        f"{'module (sum of durations)':44} {'baseline s':>10} {'now s':>8} {'ratio':>7}",
    ]
    names = sorted(set(baseline.modules) | set(now.modules), key=lambda n: -baseline.modules.get(n, 0.0))
    for name in names[:top]:
        before, after = baseline.modules.get(name, 0.0), now.modules.get(name, 0.0)
        ratio = f"{after / before:7.2f}" if before else "      -"
        lines.append(f"{name:44} {before:10.1f} {after:8.1f} {ratio}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="the git ref to compare with (default: main)")
    parser.add_argument("--workers", default="2", help="pytest -n (default 2, as on the 2-core CI machine)")
    parser.add_argument("--top", type=int, default=20, help="modules to list, costliest in the baseline first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="catalog-guard-bench-suite-") as tmp:
        tree = baseline_tree(args.baseline, Path(tmp))
        baseline = run_suite(args.baseline, tree, args.workers, pythonpath=tree / "src")
        now = run_suite("work tree", ROOT, args.workers, pythonpath=None)
    print(report(baseline, now, args.top))


if __name__ == "__main__":
    main()
