"""Benchmark: what live truth adds to an audit, side by side with recorded truth, on the same loopback gateway.

Run: ``.venv/bin/python scripts/bench_truth.py [--runs N]``. Prints a table; the figures measured on the
project's machine are written down in docs/benchmarks.md. Nothing here is asserted in a test.

One loopback server (uvicorn on 127.0.0.1) serves the reference gateway over the synthetic universe the shipped
corpus was recorded from, and the fake Hub and twelve fake providers over the same universe, each under its own
path prefix (:mod:`catalog_guard.fakes.mounted`). Each run is a fresh ``catalog-guard audit --gateway-url``
process (what a CI job pays), alternating:

- ``--truth recorded``: the truth replayed from the shipped cassettes before the gateway is observed;
- ``--truth live`` with ``--base-url NAME=URL`` for every upstream: the truth fetched from the loopback fakes
  while the gateway is observed.

The server counts the requests each mount received, so the table shows the requests the live truth adds (the
Hub's cursor walk and each provider's listing) next to the gateway's own. Both audits must pass.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

import httpx

from catalog_guard import truth, universe
from catalog_guard.fakes.gateway import FakeGateway, asgi_app, current_state
from catalog_guard.fakes.mounted import base_urls, mounted, upstream_fakes
from catalog_guard.fakes.transport import Handler
from catalog_guard.providers import GATEWAY_SPECS
from catalog_guard.serve import serving

GATEWAY = "gateway"


class Counted:
    """Counts the requests each mount receives (the server answers on its own thread)."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()

    def wrap(self, name: str, handler: Handler) -> Handler:
        def handle(request: httpx.Request) -> httpx.Response:
            with self._lock:
                self.counts[name] += 1
            return handler(request)

        return handle

    def take(self) -> dict[str, int]:
        with self._lock:
            taken = dict(self.counts)
            self.counts.clear()
        return taken


def audit(base: str, choice: str) -> tuple[float, dict[str, Any]]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CATALOG_GUARD_")}
    # every provider key set (synthetic values): the fakes accept any key, and nothing is left not judged
    env.update({spec.token_env: f"bench-{name}" for name, spec in GATEWAY_SPECS.items() if spec.token_env})
    command = [sys.executable, "-m", "catalog_guard.cli", "audit", "--gateway-url", f"{base}/{GATEWAY}"]
    command += ["--truth", choice, "--format", "json", "--no-progress"]
    if choice == truth.LIVE:
        command += [f"--base-url={name}={url}" for name, url in base_urls(base, truth.UPSTREAMS).items()]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False, timeout=600)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"the {choice} audit exited {done.returncode}: {done.stderr[-2000:]}")
    report: dict[str, Any] = json.loads(done.stdout)
    return seconds, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind, alternating (default 3)")
    args = parser.parse_args()
    world = universe.build()
    counted = Counted()

    def make(base: str) -> Any:
        handlers = {**upstream_fakes(base, world), GATEWAY: FakeGateway(current_state())}
        return asgi_app(mounted({name: counted.wrap(name, handler) for name, handler in handlers.items()}))

    times: dict[str, list[float]] = {truth.RECORDED: [], truth.LIVE: []}
    requests: dict[str, dict[str, int]] = {}
    truth_seconds: dict[str, list[float]] = {truth.RECORDED: [], truth.LIVE: []}
    with serving(make) as base:
        for _ in range(args.runs):
            for choice in (truth.RECORDED, truth.LIVE):
                seconds, report = audit(base, choice)
                times[choice].append(seconds)
                requests[choice] = counted.take()
                truth_seconds[choice].append(report["truth"]["seconds"])
    recorded, live = statistics.median(times[truth.RECORDED]), statistics.median(times[truth.LIVE])
    gateway_requests = requests[truth.RECORDED].get(GATEWAY, 0)
    upstream = {name: n for name, n in requests[truth.LIVE].items() if name != GATEWAY}
    rows = [
        ("audit wall time, --truth recorded (median)", f"{recorded:.2f} s"),
        ("audit wall time, --truth live (median)", f"{live:.2f} s"),
        ("ratio live / recorded", f"{live / recorded:.2f}x"),
        ("truth: recorded replay, before the observation", f"{statistics.median(truth_seconds['recorded']):.2f} s"),
        ("truth: live fetch, during the observation", f"{statistics.median(truth_seconds['live']):.2f} s"),
        ("requests to the gateway (both)", f"{gateway_requests} / {requests[truth.LIVE].get(GATEWAY, 0)}"),
        ("requests added by live truth", f"{sum(upstream.values())} (Hub {upstream.get('huggingface', 0)})"),
        ("requests ratio live / recorded", f"{(gateway_requests + sum(upstream.values())) / gateway_requests:.3f}x"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    every = {kind: [round(t, 2) for t in measured] for kind, measured in times.items()}
    print(f"runs: {args.runs} of each; all times (s): {json.dumps(every)}")


if __name__ == "__main__":
    main()
