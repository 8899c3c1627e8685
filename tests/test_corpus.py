"""The shipped corpus (``cassettes/``): it replays offline and completely, says it is synthetic, validates against
the schemas, holds no secret, and carries the universe's figures.

Every figure is computed here from the universe (``universe.build()``) or read from the cassettes by the
reference code; none is typed in. Each check on the files also has a case where it must fail, run on a tampered
copy in a temporary directory (the real ``cassettes/`` is only ever read).
"""

from __future__ import annotations

import collections
import json
import re
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest

from catalog_guard import checks, corpus, gallery, schemas, universe
from catalog_guard.cassettes import CassetteError, ScrubPolicy, scan_for_secrets
from catalog_guard.providers import GATEWAY_SPECS
from catalog_guard.recorder import body_problems

SHIPPED = corpus.find_cassettes_dir(environ={})
NAMES = list(corpus.MANIFEST)


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to reach the network fails loudly: a replay must be answered by the cassette alone."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a replay tried to open a socket")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def world() -> universe.Universe:
    return universe.build()


# ------------------------------------------------------------------------------------------------ completeness


def test_every_recording_has_its_cassette_and_every_cassette_a_recording() -> None:
    files = {path.relative_to(SHIPPED).with_suffix("").as_posix() for path in corpus.cassette_files(SHIPPED)}
    assert files == set(NAMES)
    assert corpus.cassette_path(corpus.BASELINE, SHIPPED).is_file()


def test_the_manifest_covers_the_issue() -> None:
    groups = collections.Counter(recording.group for recording in corpus.MANIFEST.values())
    assert groups[corpus.PROVIDERS] == len(GATEWAY_SPECS)
    history = [name for name in NAMES if name.startswith("gateway/history/")]
    assert history == [f"gateway/history/{state}" for state in gallery.HISTORY]
    assert {f"huggingface/{s}" for s in ("cursor", "sort-union", "single", "quirks")} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_replays_offline_with_every_interaction_played(name: str, no_sockets: None) -> None:
    # use_cassette (record mode none) raises CassetteError for an unmatched request and for unplayed interactions.
    result = corpus.replay(name, SHIPPED)
    check = corpus.MANIFEST[name].check(result)
    assert check is None, check


def test_a_stale_cassette_fails_as_partly_unplayed(tmp_path: Path, no_sockets: None) -> None:
    target = corpus.cassette_path("huggingface/quirks", tmp_path)
    target.parent.mkdir(parents=True)
    document = json.loads(corpus.cassette_path("huggingface/quirks", SHIPPED).read_text())
    extra = json.loads(json.dumps(document["interactions"][0]))
    extra["request"]["uri"] += "&stale=1"
    document["interactions"].append(extra)
    target.write_text(json.dumps(document))
    with pytest.raises(CassetteError, match="never played"):
        corpus.replay("huggingface/quirks", tmp_path)


def test_a_missing_cassette_names_the_command_that_records_it(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match=r"catalog-guard record --only providers/groq"):
        corpus.replay("providers/groq", tmp_path)


# ------------------------------------------------------------------------------------------------ provenance


@pytest.mark.parametrize("name", NAMES)
def test_every_cassette_says_it_is_synthetic(name: str) -> None:
    provenance = corpus.provenance_of(name, SHIPPED)
    assert provenance["kind"] == "synthetic"
    assert provenance["seed"] == universe.DEFAULT_SEED
    assert provenance["generator"] == universe.GENERATOR
    assert provenance["generator_version"] == universe.GENERATOR_VERSION
    assert provenance["hosts"] == [corpus.MANIFEST[name].host]
    assert schemas.validate(provenance, "cassette/provenance.json") == []


def test_the_baseline_carries_the_current_recordings_provenance() -> None:
    document = json.loads(corpus.cassette_path(corpus.BASELINE, SHIPPED).read_text())
    assert document["provenance"] == corpus.provenance_of("gateway/current", SHIPPED)
    assert schemas.validate(document["provenance"], "cassette/provenance.json") == []


def test_a_provenance_without_seed_fails_the_schema() -> None:
    provenance = corpus.provenance_of("providers/groq", SHIPPED)
    del provenance["seed"]
    assert schemas.validate(provenance, "cassette/provenance.json") != []


# ------------------------------------------------------------------------------------------------ schemas


