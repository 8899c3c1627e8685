"""The shipped corpus (``cassettes/``): it replays offline and completely, says what it is (synthetic or live),
validates against the schemas, holds no secret, and (where synthetic) carries the universe's figures.

Every figure is computed here from the universe (``universe.build()``) or read from the cassettes by the
reference code; none is typed in. Each check on the files also has a case where it must fail, run on a tampered
copy in a temporary directory (the real ``cassettes/`` is only ever read).

A comparison with the synthetic universe only holds for a synthetic cassette. After ``catalog-guard record``
against the real services a cassette says ``kind: live``, and such a test skips *for that cassette*
(:func:`synthetic_only`), so a partly live corpus is judged cassette by cassette: the live ones by the contract
(replay, schemas, secrets, provenance, quirks), the synthetic ones also by the universe. The history cassettes
are always synthetic (past deployments cannot be visited again).
"""

from __future__ import annotations

import collections
import json
import shutil
import warnings
from pathlib import Path

import pytest

import live_corpus
from catalog_guard import checks, corpus, gallery, gateways, recorder, schemas, universe
from catalog_guard.cassettes import CassetteError, ScrubPolicy, live_provenance, scan_for_secrets, synthetic_provenance
from catalog_guard.errors import IncompleteCatalogError
from catalog_guard.fakes.providers import make_fake
from catalog_guard.history import HISTORY
from catalog_guard.providers import GATEWAY_SPECS
from catalog_guard.recorder import body_problems
from catalog_guard.truth import recorded_context

SHIPPED = corpus.find_cassettes_dir(environ={})
NAMES = list(corpus.MANIFEST)
#: The cassette each upstream's truth is read from.
TRUTH = {gateways.HUGGINGFACE: "huggingface/cursor", **{name: f"providers/{name}" for name in GATEWAY_SPECS}}


def synthetic_only(*names: str, directory: Path = SHIPPED) -> None:
    """Skip unless every named cassette is synthetic: what follows compares it with the synthetic universe, and a
    recording of the real service is not made of that (it is still judged by every contract test)."""
    live = [name for name in names if corpus.is_live(name, directory)]
    if live:
        pytest.skip(f"{', '.join(live)} recorded live: compared with the synthetic universe only while synthetic")


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
    assert history == [f"gateway/history/{state}" for state in HISTORY]
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


def provenance_problems(name: str, directory: Path = SHIPPED) -> list[str]:
    """What is wrong with a cassette's account of itself: it must be ``synthetic`` (with this universe's generator,
    version and seed) or ``live`` (with ``recorded_at`` and its host), never missing, and a past deployment is
    never live."""
    provenance = corpus.provenance_of(name, directory)
    recording = corpus.MANIFEST[name]
    problems = [f"schema: {violation}" for violation in schemas.validate(provenance, "cassette/provenance.json")]
    kind = provenance.get("kind")
    if kind == "synthetic":
        expected = {
            "generator": universe.GENERATOR,
            "generator_version": universe.GENERATOR_VERSION,
            "seed": universe.DEFAULT_SEED,
        }
        problems += [
            f"{key} is {provenance.get(key)!r}, expected {value!r}"
            for key, value in expected.items()
            if provenance.get(key) != value
        ]
    elif kind == "live":
        if not recording.live:
            problems.append(f"{name} exists only as a synthetic recording, yet says it is live")
        if not provenance.get("recorded_at"):
            problems.append("a live cassette without recorded_at")
    else:
        problems.append(f"kind is {kind!r}: a cassette must say it is synthetic or live")
    if provenance.get("hosts") != [recording.host]:
        problems.append(f"hosts are {provenance.get('hosts')!r}, expected {[recording.host]!r}")
    return problems


@pytest.mark.parametrize("name", NAMES)
def test_every_cassette_says_what_it_is(name: str) -> None:
    assert provenance_problems(name) == []


