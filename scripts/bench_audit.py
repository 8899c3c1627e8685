"""Benchmark: a live ``catalog-guard audit`` through a slow gateway, sequential vs concurrent, against its
longest chain of dependent requests.

Run: ``python scripts/bench_audit.py [--latency 0.2] [--concurrency 4]``. Starts ``catalog-guard serve`` (the
reference gateway, 127.0.0.1) and, in front of it, a small proxy on 127.0.0.1 that holds every request for
``--latency`` seconds before forwarding it (at most 64 requests at once; every upstream read has a timeout). Then,
in one run:

1. the longest chain: the ``gateway=all`` offset walk alone (each page needs the previous one), timed through the
   proxy; no concurrency can beat it;
2. ``catalog-guard audit --gateway-url <proxy> --concurrency 1`` in a fresh process (the old sequential order);
3. the same with each ``--concurrency N`` given (default 4 and 8);
4. the last one again straight to the server, without added latency: the audit's own cost (starting Python,
   replaying the recorded truth it judges against, judging), which no concurrency of requests removes.

Prints each wall time, its request count and its ratio to the longest chain (the goal: concurrent <= 1.3x).
The audits' wall times include starting Python and judging the observation. Nothing is asserted in a test.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx

from catalog_guard.gateway_client import walk_gateway

MAX_IN_FLIGHT = 64
UPSTREAM_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serve_reference() -> Iterator[str]:
    """``catalog-guard serve`` in a subprocess; yields its base URL once it answers."""
    port = free_port()
    command = [sys.executable, "-m", "catalog_guard.cli", "serve", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/v1/models?gateway=groq&limit=1", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("catalog-guard serve did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def latency_proxy(upstream: str, latency: float) -> Iterator[tuple[str, list[int]]]:
    """A loopback HTTP/1.1 proxy adding ``latency`` to every request; yields its URL and a request counter."""
    target = urlsplit(upstream)
    slots = threading.BoundedSemaphore(MAX_IN_FLIGHT)
    count = [0]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else None
            with slots:
                with lock:
                    count[0] += 1
                time.sleep(latency)
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=UPSTREAM_TIMEOUT)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                    connection.request(self.command, self.path, body=body, headers=headers)
                    response = connection.getresponse()
                    payload = response.read()
                finally:
                    connection.close()
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(key, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _forward

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", count
    finally:
        server.shutdown()
        server.server_close()


def longest_chain(proxy: str) -> tuple[float, int]:
    with httpx.Client(timeout=UPSTREAM_TIMEOUT) as client:
        start = time.perf_counter()
        walk = walk_gateway(client, proxy, "all", limit=100)
        return time.perf_counter() - start, walk.requests


def audit(proxy: str, concurrency: int) -> float:
    command = [sys.executable, "-m", "catalog_guard.cli", "audit", "--gateway-url", proxy, "--no-progress"]
    command += ["--truth", "recorded"]  # the reference server serves the recorded catalogs; no upstream is reached
    command += ["--concurrency", str(concurrency)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, env=dict(os.environ))
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"audit --concurrency {concurrency} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 8])
    args = parser.parse_args()
    with serve_reference() as upstream, latency_proxy(upstream, args.latency) as (proxy, count):
        chain, chain_requests = longest_chain(proxy)
        rows = [("longest chain (gateway=all walk)", chain, chain_requests)]
        for concurrency in (1, *args.concurrency):
            before = count[0]
            seconds = audit(proxy, concurrency)
            rows.append((f"audit --concurrency {concurrency}", seconds, count[0] - before))
        # the audit's own cost (Python, the recorded truth it judges against, the checks): no added latency
        seconds = audit(upstream, max(args.concurrency))
        rows.append(("  same, no added latency (direct)", seconds, 0))
    print(f"latency {args.latency * 1000:.0f} ms per request, added by a loopback proxy")
    for name, seconds, requests in rows:
        print(f"{name:34s} {seconds:7.2f} s  {requests:4d} requests  {seconds / chain:5.2f}x the longest chain")


if __name__ == "__main__":
    main()
