"""Compute a value once per pytest run, even when pytest-xdist spreads one class's tests over several workers.

Under ``pytest -n N`` the default distribution hands the 13 tests of a ``GatewayContract`` class to whichever
worker is free, and a class-scoped fixture runs once *per worker*: every worker walked the whole gateway again
(18 tests, ``-n 2``: 15 s against 5 s serially). :func:`once_per_run` makes the first worker that needs the
value compute it under a file lock and leave it, pickled, in the directory all workers of the run share
(pytest-xdist's documented recipe: the parent of ``tmp_path_factory.getbasetemp()``); the others wait on the
lock and load it. Without xdist (or without ``fcntl``, or with ``CATALOG_GUARD_WORKER_CACHE=0``, the switch
scripts/bench_contract.py measures the difference with) it just computes the value.

Why not ``xdist_group`` marks: they only act under ``--dist loadgroup``, which the team running the suite may
not pass; the file cache works under every distribution mode. Why not the ``filelock`` package: ``fcntl.flock``
is the few lines needed, and a lock held by a worker that dies is released by the kernel. The pickles are
written and read by the workers of one run in that run's own temporary directory; nothing else reads them.
The wait has a bound: the computing worker's own deadlines (the observation's budget and timeouts).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")

_DIR = "catalog-guard-once"
SWITCH = "CATALOG_GUARD_WORKER_CACHE"


def once_per_run(
    config: pytest.Config, tmp_path_factory: pytest.TempPathFactory, key: str, compute: Callable[[], T]
) -> T:
    """``compute()``, or the value another worker of this run computed for the same ``key``.

    A ``compute`` that raises leaves nothing behind: the next worker computes (and fails) on its own, as a
    serial run would report the same failure for every test of the class.
    """
    # Not an xdist worker: an in-process pytester session inherits the worker's environment, not its config.
    if not hasattr(config, "workerinput") or os.environ.get(SWITCH) == "0":
        return compute()
    root = tmp_path_factory.getbasetemp().parent / _DIR
    root.mkdir(exist_ok=True)
    name = hashlib.sha256(key.encode()).hexdigest()[:32]
    stored = root / f"{name}.pickle"
    with _locked(root / f"{name}.lock"):
        if stored.exists():
            value: T = pickle.loads(stored.read_bytes())
            return value
        value = compute()
        partial = stored.with_suffix(".partial")
        partial.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        partial.replace(stored)
        return value


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # not POSIX: every worker computes its own, as before
        yield
        return
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