def test_a_cassette_that_does_not_say_what_it_is_is_found(tmp_path: Path) -> None:
    shutil.copytree(SHIPPED / "providers", tmp_path / "providers")
    path = corpus.cassette_path("providers/groq", tmp_path)
    document = json.loads(path.read_text())
    del document["provenance"]["kind"]
    path.write_text(json.dumps(document))
    assert any(
        "must say it is synthetic or live" in problem for problem in provenance_problems("providers/groq", tmp_path)
    )
    document["provenance"] = live_provenance(["api.groq.com"], "2025-11-20T12:00:00Z")
    del document["provenance"]["recorded_at"]
    path.write_text(json.dumps(document))
    assert "a live cassette without recorded_at" in provenance_problems("providers/groq", tmp_path)


def test_the_baseline_carries_the_current_recordings_provenance() -> None:
    document = json.loads(corpus.cassette_path(corpus.BASELINE, SHIPPED).read_text())
    assert document["provenance"] == corpus.provenance_of("gateway/current", SHIPPED)
    assert schemas.validate(document["provenance"], "cassette/provenance.json") == []


def test_a_provenance_without_seed_fails_the_schema() -> None:
    provenance = synthetic_provenance(universe.DEFAULT_SEED, universe.GENERATOR, universe.GENERATOR_VERSION, ["x.test"])
    assert schemas.validate(provenance, "cassette/provenance.json") == []
    del provenance["seed"]
    assert schemas.validate(provenance, "cassette/provenance.json") != []


# ------------------------------------------------------------------------------------------------ schemas


@pytest.mark.parametrize("name", NAMES)
def test_every_recorded_body_validates_and_drift_is_reported(name: str) -> None:
    cassette = corpus.read_cassette(corpus.cassette_path(name, SHIPPED))  # read and each body decoded once
    assert body_problems(cassette) == []
    assert any(corpus.body_schema(i.method, i.uri, i.status) for i in cassette.interactions), "no body has a schema"
    # Reported, not failed (upstreams add fields): a SchemaDriftWarning per unnamed field, in the warnings summary.
    corpus.warn_drift(name, cassette=cassette)


def test_a_drifted_body_is_reported_as_a_warning_that_is_not_an_error(tmp_path: Path) -> None:
    shutil.copytree(SHIPPED / "providers", tmp_path / "providers")
    path = corpus.cassette_path("providers/groq", tmp_path)
    document = json.loads(path.read_text())
    lines = document["interactions"][0]["response"]["body_lines"]
    for index in (1, 2):
        row = json.loads(lines[index].rstrip(","))
        row["served_from_the_moon"] = True
        lines[index] = json.dumps(row, separators=(",", ":")) + ","
    path.write_text(json.dumps(document))
    assert body_problems(path) == []  # an unknown field is allowed ...
    # ... and reported under the suite's own warning filters (record=True keeps them): an "error" filter for
    # SchemaDriftWarning in the pytest configuration would raise here.
    with warnings.catch_warnings(record=True) as caught:
        drift = corpus.warn_drift("providers/groq", tmp_path)
    assert drift == {("providers/groq.json", "$.data[*].served_from_the_moon"): 2}
    [warning] = [w for w in caught if issubclass(w.category, schemas.SchemaDriftWarning)]
    assert str(warning.message) == (
        "drift in providers/groq: $.data[*].served_from_the_moon is not named by providers/groq.json (2 times)"
    )


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


def universe_listing(upstream: str) -> list[str]:
    """The ids the universe's fake of ``upstream`` lists, in order (Google's as ``models/...``)."""
    built = world()
    if upstream == gateways.HUGGINGFACE:
        return [model["id"] for model in universe.hub_order(built.hub_models)]
    return make_fake(upstream, built.catalogs[universe.DAY_1][upstream]).ids


def check_truth_is_the_universes(upstream: str, directory: Path = SHIPPED) -> None:
    """The recorded truth of ``upstream`` is the universe's listing, size and ids (skips for a live cassette)."""
    synthetic_only(TRUTH[upstream], directory=directory)
    truth = corpus.recorded_truth(cassettes_dir=directory)[upstream]
    expected = universe_listing(upstream)
    assert len(truth) == len(expected)
    assert truth == set(expected)


@pytest.mark.parametrize("upstream", TRUTH)
def test_recorded_truth_is_the_universes_listing(upstream: str, no_sockets: None) -> None:
    check_truth_is_the_universes(upstream)