@pytest.mark.parametrize("name", NAMES)
def test_every_recorded_body_validates_and_drift_is_reported(name: str) -> None:
    path = corpus.cassette_path(name, SHIPPED)
    assert body_problems(path) == []
    drift: collections.Counter[tuple[str, str]] = collections.Counter()
    validated = 0
    for interaction in corpus.read_cassette(path).interactions:
        schema = corpus.body_schema(interaction.method, interaction.uri, interaction.status)
        if schema is None:
            continue
        validated += 1
        for field in schemas.drift(interaction.json(), schema):
            drift[(schema, re.sub(r"\[\d+\]", "[*]", field))] += 1
    assert validated > 0
    for (schema, field), count in sorted(drift.items()):  # reported, not failed: upstreams add fields
        print(f"drift in {name}: {field} not named by {schema} ({count:,} times)")


def test_a_body_that_breaks_its_schema_is_found(tmp_path: Path) -> None:
    document = json.loads(corpus.cassette_path("providers/groq", SHIPPED).read_text())
    lines = document["interactions"][0]["response"]["body_lines"]
    row = json.loads(lines[1].rstrip(","))
    row["id"] = 42
    lines[1] = json.dumps(row, separators=(",", ":")) + ","
    tampered = tmp_path / "groq.json"
    tampered.write_text(json.dumps(document))
    problems = body_problems(tampered)
    assert len(problems) == 1
    assert "providers/groq.json" in problems[0]


@pytest.mark.parametrize(
    ("uri", "status", "expected"),
    [
        ("https://huggingface.co/api/models?inference_provider=hf-inference&full=true&limit=1000", 200, "#full"),
        ("https://huggingface.co/api/models?limit=100&offset=0", 200, "#default"),
        ("https://huggingface.co/api/models?expand=downloads&expand=likes&limit=10", 200, "#expand"),
        ("https://huggingface.co/api/models?sort=trending", 400, None),
        ("https://generativelanguage.googleapis.com/v1beta/models?pageSize=50", 200, "providers/google.json"),
        ("https://gateway.catalog-guard.test/v1/models?gateway=all&limit=100&offset=0", 200, "models-response"),
        ("https://gateway.catalog-guard.test/v1/models?gateway=hug&limit=100&offset=0", 404, None),
    ],
)
def test_body_schema_picks_the_schema_of_each_upstream(uri: str, status: int, expected: str | None) -> None:
    schema = corpus.body_schema("GET", uri, status)
    if expected is None:
        assert schema is None
    else:
        assert schema is not None
        assert expected in schema


# ------------------------------------------------------------------------------------------------ secrets


def test_the_secret_scanner_finds_nothing_in_the_corpus() -> None:
    # The default policy: every token shape, plus the secrets of this environment's *_TOKEN / *_KEY variables.
    assert scan_for_secrets(SHIPPED, policy=ScrubPolicy()) == []


# ------------------------------------------------------------------------------------------------ figures


def test_recorded_truth_has_the_universes_sizes(no_sockets: None) -> None:
    built = world()
    truth = corpus.recorded_truth(cassettes_dir=SHIPPED)
    expected = {"huggingface": len(universe.hub_order(built.hub_models))}
    expected |= {name: len(offers) for name, offers in built.catalogs[universe.DAY_1].items()}
    assert {name: len(ids) for name, ids in truth.items()} == expected


def test_recorded_truth_holds_the_hub_listing_and_each_catalog(no_sockets: None) -> None:
    built = world()
    truth = corpus.recorded_truth(cassettes_dir=SHIPPED)
    assert truth["huggingface"] == {m["id"] for m in universe.hub_order(built.hub_models)}
    assert truth["groq"] == {offer.id for offer in built.catalogs[universe.DAY_1]["groq"]}


def test_the_broken_strategies_have_the_seed_figures(no_sockets: None) -> None:
    built = world()
    single = corpus.replay_hub("single", cassettes_dir=SHIPPED)
    union = corpus.replay_hub("sort-union", cassettes_dir=SHIPPED)
    likes = [m["id"] for m in universe.hub_order(built.hub_models, "likes")][: universe.TOP]
    downloads = [m["id"] for m in universe.hub_order(built.hub_models, "downloads")][: universe.TOP]
    assert len(single.ids) == universe.TOP
    assert single.truncated
    assert not single.complete
    assert set(union.ids) == set(likes) | set(downloads)
    assert union.truncated


