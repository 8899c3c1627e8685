"""Print the stack x scenario table of FetcherContract: each HTTP stack's correct fetcher and its buggy twin.

The fetchers are tests/fetcher_stacks.py's (httpx sync and async, httpx2, requests, aiohttp, urllib3, and
``HfApi().list_models()`` of the installed huggingface_hub). A cell reads ``pass 2 req`` (listing requests; the
waits asked for, virtual, in brackets, with the number of real sleeps measured while the scenario ran) or ``FAIL``
and the cause its message names. Nothing touches the network; every figure is measured by running the scenarios.
Run: ``.venv/bin/python scripts/fetcher_matrix.py`` (``--stack huggingface_hub`` for one stack's rows, as the
``tox -e hf0,hf1,hf2`` environments do for each huggingface_hub line).
"""

from __future__ import annotations

import argparse
import functools
import logging
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from catalog_guard import fetcher_checks
from catalog_guard.corpus import recorded_hub_models
from fetcher_stacks import STACKS, real_sleeps

CAUSES = (  # the cause a failure message names, most specific first
    ("which was never requested", "`Link` never followed"),
    ("ignores", "parameter ignored"),
    ("sent no request", "answered from a cache"),
    ("answered 4", "4xx"),
    ("answered 5", "5xx given up on"),
)
PACKAGE = {
    "httpx": "httpx",
    "httpx-async": "httpx",
    "httpx2": "httpx2",
    "requests": "requests",
    "aiohttp": "aiohttp",
    "urllib3": "urllib3",
    "huggingface_hub": "huggingface_hub",
}


def cell(result: fetcher_checks.ScenarioResult, slept_for_real: list[str]) -> str:
    pages = len(result.outcome.listing())
    real = f", {len(slept_for_real)} REAL SLEEPS" if slept_for_real else ""
    if result.passed:
        waits = f" [{sum(result.outcome.slept):g} s asked, {len(slept_for_real)} slept]" if result.outcome.slept else ""
        return f"pass {pages} req{waits}{real if not waits else ''}"
    message = result.violations[0].message
    for phrase, label in CAUSES:
        if phrase in message:
            return f"FAIL ({label}){real}"
    return f"FAIL{real}"


def measured(scenario: str, fetcher: Callable[[], Any], models: list[dict[str, Any]]) -> str:
    with real_sleeps() as slept_for_real:
        result = fetcher_checks.run_scenario(scenario, fetcher, models)
    return cell(result, slept_for_real)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", choices=sorted(STACKS), action="append", help="only this stack's rows")
    parser.add_argument("--no-header", action="store_true", help="rows only (to append to a table)")
    options = parser.parse_args()
    logging.disable(logging.WARNING)  # huggingface_hub logs each of its own retries
    models = recorded_hub_models()
    header = ["stack (version)", "fetcher", *fetcher_checks.SCENARIOS]
    if not options.no_header:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
    for stack, fetch in STACKS.items():
        if options.stack and stack not in options.stack:
            continue
        version = metadata.version(PACKAGE[stack])
        for label, fetcher in (("correct", fetch), ("stops after page 1", functools.partial(fetch, pages=1))):
            cells = [measured(s, fetcher, models) for s in fetcher_checks.SCENARIOS]
            print(f"| {stack} ({version}) | {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
