"""Run independent chains of requests side by side, each chain strictly sequential, at most N at a time.

An observation is ~200 requests, but most do not depend on each other: a gateway's offset walk must go page
after page (the next offset comes from the last page), yet the walk of ``groq`` and the walk of ``xai`` share
nothing. Sent one after another through a gateway that answers in 200 ms, the 198 requests took 4.25x the
longest dependent chain (the ``gateway=all`` walk); with chains run side by side the wall time approaches that
chain.

This module is the one place that knows about threads. A *chain* is a zero-argument callable that makes its
requests in order and stores its own results (each chain writes only its own slots; the caller assembles them
in plan order afterwards, so the outcome does not depend on which response arrived first). Threads rather than
asyncio because the walker, the retry policy and every caller are synchronous ``httpx.Client`` code, and
``httpx.Client`` (its connection pool is locked) may be shared between threads.

``concurrency=1`` runs the chains in the given order on the calling thread: exactly the old sequential order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

Chain = Callable[[], None]

DEFAULT_CONCURRENCY = 4


def run_chains(chains: Sequence[Chain], concurrency: int = 1) -> None:
    """Run ``chains`` with at most ``concurrency`` running at once, in submission order as slots free up.

    If a chain raises, the chains not yet started are cancelled, the running ones finish (each is bounded by
    the client's timeouts and the walk budget), and the exception of the earliest chain *in the given order*
    that failed is raised, so which error is reported does not depend on timing.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    if concurrency == 1 or len(chains) <= 1:
        for chain in chains:
            chain()
        return
    with ThreadPoolExecutor(max_workers=min(concurrency, len(chains)), thread_name_prefix="catalog-guard") as pool:
        futures = [pool.submit(chain) for chain in chains]
        _, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in pending:
            future.cancel()
        wait(futures)
    for future in futures:
        error = None if future.cancelled() else future.exception()
        if error is not None:
            raise error
