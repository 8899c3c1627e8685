"""Measure what the interception seam costs per request, side by side with handing the client a transport.

Why this exists: FakeInternet.install() answers every client through vcrpy's patches (docs/architecture.md,
"Interception"), which converts each request and response through vcrpy's dict form; the historical fetchers
make up to 500 requests per scenario. The same 300 Hub pages (limit=100, offset ignored, as F1 asks them) are
fetched three ways, alternating, best of N rounds:

- ``transport``: ``httpx.Client(transport=internet.transport())``: no interception (the baseline);
- ``seam, one client``: ``httpx.Client()`` under ``install()``;
- ``seam, httpx.get``: module-level ``httpx.get`` under ``install()`` (a new client per request, as F1 does).

Nothing touches the network. Run: ``.venv/bin/python scripts/bench_interception.py``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import httpx

from catalog_guard.corpus import recorded_hub_models
from catalog_guard.fakes.hub import FakeHub
from catalog_guard.fakes.transport import FakeInternet

URL = "https://huggingface.co/api/models"
REQUESTS = 300


def via_transport(internet: FakeInternet) -> None:
    with httpx.Client(transport=internet.transport()) as client:
        for n in range(REQUESTS):
            client.get(URL, params={"limit": 100, "offset": n * 100}).raise_for_status()


def via_seam_client(internet: FakeInternet) -> None:
    with internet.install(), httpx.Client() as client:
        for n in range(REQUESTS):
            client.get(URL, params={"limit": 100, "offset": n * 100}).raise_for_status()


def via_seam_get(internet: FakeInternet) -> None:
    with internet.install():
        for n in range(REQUESTS):
            httpx.get(URL, params={"limit": 100, "offset": n * 100}).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    models = recorded_hub_models()
    ways: dict[str, Callable[[FakeInternet], None]] = {
        "transport": via_transport,
        "seam, one client": via_seam_client,
        "seam, httpx.get": via_seam_get,
    }
    best = dict.fromkeys(ways, float("inf"))
    for _ in range(rounds):
        for name, way in ways.items():
            internet = FakeInternet({"huggingface.co": FakeHub(models)})
            start = time.perf_counter()
            way(internet)
            best[name] = min(best[name], time.perf_counter() - start)
    baseline = best["transport"]
    print(f"| way | best of {rounds} ({REQUESTS} requests) | per request | ratio to transport |")
    print("|---|---|---|---|")
    for name, seconds in best.items():
        print(f"| {name} | {seconds:.2f} s | {seconds / REQUESTS * 1000:.1f} ms | {seconds / baseline:.2f}x |")


if __name__ == "__main__":
    main()
