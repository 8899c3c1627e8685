"""Benchmark: concurrent provider fetching, the recorded audit, and an in-process contract observation.

Run: ``.venv/bin/python scripts/bench_fetch.py``. Prints a table; the figures measured on the project's 2-core
machine are written down in docs/benchmarks.md. Nothing here is asserted in a test (timings are machine facts,
not contract facts).

1. ``fetch_all`` over the 12 fake providers, each answering after a fixed latency (50 ms to 600 ms, real
   ``asyncio.sleep``): the wall time should be close to the slowest gateway, not the sum.
2. ``catalog-guard audit`` on the recorded cassettes, in a fresh process: wall time and peak RSS.
3. ``observe`` of the in-process reference gateway: requests per second through the whole stack (walker,
   client, checks' inputs).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import time

import httpx

from catalog_guard import universe
from catalog_guard.fakes.gateway import fake_gateway
from catalog_guard.fakes.providers import fake_providers
from catalog_guard.fakes.transport import FakeInternet
from catalog_guard.gateways import GATEWAY_HOST, GATEWAY_URL
from catalog_guard.observe import observe
from catalog_guard.providers import GATEWAY_SPECS, ProviderSpec, fetch_all

LATENCIES = {name: 0.05 * (rank + 1) for rank, name in enumerate(sorted(GATEWAY_SPECS))}


def bench_fetch_all() -> tuple[float, float, float]:
    handlers = fake_providers(universe.build(), universe.DAY_1)
    internet = FakeInternet(handlers)
    by_host = {spec.host: LATENCIES[name] for name, spec in GATEWAY_SPECS.items()}

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(by_host.get(request.url.host, 0.0))
        return internet.handle(request)

    async def run(specs: list[ProviderSpec]) -> float:
        start = time.perf_counter()
        async with httpx.AsyncClient(transport=httpx.MockTransport(slow)) as client:
            results = await fetch_all(specs, client=client, tokens=dict.fromkeys(GATEWAY_SPECS, "bench"))
        assert all(result.complete for result in results.values()), "a gateway failed"
        return time.perf_counter() - start

    together = asyncio.run(run(list(GATEWAY_SPECS.values())))
    one_by_one = sum(asyncio.run(run([spec])) for spec in GATEWAY_SPECS.values())
    slowest = max(asyncio.run(run([spec])) for spec in GATEWAY_SPECS.values())
    return together, slowest, one_by_one


def bench_audit(src: str | None = None) -> tuple[float, float]:
    """The recorded audit in a fresh process: wall seconds and peak RSS (MiB); ``src``: another checkout's
    ``src`` directory to run instead (the baseline of a before/after ratio, measured in the same run)."""
    code = (
        "import resource, time, contextlib, io\n"
        "start = time.perf_counter()\n"
        "from catalog_guard.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): code = main(['audit'])\n"
        "print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, code)\n"
    )
    env = {**os.environ, "PYTHONPATH": src} if src else None
    cwd = os.path.dirname(src) if src else None
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=cwd)
    out = run.stdout.split()
    assert out[2] == "0", "the recorded audit must pass"
    return float(out[0]), float(out[1]) / 1024


def bench_observe() -> tuple[int, float]:
    gateway = fake_gateway()
    internet = FakeInternet({GATEWAY_HOST: gateway})
    with internet.client() as client:
        start = time.perf_counter()
        observe(client, GATEWAY_URL)
        elapsed = time.perf_counter() - start
    return len(internet.requests), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-src", help="another checkout's src/ to run the recorded audit of, side by side")
    parser.add_argument("--repeat", type=int, default=1, help="recorded audits per side (best of), interleaved")
    args = parser.parse_args()
    together, slowest, one_by_one = bench_fetch_all()
    audits, baselines = [], []
    for _ in range(args.repeat):  # interleaved, so that load on the machine hits both sides alike
        audits.append(bench_audit())
        if args.baseline_src:
            baselines.append(bench_audit(args.baseline_src))
    seconds, rss = min(audits)
    requests, elapsed = bench_observe()
    rows = [
        ("fetch_all, 12 providers concurrently", f"{together:.2f} s"),
        ("  slowest single provider", f"{slowest:.2f} s"),
        ("  the 12 one after another", f"{one_by_one:.2f} s"),
        ("catalog-guard audit (recorded), wall", f"{seconds:.2f} s"),
        ("catalog-guard audit (recorded), peak RSS", f"{rss:.0f} MiB"),
        (
            "observe(reference gateway, in-process)",
            f"{requests} requests in {elapsed:.2f} s ({requests / elapsed:.0f}/s)",
        ),
    ]
    if args.baseline_src:
        before = min(baselines)
        rows.append(("  baseline checkout, wall", f"{before[0]:.2f} s ({before[0] / seconds:.2f}x this one)"))
        rows.append(("  baseline checkout, peak RSS", f"{before[1]:.0f} MiB ({before[1] / rss:.2f}x this one)"))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name.ljust(width)}  {value}")
    print(f"(this process: peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)")


if __name__ == "__main__":
    main()