def test_a_live_provider_cassette_is_judged_as_live_and_its_neighbours_still_by_the_universe(
    tmp_path: Path, no_sockets: None
) -> None:
    directory = live_corpus.copy_corpus(tmp_path / "cassettes")
    live_corpus.record_live(directory, "providers/groq")
    assert corpus.is_live("providers/groq", directory)
    assert provenance_problems("providers/groq", directory) == []  # it says what it is
    truth = corpus.recorded_truth(cassettes_dir=directory)
    assert truth["groq"] == {offer.id for offer in live_corpus.real_offers("groq")}  # the real catalog ...
    assert truth["groq"] != set(universe_listing("groq"))  # ... which is not the universe's
    with pytest.raises(pytest.skip.Exception, match=r"providers/groq recorded live"):
        check_truth_is_the_universes("groq", directory)
    check_truth_is_the_universes("xai", directory)  # a synthetic neighbour is still held to the universe
    check_truth_is_the_universes(gateways.HUGGINGFACE, directory)


def test_an_incomplete_recorded_walk_is_never_a_shorter_truth(tmp_path: Path, no_sockets: None) -> None:
    """A cursor walk whose last page failed: its first page's ids are not the Hub's catalog."""
    directory = live_corpus.copy_corpus(tmp_path / "cassettes")
    path = corpus.cassette_path("huggingface/cursor", directory)
    document = json.loads(path.read_text())
    assert len(document["interactions"]) >= 2
    document["interactions"][-1]["response"]["status"] = 400
    path.write_text(json.dumps(document))
    assert corpus.replay_hub("cursor", cassettes_dir=directory).ids  # the first page was read ...
    with pytest.raises(IncompleteCatalogError, match=r"huggingface/cursor\.json.*--only huggingface/cursor"):
        corpus.recorded_truth(cassettes_dir=directory)  # ... and is not handed on as the truth
    with pytest.raises(IncompleteCatalogError, match=r"huggingface/cursor\.json"):
        corpus.recorded_hub_models(cassettes_dir=directory)


def test_an_incomplete_provider_recording_is_never_a_shorter_truth(tmp_path: Path, no_sockets: None) -> None:
    directory = live_corpus.copy_corpus(tmp_path / "cassettes")
    path = corpus.cassette_path("providers/google", directory)  # two pages: the second one fails
    document = json.loads(path.read_text())
    assert len(document["interactions"]) >= 2
    document["interactions"][-1]["response"]["status"] = 403
    path.write_text(json.dumps(document))
    with pytest.raises(IncompleteCatalogError, match=r"providers/google\.json.*--only providers/google"):
        corpus.recorded_truth(cassettes_dir=directory)
    with pytest.raises(IncompleteCatalogError, match=r"providers/google\.json"):
        corpus.recorded_records("google", cassettes_dir=directory)


def test_the_single_strategy_has_the_seed_002_figures(no_sockets: None) -> None:
    synthetic_only("huggingface/single")
    single = corpus.replay_hub("single", cassettes_dir=SHIPPED)
    assert len(single.ids) == universe.TOP
    assert single.truncated
    assert not single.complete


def test_the_sort_union_has_the_seed_004_figures(no_sockets: None) -> None:
    synthetic_only("huggingface/sort-union")
    built = world()
    union = corpus.replay_hub("sort-union", cassettes_dir=SHIPPED)
    likes = [m["id"] for m in universe.hub_order(built.hub_models, "likes")][: universe.TOP]
    downloads = [m["id"] for m in universe.hub_order(built.hub_models, "downloads")][: universe.TOP]
    assert set(union.ids) == set(likes) | set(downloads)
    assert union.truncated


def test_google_is_recorded_across_page_tokens(no_sockets: None) -> None:
    synthetic_only("providers/google")  # the real catalog may fit on one page of 50
    assert len(corpus.replay_provider("google", cassettes_dir=SHIPPED).walk.pages) >= 2


