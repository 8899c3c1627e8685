"""Print the stack x scenario table of FetcherContract: each HTTP stack's correct fetcher and its buggy twin.

The fetchers are tests/fetcher_stacks.py's (httpx sync and async, httpx2, requests, aiohttp, urllib3, and
``HfApi().list_models()`` of the installed huggingface_hub). A cell reads ``pass 2 req`` (listing requests; the
waits asked for, virtual, in brackets) or ``FAIL`` and the cause its message names. Nothing touches the network;
every figure is measured by running the scenarios. Run: ``.venv/bin/python scripts/fetcher_matrix.py``.
"""

from __future__ import annotations

import functools
import logging
import sys
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from catalog_guard import fetcher_checks
from catalog_guard.corpus import recorded_hub_models
from fetcher_stacks import STACKS

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


def cell(result: fetcher_checks.ScenarioResult) -> str:
    pages = len(result.outcome.listing())
    if result.passed:
        waits = f" [{sum(result.outcome.slept):g} s asked, 0 slept]" if result.outcome.slept else ""
        return f"pass {pages} req{waits}"
    message = result.violations[0].message
    for phrase, label in CAUSES:
        if phrase in message:
            return f"FAIL ({label})"
    return "FAIL"


def main() -> None:
    logging.disable(logging.WARNING)  # huggingface_hub logs each of its own retries
    models = recorded_hub_models()
    header = ["stack (version)", "fetcher", *fetcher_checks.SCENARIOS]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for stack, fetch in STACKS.items():
        version = metadata.version(PACKAGE[stack])
        for label, fetcher in (("correct", fetch), ("stops after page 1", functools.partial(fetch, pages=1))):
            cells = [cell(fetcher_checks.run_scenario(s, fetcher, models)) for s in fetcher_checks.SCENARIOS]
            print(f"| {stack} ({version}) | {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
