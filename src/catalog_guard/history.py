"""The seed days' historical deployments: which gateway ran on which day, with which fetcher and endpoint bugs.

A table of facts, kept low so that everything that names a deployment can read it: the corpus's manifest (one
``gateway/history/<name>`` recording each), the recorded audit (what the gate would have said of each), the
recorder (each cassette's provenance note) and the gallery, which rebuilds each deployment as a fake gateway
(:func:`catalog_guard.gallery.historical_gateway`). Past deployments cannot be visited again, so their
recordings are synthetic: the fetcher they ran (a gallery code, F1-F10) over the fake Hub of their day, with the
endpoint regressions (G1-G13) they had.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalog_guard import universe


@dataclass(frozen=True)
class HistoricalState:
    """A deployment the seed reports saw: its ``day`` of the universe, the ``fetcher`` it ran and the endpoint
    ``regressions`` it had (gallery mode names), and the report it is known from (``source``)."""

    name: str
    day: str
    fetcher: str
    regressions: tuple[str, ...]
    source: str


#: Every historical deployment, by name, in the order the seed days saw them.
HISTORY: dict[str, HistoricalState] = {
    state.name: state
    for state in (
        HistoricalState("2025-10-17-seed-000", universe.DAY_1, "F1", (), "seed 000: 50,000 entries, 100 unique"),
        HistoricalState("2025-10-18-seed-001", universe.DAY_2, "F3", (), "seed 001: 101 models"),
        HistoricalState("2025-10-18-seed-002", universe.DAY_2, "F4", (), "seed 002: 1,000 models"),
        HistoricalState(
            "2025-10-18-seed-003-before-fix",
            universe.DAY_2,
            "F2",
            ("G1", "G13"),
            "seed 003, the morning: 404 for huggingface and hug, chat completions 404",
        ),
        HistoricalState("2025-10-18-seed-003", universe.DAY_2, "F2", (), "seed 003: 100 models, 1,043 in all"),
        HistoricalState("2025-10-18-seed-004", universe.DAY_2, "F5", (), "seed 004: 1,204 models"),
    )
}