def test_featherless_is_recorded_in_one_list(no_sockets: None) -> None:
    featherless = corpus.replay_provider("featherless", cassettes_dir=SHIPPED)
    assert len(featherless.walk.pages) == 1


def test_the_baseline_is_the_unique_count_of_each_current_walk(no_sockets: None) -> None:
    seen = corpus.replay_observation("current", cassettes_dir=SHIPPED)
    baseline = corpus.recorded_baseline(cassettes_dir=SHIPPED)
    assert baseline == {name: len(set(walk.ids)) for name, walk in seen.walks.items()}


def test_the_synthetic_baseline_is_the_size_of_each_recorded_truth(no_sockets: None) -> None:
    synthetic_only("gateway/current", *TRUTH.values())  # the fake gateway serves the universe's catalogs
    baseline = corpus.recorded_baseline(cassettes_dir=SHIPPED)
    truth = corpus.recorded_truth(cassettes_dir=SHIPPED)
    assert baseline == {name: len(ids) for name, ids in truth.items()}


def test_the_recorded_context_judges_the_current_gateway_clean(no_sockets: None) -> None:
    # The fake gateway is correct by construction, over the universe; a live gateway is judged by the audit.
    synthetic_only("gateway/current", *TRUTH.values())
    context = recorded_context(cassettes_dir=SHIPPED)
    seen = corpus.replay_observation("current", cassettes_dir=SHIPPED)
    failed = [result.summary() for result in checks.run_checks(seen, context) if not result.passed]
    assert failed == []


# ------------------------------------------------------------------------------------------------ baseline file


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '"counts"',
        "null",
        json.dumps({"format": corpus.BASELINE_FORMAT, "counts": [1, 2]}),
        json.dumps({"format": corpus.BASELINE_FORMAT, "counts": {"groq": "nineteen"}}),
        json.dumps({"format": corpus.BASELINE_FORMAT, "counts": {"groq": True}}),
        json.dumps({"format": "something-else/1", "counts": {"groq": 19}}),
        "{not json",
    ],
)
def test_a_baseline_of_another_shape_is_a_cassette_error_naming_the_file(text: str, tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(text)
    with pytest.raises(CassetteError, match=str(path)) as raised:
        corpus.read_baseline(path)
    assert raised.value.path == str(path)


def test_a_baseline_of_another_shape_is_a_fresh_start_for_the_diff(tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text("[]")
    new.write_text(json.dumps({"format": corpus.BASELINE_FORMAT, "counts": {"groq": 19}}))
    diff = recorder.diff_baseline(old, new)
    assert (diff.before, diff.after, diff.added) == (None, 1, ("groq",))


# ------------------------------------------------------------------------------------------------ history


def test_seed_000_is_recorded_with_its_50000_entries(no_sockets: None) -> None:
    name = next(state for state in HISTORY if state.endswith("seed-000"))
    seen = corpus.replay_observation(name, cassettes_dir=SHIPPED)
    listing = gallery.hub_listing(HISTORY[name].fetcher)
    hub = seen.singles["huggingface"]
    assert hub.status == 200
    assert len(hub.items) == len(listing) == corpus.manifest.HISTORY_LIMIT
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
    assert len(first) == corpus.manifest.QUIRK_PAGE
    assert all(quirks.offset_ids[offset] == first for offset in corpus.manifest.QUIRK_OFFSETS)
    assert quirks.bad_sort_status == 400
    assert "sort" in quirks.bad_sort_error
    assert quirks.expand_status == 200
    assert len(quirks.expand_items) == corpus.manifest.QUIRK_EXPAND_LIMIT
    assert all(set(item) <= {"_id", "id", *corpus.manifest.QUIRK_EXPAND} for item in quirks.expand_items)


def test_the_quirks_cassette_holds_the_requests_it_claims() -> None:
    recorded = corpus.read_cassette(corpus.cassette_path("huggingface/quirks", SHIPPED)).interactions
    uris = [interaction.uri for interaction in recorded]
    assert [u for u in uris if "offset=" in u] == [
        f"https://huggingface.co/api/models?inference_provider=hf-inference&limit=100&offset={offset}"
        for offset in corpus.manifest.QUIRK_OFFSETS
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