def test_google_is_recorded_across_page_tokens_and_featherless_in_one_list(no_sockets: None) -> None:
    google = corpus.replay_provider("google", cassettes_dir=SHIPPED)
    featherless = corpus.replay_provider("featherless", cassettes_dir=SHIPPED)
    assert len(google.walk.pages) >= 2
    assert len(featherless.walk.pages) == 1
    assert len(featherless.models()) == len(world().catalogs[universe.DAY_1]["featherless"])


def test_the_baseline_is_the_unique_count_of_each_current_walk(no_sockets: None) -> None:
    seen = corpus.replay_observation("current", cassettes_dir=SHIPPED)
    baseline = corpus.recorded_baseline(cassettes_dir=SHIPPED)
    assert baseline == {name: len(set(walk.ids)) for name, walk in seen.walks.items()}
    truth = corpus.recorded_truth(cassettes_dir=SHIPPED)
    assert baseline == {name: len(ids) for name, ids in truth.items()}


def test_the_recorded_context_judges_the_current_gateway_clean(no_sockets: None) -> None:
    context = corpus.recorded_context(cassettes_dir=SHIPPED)
    seen = corpus.replay_observation("current", cassettes_dir=SHIPPED)
    failed = [result.summary() for result in checks.run_checks(seen, context) if not result.passed]
    assert failed == []


def test_seed_000_is_recorded_with_its_50000_entries(no_sockets: None) -> None:
    name = next(state for state in gallery.HISTORY if state.endswith("seed-000"))
    seen = corpus.replay_observation(name, cassettes_dir=SHIPPED)
    listing = gallery.hub_listing(gallery.HISTORY[name].fetcher)
    hub = seen.singles["huggingface"]
    assert hub.status == 200
    assert len(hub.items) == len(listing) == corpus.HISTORY_LIMIT
    assert len({item["id"] for item in hub.items}) == len({model["id"] for model in listing})


def test_recorded_hub_models_carry_the_filter_that_produced_them(no_sockets: None) -> None:
    models = corpus.recorded_hub_models(cassettes_dir=SHIPPED)
    assert [m["id"] for m in models] == corpus.replay_hub("cursor", cassettes_dir=SHIPPED).ids
    assert all(universe.served_by(model, "hf-inference") for model in models)
    assert all(schemas.validate(model, "hub/model.json#full") == [] for model in models[:50])


# ------------------------------------------------------------------------------------------------ quirks


def test_the_quirks_cassette_shows_offset_ignored_and_trending_refused(no_sockets: None) -> None:
    quirks = corpus.replay_quirks(cassettes_dir=SHIPPED)
    assert set(quirks.offset_statuses.values()) == {200}
    first = quirks.offset_ids[0]
    assert len(first) == corpus.QUIRK_PAGE
    assert all(quirks.offset_ids[offset] == first for offset in corpus.QUIRK_OFFSETS)
    assert quirks.bad_sort_status == 400
    assert "sort" in quirks.bad_sort_error
    assert quirks.expand_status == 200
    assert len(quirks.expand_items) == corpus.QUIRK_EXPAND_LIMIT
    assert all(set(item) <= {"_id", "id", *corpus.QUIRK_EXPAND} for item in quirks.expand_items)


def test_the_quirks_cassette_holds_the_requests_it_claims() -> None:
    recorded = corpus.read_cassette(corpus.cassette_path("huggingface/quirks", SHIPPED)).interactions
    uris = [interaction.uri for interaction in recorded]
    assert [u for u in uris if "offset=" in u] == [
        f"https://huggingface.co/api/models?inference_provider=hf-inference&limit=100&offset={offset}"
        for offset in corpus.QUIRK_OFFSETS
    ]
    assert any("sort=trending" in u for u in uris)
    assert any("expand=downloads&expand=likes&limit=10" in u for u in uris)


def test_a_hub_that_honours_offset_would_show_in_the_quirks(tmp_path: Path, no_sockets: None) -> None:
    """The failing case of the quirks test: a cassette whose offset=100 page differs is read as such."""
    shutil.copytree(SHIPPED / "huggingface", tmp_path / "huggingface")
    path = corpus.cassette_path("huggingface/quirks", tmp_path)
    document = json.loads(path.read_text())
    second = next(i for i in document["interactions"] if i["request"]["uri"].endswith("offset=100"))
    second["response"]["body_lines"] = ["[", second["response"]["body_lines"][2].rstrip(","), "]"]
    path.write_text(json.dumps(document))
    quirks = corpus.replay("huggingface/quirks", tmp_path)
    assert quirks.offset_ids[100] != quirks.offset_ids[0]
