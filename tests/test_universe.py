"""The synthetic universe reproduces the seed reports' figures, and is byte-for-byte deterministic."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys

from catalog_guard import universe as u


def digest(universe: u.Universe) -> str:
    data = {
        "hub": universe.hub_models,
        "catalogs": {
            day: {g: [dataclasses.asdict(o) for o in offers] for g, offers in c.items()}
            for day, c in universe.catalogs.items()
        },
        "drift": universe.drift,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def test_same_seed_same_bytes_across_processes() -> None:
    code = "from catalog_guard import universe as u; from tests.test_universe import digest; print(digest(u.build()))"
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("0", "1")
    }
    assert outputs == {digest(u.build())}


def test_another_seed_another_universe_same_figures() -> None:
    other = u.build(7)
    assert digest(other) != digest(u.build())
    assert len(u.hub_order(other.hub_models)) == u.HUB_TOTAL


def test_hub_filtered_listing_and_sort_overlap() -> None:
    models = u.build().hub_models
    listing = u.hub_order(models)
    assert len(listing) == u.HUB_TOTAL
    assert len(models) == u.HUB_TOTAL + u.HUB_OTHER_PROVIDERS  # the filter matters
    likes = {m["id"] for m in u.hub_order(models, "likes")[: u.TOP]}
    downloads = {m["id"] for m in u.hub_order(models, "downloads")[: u.TOP]}
    assert len(likes & downloads) == u.LIKES_DOWNLOADS_OVERLAP
    assert len(likes | downloads) == 2 * u.TOP - u.LIKES_DOWNLOADS_OVERLAP


def test_named_models_stand_where_the_seeds_saw_them() -> None:
    models = u.build().hub_models
    trending = [m["id"] for m in u.hub_order(models)]
    likes = [m["id"] for m in u.hub_order(models, "likes")]
    assert tuple(trending[: len(u.TRENDING_HEAD)]) == u.TRENDING_HEAD
    assert tuple(likes[: len(u.LIKES_HEAD)]) == u.LIKES_HEAD
    assert likes[u.SEED_TOP] == u.LIKES_RANK_101
    assert set(u.HUB_ONLY_NAMED) | set(u.SHARED_NAMED) <= set(trending[: u.SEED_TOP])


def test_hub_objects_are_well_formed() -> None:
    models = u.build().hub_models
    ids = [m["_id"] for m in models]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 24 and int(i, 16) >= 0 for i in ids)
    assert len({m["id"] for m in models}) == len(models)
    for key in ("likes", "downloads", "trendingScore"):
        served = [m[key] for m in u.hub_order(models, key)]
        assert len(set(served)) == len(served), f"{key} values must be distinct so every order is exact"


def test_drift_moves_ko_sbert_into_the_top_100_likes() -> None:
    universe = u.build()
    models = [dict(m) for m in universe.hub_models]
    before = [m["id"] for m in u.hub_order(models, "likes")[: u.SEED_TOP]]
    for model in models:
        for field, delta in universe.drift[1].get(model["id"], {}).items():
            model[field] += delta
    after = [m["id"] for m in u.hub_order(models, "likes")[: u.SEED_TOP]]
    assert set(after) - set(before) == {u.KO_SBERT}


def test_day_counts_and_the_seed_000_merge() -> None:
    universe = u.build()
    day_1, day_2 = universe.catalogs[u.DAY_1], universe.catalogs[u.DAY_2]
    assert {g: len(o) for g, o in day_1.items()} == u.DAY_1_COUNTS
    assert {g: len(o) for g, o in day_2.items()} == u.DAY_2_COUNTS
    for catalogs in (day_1, day_2):
        for gateway, offers in catalogs.items():
            assert len({o.id for o in offers}) == len(offers), f"{gateway} lists a model twice"
    top = {m["id"] for m in u.hub_order(universe.hub_models)[: u.SEED_TOP]}
    union = top.union(*({o.id for o in offers} for offers in day_1.values()))
    shared = {g: len(top & {o.id for o in offers}) for g, offers in day_1.items()}
    expected_union = (
        len(top)
        + sum(u.DAY_1_COUNTS.values())
        - sum(len(g) for g in [*u.SHARED_NAMED.values(), *u.SHARED_INVENTED])
        - sum(u.PAIR_OVERLAPS.values())
    )
    assert len(union) == expected_union
    assert {g: n for g, n in shared.items() if n} == {"deepinfra": 10, "together": 5, "chutes": 5}


def test_g12_pair_is_present_and_distinct() -> None:
    day_1 = u.build().catalogs[u.DAY_1]
    ids = {o.id for offers in day_1.values() for o in offers}
    assert set(u.G12_PAIR) <= ids
