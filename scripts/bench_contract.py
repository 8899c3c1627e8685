"""Benchmark: the packaged contract suite serially and under ``pytest -n 2``, side by side.

Run: ``python scripts/bench_contract.py [--repeat 2]``. Starts ``catalog-guard serve`` (the reference gateway
over the recorded corpus, 127.0.0.1 only) and runs ``pytest --pyargs catalog_guard.contract_tests`` against it
(13 gateway tests, 5 fetcher tests with ``--fetcher``) in four ways, interleaved, best of ``--repeat``:

- ``-n 0``: serial, the baseline;
- ``-n 2``: xdist's default ``--dist load``; the class's observation is computed by one worker and shared
  through :mod:`catalog_guard.worker_cache`;
- ``-n 2, no sharing``: the same with ``CATALOG_GUARD_WORKER_CACHE=0`` (what every worker paid before);
- ``-n 2 --dist loadscope``: the other way, every test of a class on one worker.

Prints each wall time and its ratio to serial; docs/benchmarks.md records the ratios. Nothing is asserted in a
test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from catalog_guard.serve import reference_app, serving

FETCHER = """
import httpx
from catalog_guard.hub import fetch_hub

def reference():
    with httpx.Client() as client:
        return fetch_hub(client, token="", sleep=lambda s: None)
"""

WAYS: dict[str, tuple[list[str], dict[str, str]]] = {
    "-n 0 (serial)": (["-n", "0"], {}),
    "-n 2 (shared observation)": (["-n", "2"], {}),
    "-n 2, no sharing": (["-n", "2"], {"CATALOG_GUARD_WORKER_CACHE": "0"}),
    "-n 2 --dist loadscope": (["-n", "2", "--dist", "loadscope"], {}),
}


def run(url: str, where: Path, args: list[str], env: dict[str, str]) -> float:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--pyargs"]
    command += ["catalog_guard.contract_tests", "--gateway-url", url, "--catalog-guard-truth", "recorded"]
    command += ["--fetcher", "bench_fetcher:reference", *args]
    environ = {**os.environ, "PYTHONPATH": str(where), **env}
    start = time.perf_counter()
    done = subprocess.run(command, cwd=where, env=environ, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout[-3000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    best = dict.fromkeys(WAYS, float("inf"))
    with tempfile.TemporaryDirectory() as scratch, serving(lambda base_url: reference_app()) as url:
        where = Path(scratch)
        (where / "bench_fetcher.py").write_text(FETCHER)
        for _ in range(args.repeat):
            for name, (options, env) in WAYS.items():
                best[name] = min(best[name], run(url, where, options, env))
    serial = best["-n 0 (serial)"]
    for name, seconds in best.items():
        print(f"{name:28s} {seconds:6.2f} s  {seconds / serial:4.2f}x serial")


if __name__ == "__main__":
    main()
