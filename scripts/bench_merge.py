"""Benchmark: ``merge()`` against a plain dict of id -> set of gateways doing the same counting, side by side.

Run: ``python scripts/bench_merge.py [--sizes 200000 1000000] [--repeat 3]``. Prints, per size, the best of
``--repeat`` runs of each (interleaved, so machine load hits both alike) and their ratio; the ratio is what
docs/benchmarks.md records. Nothing here is asserted in a test.

The input is synthetic and fixed by a seed: 12 gateways, each listing a share of a pool of ids (so most ids are
on one gateway and some on several), 10 % of each listing repeated (duplicates within a gateway), a third of the
records with a name, a context length and a Hub repo id. The baseline computes what ``MergeStats`` holds
(fetched, unique, duplicates, total unique, cross-gateway duplicates, shared, pairwise overlap) the way a
hand-written script would; ``merge()`` also builds one row per key, sorted, with its representative record.
"""

from __future__ import annotations

import argparse
import functools
import gc
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from catalog_guard.merge import merge
from catalog_guard.records import ModelRecord

GATEWAYS = [f"gateway-{k:02d}" for k in range(12)]


def make_catalogs(total: int, seed: int = 12) -> dict[str, list[ModelRecord]]:
    """``total`` records over 12 gateways, deterministic for a seed."""
    rng = random.Random(seed)
    pool = [f"org{k % 997}/model-{k:07d}" for k in range(total // 2)]
    per_gateway = total // len(GATEWAYS)
    catalogs: dict[str, list[ModelRecord]] = {}
    for gateway in GATEWAYS:
        ids = rng.sample(pool, per_gateway - per_gateway // 10)
        ids += rng.sample(ids, per_gateway // 10)
        catalogs[gateway] = [
            ModelRecord(
                id=model_id,
                gateway=gateway,
                name=model_id.rsplit("/", 1)[-1] if n % 3 == 0 else None,
                context_length=4096 * (1 + n % 8) if n % 3 == 1 else None,
                hugging_face_id=model_id if n % 3 == 2 else None,
            )
            for n, model_id in enumerate(ids)
        ]
    return catalogs


def baseline(catalogs: Mapping[str, Sequence[ModelRecord]]) -> dict[str, Any]:
    """The plain-dict script: id -> set of gateways, then the same counts ``MergeStats`` holds."""
    listed: dict[str, set[str]] = {}
    keys_by_gateway: dict[str, set[str]] = {}
    for gateway, records in catalogs.items():
        mine = keys_by_gateway[gateway] = set()
        for record in records:
            mine.add(record.id)
            listed.setdefault(record.id, set()).add(gateway)
    fetched = {gateway: len(records) for gateway, records in catalogs.items()}
    unique = {gateway: len(keys) for gateway, keys in keys_by_gateway.items()}
    return {
        "fetched": fetched,
        "unique": unique,
        "duplicates": {gateway: fetched[gateway] - unique[gateway] for gateway in catalogs},
        "total_unique": len(listed),
        "cross_gateway_duplicates": sum(len(gateways) - 1 for gateways in listed.values()),
        "shared": {gateway: sum(1 for k in keys if len(listed[k]) > 1) for gateway, keys in keys_by_gateway.items()},
        "overlap": {
            gateway: {other: len(keys & keys_by_gateway[other]) for other in catalogs if other != gateway}
            for gateway, keys in keys_by_gateway.items()
        },
    }


def best_of(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'records':>9}  {'baseline':>9}  {'merge()':>9}  {'ratio':>6}  {'merge µs/record':>15}")
    for size in args.sizes:
        catalogs = make_catalogs(size)
        expected = baseline(catalogs)
        stats = merge(catalogs).stats
        for field in expected:
            assert getattr(stats, field) == expected[field], f"merge() and the baseline disagree on {field}"
        plain = merged = float("inf")
        for _ in range(args.repeat):  # interleaved: a burst of load on the machine hits both
            plain = min(plain, best_of(functools.partial(baseline, catalogs), 1))
            merged = min(merged, best_of(functools.partial(merge, catalogs), 1))
        total = sum(len(records) for records in catalogs.values())
        print(f"{total:>9,}  {plain:>8.2f}s  {merged:>8.2f}s  {merged / plain:>5.1f}x  {merged / total * 1e6:>15.2f}")


if __name__ == "__main__":
    main()
