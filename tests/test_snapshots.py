"""The regression snapshots: figures the reference code computes from the recorded cassettes.

Every number in ``tests/__snapshots__/test_snapshots/`` is computed here by the library (replaying the corpus);
none is typed into a test. A re-recording that changes one is a reviewed change: ``pytest --snapshot-update``.
The synthetic corpus is also held to the universe it was recorded from (``test_synthetic_corpus_*``): the
generator's figures, recomputed from the universe, must equal the ones replayed from the cassettes, so a broken
generator or recorder cannot be accepted by updating a snapshot alone.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from catalog_guard import audit, corpus, hub, regressions
from catalog_guard import universe as u
from catalog_guard.history import HISTORY


def counts(singles: dict[str, Any]) -> dict[str, dict[str, int]]:
    result = {}
    for gateway, response in sorted(singles.items()):
        ids = [i for i in response.ids() if i]
        if response.status != 200:
            result[gateway] = {"status": response.status, "fetched": 0, "unique": 0}
            continue
        result[gateway] = {"status": response.status, "fetched": len(ids), "unique": len(set(ids))}
    return result


def test_counts_per_gateway_on_both_seed_days(snapshot_json: SnapshotAssertion) -> None:
    day_1 = counts(corpus.replay_observation("2025-10-17-seed-000").singles)
    day_2 = counts(corpus.replay_observation("2025-10-18-seed-003").singles)
    figures = {
        "2025-10-17 (seed 000)": {"gateways": day_1, "fetched": sum(c["fetched"] for c in day_1.values())},
        "2025-10-18 (seed 003)": {"gateways": day_2, "unique": sum(c["unique"] for c in day_2.values())},
    }
    assert figures == snapshot_json


def test_offset_progression_of_every_gateway_walk(snapshot_json: SnapshotAssertion) -> None:
    seen = corpus.replay_observation("current")
    assert seen.progression() == snapshot_json


def test_duplicate_counts(snapshot_json: SnapshotAssertion) -> None:
    current = corpus.replay_observation("current")
    figures: dict[str, Any] = {"current": {row.gateway: row.duplicates for row in audit.walk_rows(current)}}
    for name in HISTORY:
        past = corpus.replay_observation(name)
        figures[name] = {
            gateway: len(ids) - len(set(ids))
            for gateway, response in sorted(past.singles.items())
            if (ids := [i for i in response.ids() if i])
        }
    assert figures == snapshot_json


def test_hub_coverage_by_strategy(snapshot_json: SnapshotAssertion) -> None:
    truth = set(corpus.replay_hub("cursor").ids)
    figures = {}
    for strategy in hub.STRATEGIES:
        result = corpus.replay_hub(strategy)
        covered = len(set(result.ids) & truth)
        figures[strategy] = {
            "models": len(result.ids),
            "covered": covered,
            "of": len(truth),
            "coverage": f"{covered / len(truth):.1%}",
            "requests": result.requests,
            "complete": result.complete,
        }
    assert figures == snapshot_json


def test_seed_000_merge(snapshot_json: SnapshotAssertion) -> None:
    past = corpus.replay_observation("2025-10-17-seed-000")
    stats = audit.merge_singles(past.singles).stats
    focus = stats.focus
    assert focus is not None
    figures = {
        "fetched": stats.total_fetched,
        "unique": stats.total_unique,
        "huggingface": {
            "unique": focus.unique,
            "only_here": focus.only_here,
            "shared": focus.shared,
            "shared_with": dict(focus.shared_with),
        },
    }
    assert figures == snapshot_json


def test_the_seed_001_walk(snapshot_json: SnapshotAssertion) -> None:
    """Offset 0 gives 100 models starting with the seed's three, offset 100 gives exactly ``jhgan/ko-sbert-sts``."""
    walk = corpus.replay_observation("2025-10-18-seed-001").walks["huggingface"]
    pages = [[item["id"] for item in page.items] for page in walk.pages]
    figures = {"page_sizes": [len(p) for p in pages], "first_three": pages[0][:3], "after_100": pages[1]}
    assert figures == snapshot_json


def test_the_current_gateway_lists_every_model_once() -> None:
    seen = corpus.replay_observation("current")
    for gateway, walk in seen.walks.items():
        assert Counter(walk.ids).most_common(1)[0][1] == 1, gateway


def synthetic(*names: str) -> None:
    """Skip unless every cassette read is synthetic (judged per cassette: a re-record may be partly live)."""
    live = [name for name in names if corpus.is_live(name)]
    if live:
        pytest.skip(f"{', '.join(live)} recorded live: the seed figures are properties of the synthetic universe")


def test_synthetic_corpus_reproduces_the_universe_figures() -> None:
    synthetic("huggingface/cursor", "huggingface/sort-union", "huggingface/single")  # the history is always synthetic
    world = u.build()
    hub = u.hub_order(world.hub_models)
    likes = {m["id"] for m in u.hub_order(world.hub_models, "likes")[: u.TOP]}
    downloads = {m["id"] for m in u.hub_order(world.hub_models, "downloads")[: u.TOP]}
    assert corpus.replay_hub("cursor").ids == [m["id"] for m in hub]
    assert set(corpus.replay_hub("sort-union").ids) == likes | downloads
    assert corpus.replay_hub("single").ids == [m["id"] for m in hub[: u.TOP]]

    day_1 = world.catalogs[u.DAY_1]
    seed_top = {m["id"] for m in hub[: u.SEED_TOP]}
    union = seed_top.union(*({o.id for o in offers} for offers in day_1.values()))
    stats = audit.merge_singles(corpus.replay_observation("2025-10-17-seed-000").singles).stats
    assert stats.total_fetched == regressions.F1_MAX_TOTAL + sum(len(o) for o in day_1.values())
    assert stats.total_unique == len(union)


def test_synthetic_corpus_reproduces_the_seed_001_walk() -> None:
    synthetic("gateway/history/2025-10-18-seed-001")
    walk = corpus.replay_observation("2025-10-18-seed-001").walks["huggingface"]
    assert walk.page_sizes()[:2] == [regressions.F3_BATCH, 1]
    assert [item["id"] for item in walk.pages[1].items] == [u.KO_SBERT]
    assert tuple(item["id"] for item in walk.pages[0].items[: len(u.LIKES_HEAD)]) == u.LIKES_HEAD
