"""Benchmark: where the CPU of the regression gallery goes, per phase, over every mode in one process.

Run: ``.venv/bin/python scripts/bench_gallery.py``. Prints the process CPU seconds spent building each mode's
gateway (its state: the fetcher regressions run their buggy fetcher against the fake Hub or provider), inside the
fake gateway's handler (the server side of every request), in the rest of the observation (the client: requests,
decoding, paging) and in the checks. Nothing here is asserted in a test.

It measures one side of a comparison: to compare two versions, run it from each checkout in turn, e.g. with
``PYTHONPATH=<other checkout>/src`` (which comes before the editable install) for the baseline, and write both
lines and their ratio into docs/benchmarks.md. The phases are what tests/test_gallery.py pays in its 37 in-process
contract sessions, without pytest's own cost per session.
"""

from __future__ import annotations

import dataclasses
import time

import httpx

from catalog_guard import checks, gallery, truth
from catalog_guard.fakes.transport import Handler
from catalog_guard.observe import observe_target


def main() -> None:
    context = truth.recorded_context()
    spent = {"build": 0.0, "gateway handler": 0.0, "rest of the observation": 0.0, "checks": 0.0}
    for name in gallery.MODES:
        started = time.process_time()
        target = gallery.MODES[name].target()
        built = time.process_time()
        spent["build"] += built - started
        handler = target.handler
        assert handler is not None
        inside = [0.0]

        def timed(request: httpx.Request, handler: Handler = handler, inside: list[float] = inside) -> httpx.Response:
            begun = time.process_time()
            try:
                return handler(request)
            finally:
                inside[0] += time.process_time() - begun

        observation = observe_target(dataclasses.replace(target, handler=timed))
        observed = time.process_time()
        spent["gateway handler"] += inside[0]
        spent["rest of the observation"] += observed - built - inside[0]
        checks.run_checks(observation, context)
        spent["checks"] += time.process_time() - observed
    print(f"{len(gallery.MODES)} modes, process CPU seconds:")
    for phase, seconds in spent.items():
        print(f"  {phase:<26} {seconds:6.2f}")
    print(f"  {'total':<26} {sum(spent.values()):6.2f}")


if __name__ == "__main__":
    main()
