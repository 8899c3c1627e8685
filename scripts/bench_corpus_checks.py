"""Benchmark: the two checks the corpus tests run over every shipped file, each against its plain baseline.

Run: ``python scripts/bench_corpus_checks.py [--repeat 3]``. Prints the best of ``--repeat`` interleaved runs of
each side (so machine load hits both alike) and their ratio; the ratio is what docs/benchmarks.md records.
Nothing here is asserted in a test (tests/test_schemas_drift.py and tests/test_cassette_format.py hold the
results equal, not the times).

- ``schemas.drift`` of every recorded body that has a schema (608 bodies, among them the 50,000-entry seed-000
  listing) against tests/plain_drift.py's walk, which works out each location's applicable nodes afresh;
- ``scan_for_secrets`` of the shipped ``cassettes/`` against running every pattern over every line, as the
  scanner did before it looked only at lines holding a pattern's hint.

The corpus is synthesized from the project's fakes (docs/universe.md).
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from catalog_guard import corpus, schemas
from catalog_guard.cassettes import ScrubPolicy, scan_for_secrets
from catalog_guard.cassettes.scrub import CASSETTE_SUFFIXES
from plain_drift import plain_drift


def bodies(directory: Path) -> list[tuple[str, Any]]:
    found = []
    for name in corpus.MANIFEST:
        for interaction in corpus.read_cassette(corpus.cassette_path(name, directory)).interactions:
            schema = corpus.body_schema(interaction.method, interaction.uri, interaction.status)
            if schema is not None:
                found.append((schema, interaction.parsed))
    return found


def line_by_line_scan(directory: Path, policy: ScrubPolicy) -> list[tuple[Path, int, str]]:
    """Every pattern over every line (the known values searched in the whole text first, as before)."""
    found = []
    for file in sorted(p for p in directory.rglob("*") if p.suffix in CASSETTE_SUFFIXES):
        text = file.read_text(encoding="utf-8", errors="replace")
        known_values = bool(policy.redactor.findings(text))
        for number, line in enumerate(io.StringIO(text), start=1):
            found += [(file, number, what) for what in policy.findings_in(line, known_values=known_values)]
    return found


def best_of(repeat: int, sides: dict[str, Callable[[], Any]]) -> dict[str, float]:
    best = dict.fromkeys(sides, float("inf"))
    answers: dict[str, Any] = {}
    for _ in range(repeat):
        for label, run in sides.items():
            start = time.perf_counter()
            answers[label] = run()
            best[label] = min(best[label], time.perf_counter() - start)
    first, *others = answers.values()
    if any(other != first for other in others):
        raise SystemExit(f"the two sides disagree: {', '.join(sides)}")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    directory = corpus.find_cassettes_dir(environ={})
    judged = bodies(directory)
    policy = ScrubPolicy()
    rows = {
        f"drift of {len(judged)} bodies": best_of(
            args.repeat,
            {
                "baseline": lambda: [plain_drift(body, schema) for schema, body in judged],
                "now": lambda: [schemas.drift(body, schema) for schema, body in judged],
            },
        ),
        "scan_for_secrets(cassettes/)": best_of(
            args.repeat,
            {
                "baseline": lambda: line_by_line_scan(directory, policy),
                "now": lambda: [(f.file, f.line, f.what) for f in scan_for_secrets(directory, policy=policy)],
            },
        ),
    }
    print(f"{'':34} {'baseline':>9} {'now':>8} {'ratio':>7}")
    for label, best in rows.items():
        print(f"{label:34} {best['baseline']:8.2f}s {best['now']:7.2f}s {best['baseline'] / best['now']:6.1f}x")


if __name__ == "__main__":
    main()
