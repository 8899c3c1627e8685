"""Concurrent observation: chains run side by side, at most N at a time, and the observation, the verdicts and the
replay of the recorded cassettes do not depend on the order responses arrive in.

Arrival order is shuffled on purpose: the fake gateway's handler waits a seeded random few milliseconds before
each answer, so concurrent chains finish in an order unlike the sequential one. Nothing here measures time
(scripts/bench_audit.py does, against a latency-injecting proxy).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from catalog_guard import checks, corpus
from catalog_guard.bounded import BoundedTransport
from catalog_guard.cassettes.replay import use_cassette
from catalog_guard.chains import run_chains
from catalog_guard.errors import RequestLimitReached, RunStopped
from catalog_guard.fakes.gateway import fake_gateway
from catalog_guard.fakes.transport import FakeInternet
from catalog_guard.gateways import GATEWAY_HOST, GATEWAY_URL
from catalog_guard.limits import Limits, Meter
from catalog_guard.observe import Observation, observe
from catalog_guard.truth import recorded_context

# --- run_chains -------------------------------------------------------------------------------------------


def test_concurrency_one_runs_the_chains_in_order_on_the_calling_thread() -> None:
    seen: list[tuple[int, str]] = []
    chains = [lambda n=n: seen.append((n, threading.current_thread().name)) for n in range(5)]
    run_chains(chains, 1)
    assert seen == [(n, threading.current_thread().name) for n in range(5)]


def test_n_chains_run_at_once_and_never_more() -> None:
    """Each chain waits for 3 others at a barrier: that passes only if 3 run at once; the peak count says never
    more than 3. (The barrier's timeout bounds the wait if the runner ever serialised them.)"""
    barrier = threading.Barrier(3, timeout=30)
    lock = threading.Lock()
    running, peak = [0], [0]

    def chain() -> None:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        barrier.wait()
        with lock:
            running[0] -= 1

    run_chains([chain] * 9, 3)
    assert peak[0] == 3


def test_the_error_reported_is_the_earliest_failing_chain_in_the_given_order() -> None:
    release = threading.Event()

    def late_failure() -> None:
        release.wait(30)
        raise ValueError("chain 0")

    def early_failure() -> None:
        release.set()
        raise KeyError("chain 1")

    with pytest.raises(ValueError, match="chain 0"):
        run_chains([late_failure, early_failure], 2)
    with pytest.raises(ValueError, match="at least 1"):
        run_chains([], 0)


def test_the_request_budget_is_one_budget_across_threads() -> None:
    meter = Meter(Limits(max_requests=50))
    budget = BoundedTransport(httpx.MockTransport(lambda request: httpx.Response(200)), meter)
    refused = []
    lock = threading.Lock()

    def chain() -> None:
        for _ in range(10):
            try:
                budget.handle_request(httpx.Request("GET", "http://127.0.0.1/"))
            except (RequestLimitReached, RunStopped):
                with lock:
                    refused.append(1)

    run_chains([chain] * 8, 8)
    assert meter.requests == 50
    assert len(refused) == 30


# --- the observation does not depend on arrival order ---------------------------------------------------


def shuffled_arrivals(handler: Callable[[httpx.Request], httpx.Response], seed: int) -> Callable[..., Any]:
    rng = random.Random(seed)
    lock = threading.Lock()

    def answer(request: httpx.Request) -> httpx.Response:
        with lock:
            delay = rng.uniform(0, 0.004)
        time.sleep(delay)
        return handler(request)

    return answer


def fingerprint(seen: Observation) -> dict[str, Any]:
    """Everything the checks read, in a comparable form."""
    walks = {**seen.walks, **{f"alias {k}": v for k, v in seen.aliases.items()}}
    walks |= {f"unique {k}": v for k, v in seen.unique_walks.items()}
    if seen.all_walk is not None:
        walks["all"] = seen.all_walk
    responses = {**seen.singles, **{f"flag {k}": v for k, v in seen.flag_probes.items()}}
    responses |= {f"probe {k}": v for k, v in seen.probes.items()}
    return {
        "walks": {
            name: (walk.ids, [page.url for page in walk.pages], walk.stop_reason) for name, walk in walks.items()
        },
        "order": [list(seen.walks), list(seen.aliases), list(seen.unique_walks), list(seen.probes)],
        "responses": {name: (r.url, r.status, r.text) for name, r in responses.items()},
        "repeats": [(a.text, b.text) for a, b in seen.repeats],
        "route": seen.route,
        "progression": seen.progression(),
    }


def verdicts(seen: Observation, context: checks.Context) -> list[tuple[str, str]]:
    return [(result.name, result.summary()) for result in checks.run_checks(seen, context)]


@pytest.mark.parametrize("seed", [1, 2])
def test_a_concurrent_observation_equals_the_sequential_one(seed: int) -> None:
    gateway = fake_gateway()
    sequential = FakeInternet({GATEWAY_HOST: gateway})
    with sequential.client() as client:
        expected = observe(client, GATEWAY_URL)
    concurrent = FakeInternet({GATEWAY_HOST: shuffled_arrivals(gateway, seed)})
    with concurrent.client() as client:
        seen = observe(client, GATEWAY_URL, concurrency=6)
    assert fingerprint(seen) == fingerprint(expected)
    # the same requests, each walk's pages in the same order, whatever the interleaving
    assert sorted(str(r.url) for r in concurrent.requests) == sorted(str(r.url) for r in sequential.requests)
    context = recorded_context()
    assert verdicts(seen, context) == verdicts(expected, context)


def test_the_recorded_cassette_replays_concurrently_without_a_re_record() -> None:
    """The shipped gateway/current cassette (synthesized from the fakes) answers a concurrent observation with
    the same observation and verdicts as the sequential replay, and every interaction is played."""
    recording = corpus.MANIFEST["gateway/current"]
    directory = corpus.find_cassettes_dir()
    expected = corpus.replay_observation("current")
    with (
        use_cassette(recording.path(str(directory)), record_mode="none", cassette_dir=directory),
        httpx.Client() as client,
    ):
        seen = observe(client, corpus.canonical_base_url(corpus.GATEWAY), expected.plan, concurrency=4)
    assert fingerprint(seen) == fingerprint(expected)
    context = recorded_context()
    assert verdicts(seen, context) == verdicts(expected, context)
