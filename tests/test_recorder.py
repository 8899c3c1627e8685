"""``catalog-guard record``: deterministic, scrubbed, all or nothing, honest about what changed, and partial on request.

Every test records into a temporary directory (never into the real ``cassettes/``), from the in-process fakes or
from a fake served by uvicorn on 127.0.0.1. Expected figures come from the universe or from the fakes' own
listings, never typed in.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest

from catalog_guard import cli, corpus, recorder, serve, target, universe
from catalog_guard.cassettes import REDACTED, RewritingPolicy, ScrubPolicy, content_diff, provenance, scan_for_secrets
from catalog_guard.cassettes.scrub import LINK_REDACTED
from catalog_guard.fakes.gateway import asgi_app, current_state, fake_gateway
from catalog_guard.fakes.hub import FakeHub, HubSettings
from catalog_guard.fakes.providers import ProviderFault, make_fake
from catalog_guard.fakes.transport import Handler
from catalog_guard.fakes.upstreams import FakeUpstreams
from catalog_guard.gateways import GATEWAY_HOST
from catalog_guard.history import HISTORY
from catalog_guard.progress import Progress
from catalog_guard.providers import GATEWAY_SPECS

# A representative part of the corpus that records in about a second: the Hub's cursor walk and the providers.
FAST = ["huggingface/cursor", "providers"]
DAY = universe.DAY_1


def world() -> universe.Universe:
    return universe.build()


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` with its bytes (hidden ones included: a leftover would show)."""
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def record(directory: Path, **options: Any) -> recorder.RecordReport:
    options.setdefault("source", "fakes")
    options.setdefault("environ", {})
    return recorder.record_corpus(cassettes_dir=directory, **options)


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    return tmp_path / "cassettes"


# ------------------------------------------------------------------------------------------------ determinism


def test_recording_twice_gives_the_same_bytes_and_an_empty_diff(corpus_dir: Path) -> None:
    first = record(corpus_dir, only=FAST)
    assert first.ok, first.failures
    written = snapshot(corpus_dir)
    assert set(written) == {f"{r.name}.json" for r in corpus.select(FAST)}
    second = record(corpus_dir, only=FAST)
    assert second.ok, second.failures
    assert snapshot(corpus_dir) == written
    assert not recorder.swap_dir(corpus_dir).exists()  # the swap committed and cleaned up
    assert second.changes() == []
    assert second.new() == []
    assert all(diff.identical for diff in second.diffs)
    assert all(diff.before == diff.after for diff in second.diffs)


def test_the_first_recording_reports_every_cassette_as_new(corpus_dir: Path) -> None:
    report = record(corpus_dir, only=["providers/groq"])
    [diff] = report.diffs
    assert diff.before is None
    assert diff.after == len(world().catalogs[DAY]["groq"])
    assert diff.has_changes


@pytest.mark.slow
@pytest.mark.parametrize("name", list(corpus.MANIFEST))
def test_the_fakes_rebuild_the_shipped_cassette_byte_for_byte(name: str, corpus_dir: Path) -> None:
    """The done-when of the corpus: ``catalog-guard record --source fakes`` reproduces what is shipped (one
    recording per test, so that xdist spreads the ~15 s a whole run takes)."""
    shipped = corpus.find_cassettes_dir(environ={})
    if corpus.provenance_of(name, shipped).get("kind") != "synthetic":
        pytest.skip(f"{name} was re-recorded live; the fakes cannot reproduce it")
    report = record(corpus_dir, only=[name])
    assert report.ok, report.failures
    rebuilt = snapshot(corpus_dir)
    assert rebuilt, "nothing was recorded"
    fail_on_content_differences(shipped, rebuilt)


def fail_on_content_differences(shipped: Path, rebuilt: dict[str, bytes]) -> None:
    """Fail with a unified diff per differing file; the versions in ``provenance.recorded_with`` are not content."""
    diffs = [
        content_diff(path, (shipped / path).read_bytes() if (shipped / path).is_file() else b"", data)
        for path, data in rebuilt.items()
    ]
    if any(diffs):
        pytest.fail(
            "the fakes no longer rebuild the shipped corpus (library versions aside):\n" + "".join(diffs),
            pytrace=False,
        )


def stamp_httpx(monkeypatch: pytest.MonkeyPatch, version: str) -> None:
    """Make recordings say they were made with httpx ``version``, as a fresh venv that resolved it would."""
    installed = provenance.metadata.version
    monkeypatch.setattr(provenance.metadata, "version", lambda name: version if name == "httpx" else installed(name))


def test_a_different_httpx_version_in_the_provenance_is_not_a_content_difference(
    corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newcomer's fresh venv resolves a newer httpx than the one that recorded the corpus: the rebuild records
    that version in its provenance, and the comparison still passes."""
    stamp_httpx(monkeypatch, "0.99.0")
    assert record(corpus_dir, only=["providers/groq"]).ok
    rebuilt = snapshot(corpus_dir)
    shipped = corpus.find_cassettes_dir(environ={})
    assert '"httpx": "0.99.0"' in rebuilt["providers/groq.json"].decode()  # the stamp is really in the file
    assert rebuilt["providers/groq.json"] != (shipped / "providers/groq.json").read_bytes()
    fail_on_content_differences(shipped, rebuilt)


def test_a_re_record_under_a_newer_httpx_reports_library_versions_only(
    corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert record(corpus_dir, only=["providers/groq"]).ok
    stamp_httpx(monkeypatch, "0.99.0")
    [diff] = record(corpus_dir, only=["providers/groq"]).diffs
    assert (diff.identical, diff.versions_only, diff.has_changes) == (False, True, False)
    assert diff.line(20).endswith("unchanged (library versions only)")


def test_a_content_difference_fails_with_a_unified_diff_naming_the_file(tmp_path: Path) -> None:
    shipped = corpus.find_cassettes_dir(environ={})
    original = (shipped / "providers/groq.json").read_text()
    [first, *_] = [offer.id for offer in world().catalogs[DAY]["groq"]]
    assert first in original
    changed = original.replace(first, f"{first}-renamed", 1)
    with pytest.raises(pytest.fail.Exception) as failure:
        fail_on_content_differences(shipped, {"providers/groq.json": changed.encode()})
    message = str(failure.value)
    assert "--- shipped/providers/groq.json\n+++ rebuilt/providers/groq.json\n" in message
    [removed] = [line for line in message.splitlines() if line.startswith("-") and not line.startswith("---")]
    [added] = [line for line in message.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert first in removed
    assert f"{first}-renamed" not in removed
    assert f"{first}-renamed" in added
    # Provenance other than the library versions is content: a different seed fails too.
    seed = f'"seed": {universe.DEFAULT_SEED}'
    assert seed in original
    reseeded = original.replace(seed, f'"seed": {universe.DEFAULT_SEED + 1}')
    assert content_diff("providers/groq.json", original.encode(), reseeded.encode())


# ------------------------------------------------------------------------------------------------ diff summary


def test_one_changed_model_is_reported_as_exactly_one_change(corpus_dir: Path) -> None:
    assert record(corpus_dir, only=["huggingface/cursor"]).ok
    models = [dict(model) for model in world().hub_models]
    listed = universe.hub_order(models)
    target = listed[len(listed) // 2]["id"]
    for model in models:
        if model["id"] == target:
            model["likes"] += 1

    report = record(corpus_dir, only=["huggingface/cursor"], fakes=FakeUpstreams(hub=lambda: FakeHub(models)))
    assert report.ok, report.failures
    [diff] = report.diffs
    assert (diff.added, diff.removed, diff.changed) == ((), (), (target,))
    assert diff.before == diff.after == len(listed)
    text = "\n".join(report.lines())
    assert "~1 changed" in text
    assert f"changed: {target}" in text


def test_one_removed_model_is_reported_with_the_counts_before_and_after(corpus_dir: Path) -> None:
    assert record(corpus_dir, only=["providers/groq"]).ok
    offers = world().catalogs[DAY]["groq"]
    dropped = offers[len(offers) // 2]
    kept = [offer for offer in offers if offer is not dropped]

    fakes = FakeUpstreams(providers={"groq": lambda: make_fake("groq", kept)})
    report = record(corpus_dir, only=["providers/groq"], fakes=fakes)
    assert report.ok, report.failures
    [diff] = report.diffs
    assert (diff.added, diff.removed, diff.changed) == ((), (dropped.id,), ())
    assert (diff.before, diff.after) == (len(offers), len(kept))
    assert f"{len(offers)} -> {len(kept)}" in "\n".join(report.lines())


def test_new_cassettes_are_reported_apart_from_changed_ones(corpus_dir: Path) -> None:
    first = record(corpus_dir, only=["providers/groq"])
    assert [diff.name for diff in first.new()] == ["providers/groq"]
    assert first.changes() == []
    assert first.lines()[-1].endswith(": 1 new, 0 with model changes, 0 byte-identical")
    kept = world().catalogs[DAY]["groq"][1:]
    fakes = FakeUpstreams(providers={"groq": lambda: make_fake("groq", kept)})
    second = record(corpus_dir, only=["providers/groq", "providers/xai"], fakes=fakes)
    assert [diff.name for diff in second.new()] == ["providers/xai"]
    assert [diff.name for diff in second.changes()] == ["providers/groq"]
    assert second.lines()[-1].endswith(": 1 new, 1 with model changes, 0 byte-identical")


def test_a_changed_count_shows_in_the_baseline_diff(tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps({"format": corpus.BASELINE_FORMAT, "counts": {"groq": 19, "xai": 23}}))
    new.write_text(json.dumps({"format": corpus.BASELINE_FORMAT, "counts": {"groq": 18, "xai": 23, "novita": 5}}))
    diff = recorder.diff_baseline(old, new)
    assert (diff.added, diff.removed, diff.changed) == (("novita",), (), ("groq 19->18",))
    assert recorder.diff_baseline(old, old).has_changes is False


# ------------------------------------------------------------------------------------------------ secrets

PLANTED = {
    "HF_TOKEN": "hf_" + "Plant3dHubToken" * 3,
    "OPENROUTER_API_KEY": "sk-or-v1-" + "0123456789abcdef" * 4,
    "GEMINI_API_KEY": "AIza" + "Plant3dGoogleKey_0123456789abcdefgh",
    "GROQ_API_KEY": "gsk_" + "Plant3dGroqKey0123456789",
}
ECHO_KEY = "Plant3dQueryKey0123456789"


def echoing(handler: Handler) -> Handler:
    """A provider that echoes the caller's token in its body and a ``key=`` URL in a header, as leaky APIs do."""

    def handle(request: httpx.Request) -> httpx.Response:
        response = handler(request)
        body = response.json()
        token = request.headers.get("authorization", "")
        body["data"][0]["description"] = f"served to {token}"
        link = f'<https://openrouter.ai/api/v1/models?key={ECHO_KEY}>; rel="alternate"'
        return httpx.Response(response.status_code, headers={**response.headers, "link": link}, json=body)

    return handle


def planted_run(corpus_dir: Path) -> recorder.RecordReport:
    offers = world().catalogs[DAY]["openrouter"]
    fakes = FakeUpstreams(providers={"openrouter": lambda: echoing(make_fake("openrouter", offers))})
    only = ["huggingface/cursor", "providers/openrouter", "providers/google", "providers/groq"]
    return record(corpus_dir, only=only, fakes=fakes, environ=PLANTED)


def test_planted_tokens_never_reach_the_disk(corpus_dir: Path) -> None:
    report = planted_run(corpus_dir)
    assert report.ok, report.failures
    files = snapshot(corpus_dir)
    assert len(files) == 4
    everything = b"\n".join(files.values())
    for secret in [*PLANTED.values(), ECHO_KEY]:
        assert secret.encode() not in everything
    assert f"served to Bearer {REDACTED}".encode() in everything or f"served to {REDACTED}".encode() in everything
    assert f"key={LINK_REDACTED}".encode() in everything  # inside a Link's <...>, the placeholder is percent-encoded
    assert f'"authorization": "{REDACTED}"'.encode() in everything
    assert f'"x-goog-api-key": "{REDACTED}"'.encode() in everything
    assert scan_for_secrets(corpus_dir, policy=ScrubPolicy(PLANTED)) == []


def test_tokens_without_digits_and_odd_cased_key_parameters_never_reach_the_disk(corpus_dir: Path) -> None:
    """What the upstream echoes that the run did not send (so no known secret covers it): a session token of
    letters only after ``Bearer``, and URLs with ``apiKey=`` / ``Token=``."""
    session, query = "UpstreamSessionTokenOfLettersOnly", "PlantedQueryKeyOfLetters"

    def leaky(request: httpx.Request) -> httpx.Response:
        response = make_fake("xai", world().catalogs[DAY]["xai"])(request)
        body = response.json()
        body["data"][0]["owned_by"] = f"Bearer {session}"
        link = f'<https://api.x.ai/v1/models?apiKey={query}&Token={query}>; rel="alternate"'
        return httpx.Response(response.status_code, headers={**response.headers, "link": link}, json=body)

    report = record(corpus_dir, only=["providers/xai"], fakes=FakeUpstreams(providers={"xai": lambda: leaky}))
    assert report.ok, report.failures
    written = corpus.cassette_path("providers/xai", corpus_dir).read_bytes()
    assert session.encode() not in written
    assert query.encode() not in written
    assert f"Bearer {REDACTED}".encode() in written
    assert f"apiKey={LINK_REDACTED}&Token={LINK_REDACTED}".encode() in written
    assert scan_for_secrets(corpus_dir, policy=ScrubPolicy({})) == []


def test_the_scanner_flags_a_token_in_a_hand_written_file(tmp_path: Path) -> None:
    leaked = tmp_path / "leaked.json"
    leaked.write_text(json.dumps({"headers": {"authorization": f"Bearer {PLANTED['HF_TOKEN']}"}}, indent=2))
    findings = scan_for_secrets(tmp_path, policy=ScrubPolicy(PLANTED))
    assert findings
    assert {finding.file for finding in findings} == {leaked}
    assert all(PLANTED["HF_TOKEN"] not in str(finding) for finding in findings)


def test_a_secret_the_scrubber_missed_fails_the_run_and_writes_nothing(
    corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ScrubPolicy, "before_record_response", lambda self, response: response)
    report = planted_run(corpus_dir)
    assert not report.ok
    assert "secrets" in report.failures
    assert report.exit_code == 1
    assert snapshot(corpus_dir) == {}


# ------------------------------------------------------------------------------------------------ atomicity


def boom_after(manifest: dict[str, corpus.Recording], error: BaseException) -> dict[str, corpus.Recording]:
    """The manifest with a recording that makes its traffic and then fails, placed after the others."""

    def make(traffic: corpus.Traffic) -> Any:
        corpus.MANIFEST["providers/xai"].make(traffic)
        raise error

    boom = corpus.Recording("providers/boom", "xai", make, lambda _result: None)
    return {**manifest, boom.name: boom}


def test_a_failure_mid_way_leaves_the_old_cassettes_byte_identical(corpus_dir: Path) -> None:
    assert record(corpus_dir, only=FAST).ok
    before = snapshot(corpus_dir)
    models = [dict(model, likes=model["likes"] + 1) for model in world().hub_models]  # every file would change
    manifest = boom_after(dict(corpus.MANIFEST), RuntimeError("injected after the others succeeded"))
    report = record(
        corpus_dir, only=[*FAST, "providers/boom"], manifest=manifest, fakes=FakeUpstreams(hub=lambda: FakeHub(models))
    )
    assert report.failures == {"providers/boom": "RuntimeError: injected after the others succeeded"}
    assert len(report.recorded) == len(corpus.select(FAST))
    assert report.exit_code == 1
    assert snapshot(corpus_dir) == before
    assert sorted(p.name for p in corpus_dir.parent.iterdir()) == [corpus_dir.name]  # no staging left behind


def test_an_interrupted_run_leaves_the_old_cassettes_byte_identical(corpus_dir: Path) -> None:
    assert record(corpus_dir, only=["providers"]).ok
    before = snapshot(corpus_dir)
    manifest = boom_after(dict(corpus.MANIFEST), KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        record(corpus_dir, only=["providers"], manifest=manifest)
    assert snapshot(corpus_dir) == before
    assert sorted(p.name for p in corpus_dir.parent.iterdir()) == [corpus_dir.name]


KILLED = ["huggingface/cursor", "huggingface/quirks", "providers/groq"]  # swapped in this order; quirks is new


def changed_fakes() -> FakeUpstreams:
    """Every Hub page and Groq's list differ from the default fakes'."""
    models = [dict(model, likes=model["likes"] + 1) for model in world().hub_models]
    kept = world().catalogs[DAY]["groq"][1:]
    return FakeUpstreams(hub=lambda: FakeHub(models), providers={"groq": lambda: make_fake("groq", kept)})


def failing_swap(
    monkeypatch: pytest.MonkeyPatch, corpus_dir: Path, at: int, error: BaseException
) -> Callable[[], list[str]]:
    """``os.replace`` fails on the ``at``-th file swapped into ``corpus_dir`` (once); returns the files it was asked
    to swap in, the failing one included."""
    real, swapped = os.replace, []

    def replace(source: Any, target: Any) -> None:
        path, root = Path(target).resolve(), corpus_dir.resolve()
        if ".cassettes-record-" in str(source) and path.is_relative_to(root):  # staging -> corpus: the swap
            swapped.append(path.relative_to(root).as_posix())
            if len(swapped) == at:
                raise error
        real(source, target)

    monkeypatch.setattr(os, "replace", replace)
    return lambda: swapped


def test_a_swap_interrupted_midway_is_rolled_back_at_once(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert record(corpus_dir, only=["huggingface/cursor", "providers/groq"]).ok
    before = snapshot(corpus_dir)
    swapped = failing_swap(monkeypatch, corpus_dir, 3, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        record(corpus_dir, only=KILLED, fakes=changed_fakes())
    assert swapped() == ["huggingface/cursor.json", "huggingface/quirks.json", "providers/groq.json"]
    assert snapshot(corpus_dir) == before  # the replaced cursor is back, the new quirks gone
    assert sorted(p.name for p in corpus_dir.parent.iterdir()) == [corpus_dir.name]


def test_a_swap_that_fails_is_rolled_back_and_reported(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert record(corpus_dir, only=["huggingface/cursor", "providers/groq"]).ok
    before = snapshot(corpus_dir)
    failing_swap(monkeypatch, corpus_dir, 2, PermissionError("read-only file system"))
    report = record(corpus_dir, only=KILLED, fakes=changed_fakes())
    assert report.failures == {"swap": "PermissionError: read-only file system (rolled back)"}
    assert report.exit_code == 1
    assert report.lines()[0] == f"FAILED: nothing in {corpus_dir.resolve()} was replaced"
    assert snapshot(corpus_dir) == before


def test_a_swap_cut_short_by_a_kill_is_rolled_back_by_the_next_run(
    corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert record(corpus_dir, only=["huggingface/cursor", "providers/groq", "providers/xai"]).ok
    before = snapshot(corpus_dir)
    with monkeypatch.context() as killed:  # a kill: no in-process rollback runs
        killed.setattr(recorder, "recover", lambda directory: [])
        failing_swap(killed, corpus_dir, 3, KeyboardInterrupt())
        with pytest.raises(KeyboardInterrupt):
            record(corpus_dir, only=KILLED, fakes=changed_fakes())
    half = snapshot(corpus_dir)
    assert half["huggingface/cursor.json"] != before["huggingface/cursor.json"]
    assert "huggingface/quirks.json" in half
    assert half["providers/groq.json"] == before["providers/groq.json"]
    assert (recorder.swap_dir(corpus_dir) / recorder.SWAP_JOURNAL).is_file()

    report = record(corpus_dir, only=["providers/xai"])  # any next run rolls the swap back first
    assert report.ok, report.failures
    assert report.recovered == ["huggingface/cursor.json", "huggingface/quirks.json", "providers/groq.json"]
    assert report.lines()[0] == f"rolled back an interrupted swap of 3 file(s) in {corpus_dir.resolve()}"
    assert snapshot(corpus_dir) == before
    assert recorder.recover(corpus_dir) == []  # nothing left to undo
    assert not recorder.swap_dir(corpus_dir).exists()


@pytest.mark.parametrize(
    "journal", ["{not json", json.dumps([{"path": "../outside.json", "existed": False}]), json.dumps([{}])]
)
def test_a_swap_journal_that_cannot_be_trusted_stops_the_run(
    journal: str, corpus_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = corpus_dir.parent / "outside.json"
    outside.write_text("{}")
    (recorder.swap_dir(corpus_dir)).mkdir()
    (recorder.swap_dir(corpus_dir) / recorder.SWAP_JOURNAL).write_text(journal)
    args = parse("--source", "fakes", "--only", "providers/xai", "--cassettes", str(corpus_dir), "--no-progress")
    assert cli.run_record(args) == 1
    assert "the swap journal" in capsys.readouterr().err
    assert outside.is_file()  # a journal never removes a file outside the corpus
    assert not corpus_dir.exists()


def test_an_upstream_that_fails_fails_the_run(corpus_dir: Path) -> None:
    assert record(corpus_dir, only=["providers"]).ok
    before = snapshot(corpus_dir)
    offers = world().catalogs[DAY]["groq"]
    fault = ProviderFault.server_error(503)
    broken = FakeUpstreams(providers={"groq": lambda: make_fake("groq", offers, always=fault)})
    report = record(corpus_dir, only=["providers"], fakes=broken)
    assert list(report.failures) == ["providers/groq"]
    assert "ServerError" in report.failures["providers/groq"] or "503" in report.failures["providers/groq"]
    assert snapshot(corpus_dir) == before


def test_a_body_that_breaks_its_schema_fails_the_run(corpus_dir: Path) -> None:
    models = [dict(model) for model in world().hub_models]
    models[0]["likes"] = "a great many"  # the Hub's likes is a count
    report = record(corpus_dir, only=["huggingface/single"], fakes=FakeUpstreams(hub=lambda: FakeHub(models)))
    assert list(report.failures) == ["huggingface/single"]
    assert report.failures["huggingface/single"].startswith("schema: ")
    assert not corpus_dir.exists() or snapshot(corpus_dir) == {}


# ------------------------------------------------------------------------------------------------ --only


def test_only_providers_touches_only_provider_cassettes(corpus_dir: Path) -> None:
    assert record(corpus_dir, only=["huggingface/quirks", "providers/groq"]).ok
    hub_file = corpus.cassette_path("huggingface/quirks", corpus_dir)
    hub_bytes, hub_mtime = hub_file.read_bytes(), hub_file.stat().st_mtime_ns
    report = record(corpus_dir, only=["providers"])
    assert report.ok, report.failures
    assert report.recorded == [f"providers/{name}" for name in GATEWAY_SPECS]
    assert {p.relative_to(corpus_dir).parts[0] for p in report.written} == {"providers"}
    assert hub_file.read_bytes() == hub_bytes
    assert hub_file.stat().st_mtime_ns == hub_mtime


@pytest.mark.parametrize(
    ("only", "expected"),
    [
        (["gateway/history"], [f"gateway/history/{s}" for s in HISTORY]),
        (["huggingface/quirks,providers/google"], ["huggingface/quirks", "providers/google"]),
        (["gateway/baseline"], ["gateway/current"]),
        (None, list(corpus.MANIFEST)),
    ],
)
def test_only_selects_groups_folders_and_names(only: list[str] | None, expected: list[str]) -> None:
    assert [r.name for r in corpus.select(only)] == expected


def test_an_unknown_name_is_a_usage_error_with_a_suggestion(corpus_dir: Path) -> None:
    with pytest.raises(recorder.UsageError, match="providers/groq"):
        record(corpus_dir, only=["providers/grok"])


def test_live_without_a_gateway_url_skips_the_gateway_with_a_message(corpus_dir: Path) -> None:
    report = record(corpus_dir, only=["gateway"], source="live")
    assert report.ok
    assert report.recorded == []
    assert "--gateway-url" in report.skipped["gateway/current"]
    assert all("synthetic" in report.skipped[name] for name in report.skipped if "history" in name)
    assert not corpus_dir.exists()


def test_live_without_a_required_key_skips_that_provider(corpus_dir: Path) -> None:
    report = record(corpus_dir, only=["providers/groq"], source="live")
    assert report.skipped == {"providers/groq": "GROQ_API_KEY is not set and groq requires a key"}


def test_base_urls_are_refused_for_the_fakes(corpus_dir: Path) -> None:
    with pytest.raises(recorder.UsageError, match="live"):
        record(corpus_dir, only=["providers/groq"], base_urls={"groq": "http://127.0.0.1:9"})


# ------------------------------------------------------------------------------------------------ --base-url


def serving(make: Callable[[str], Handler]) -> AbstractContextManager[str]:
    """``make(base_url)`` served by uvicorn on 127.0.0.1 in a thread; always stopped."""
    return serve.serving(lambda base_url: asgi_app(make(base_url)))


def test_a_base_url_override_is_stored_under_the_canonical_host(corpus_dir: Path) -> None:
    def hub(base_url: str) -> Handler:
        return FakeHub.from_universe(world(), settings=HubSettings(base_url=base_url))

    with serving(hub) as local:
        report = record(corpus_dir, only=["huggingface/cursor"], source="live", base_urls={"huggingface": local})
    assert report.ok, report.failures
    path = corpus.cassette_path("huggingface/cursor", corpus_dir)
    interactions = json.dumps(json.loads(path.read_text())["interactions"])
    assert "127.0.0.1" not in interactions
    cassette = corpus.read_cassette(path)
    assert len(cassette.interactions) >= 2
    assert all(i.uri.startswith("https://huggingface.co/api/models?") for i in cassette.interactions)
    assert all(i.request_headers["host"] == ["huggingface.co"] for i in cassette.interactions)
    link = cassette.interactions[0].header("link")
    assert link is not None
    assert link.startswith("<https://huggingface.co/api/models?")
    assert cassette.provenance is not None
    assert cassette.provenance["kind"] == "live"
    assert cassette.provenance["hosts"] == ["huggingface.co"]
    assert "127.0.0.1" in cassette.provenance["note"]
    # It replays for code that calls the real host.
    replayed = corpus.replay_hub("cursor", cassettes_dir=corpus_dir)
    assert replayed.complete
    assert replayed.ids == [m["id"] for m in universe.hub_order(world().hub_models)]


def test_a_live_gateway_from_the_environment_is_recorded_with_its_baseline(corpus_dir: Path) -> None:
    token = "gw-" + "Plant3dGatewayToken0123456789"
    # every gateway of the correct one, each with its first few rows (a different number each, so a count
    # under the wrong name shows): every walk and probe the recording makes, on one page each (the whole
    # catalog is the rebuild of gateway/current's job)
    state = current_state()
    for n, (name, rows) in enumerate(current_state().catalogs.items()):
        state = state.with_catalog(name, rows[: 2 + n])
    with serving(lambda _base_url: fake_gateway(state=state)) as local:
        environ = {target.URL_ENV: local, target.TOKEN_ENV: token}
        report = record(corpus_dir, only=["gateway/current"], source="live", environ=environ)
    assert report.ok, report.failures
    path = corpus.cassette_path("gateway/current", corpus_dir)
    cassette = corpus.read_cassette(path)
    assert {httpx.URL(i.uri).host for i in cassette.interactions} == {GATEWAY_HOST}
    assert token.encode() not in path.read_bytes()
    assert "127.0.0.1" not in json.dumps(json.loads(path.read_text())["interactions"])
    expected = {name: len(rows) for name, rows in state.catalogs.items()}
    assert corpus.recorded_baseline(cassettes_dir=corpus_dir) == expected
    seen = corpus.replay_observation("current", cassettes_dir=corpus_dir)
    assert {name: len(set(walk.ids)) for name, walk in seen.walks.items()} == expected


def test_rewriting_is_idempotent() -> None:
    policy = RewritingPolicy({}, {"http://127.0.0.1:8080": "https://huggingface.co"})
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"link": ['<http://127.0.0.1:8080/api/models?cursor=x>; rel="next"']},
        "body": {"string": b'[{"url": "http://127.0.0.1:8080/x"}]'},
    }
    once = policy.before_record_response(response)
    assert once["headers"]["link"] == ['<https://huggingface.co/api/models?cursor=x>; rel="next"']
    assert once["body"]["string"] == b'[{"url": "https://huggingface.co/x"}]'
    assert policy.before_record_response(once) == once


# ------------------------------------------------------------------------------------------------ command line


def parse(*argv: str) -> argparse.Namespace:
    return cli.build_parser().parse_args(["record", *argv])


def test_the_command_records_and_prints_the_summary(corpus_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = parse("--source", "fakes", "--only", "providers/novita", "--cassettes", str(corpus_dir), "--no-progress")
    assert cli.run_record(args) == 0
    out = capsys.readouterr().out
    assert "providers/novita" in out
    assert "new cassette" in out
    assert cli.run_record(args) == 0
    assert "unchanged" in capsys.readouterr().out


def test_the_command_exits_2_on_usage_errors(corpus_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run_record(parse("--only", "nothing-like-this", "--cassettes", str(corpus_dir))) == 2
    bad = parse("--source", "fakes", "--base-url", "groq=http://127.0.0.1:9", "--cassettes", str(corpus_dir))
    assert cli.run_record(bad) == 2
    with pytest.raises(SystemExit):
        parse("--base-url", "no-equals-sign")
    assert not corpus_dir.exists()


def test_the_command_exits_1_when_a_recording_fails(
    corpus_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing(recording: corpus.Recording) -> corpus.Recording:
        return dataclasses.replace(recording, check=lambda _result: "injected")

    monkeypatch.setitem(corpus.MANIFEST, "providers/xai", failing(corpus.MANIFEST["providers/xai"]))
    args = parse("--source", "fakes", "--only", "providers/xai", "--cassettes", str(corpus_dir), "--no-progress")
    assert cli.run_record(args) == 1
    assert "providers/xai: RecordingError: injected" in capsys.readouterr().err


def test_the_command_runs_through_main(corpus_dir: Path) -> None:
    argv = ["record", "--source", "fakes", "--only", "providers/cerebras", "--cassettes", str(corpus_dir)]
    assert cli.main([*argv, "--no-progress"]) == 0
    assert corpus.cassette_path("providers/cerebras", corpus_dir).is_file()


def test_the_cassettes_directory_comes_from_the_environment(corpus_dir: Path) -> None:
    assert corpus.find_cassettes_dir(environ={corpus.CASSETTES_ENV: str(corpus_dir)}) == corpus_dir.resolve()
    report = recorder.record_corpus(
        only=["providers/xai"], source="fakes", environ={corpus.CASSETTES_ENV: str(corpus_dir)}
    )
    assert report.cassettes_dir == corpus_dir.resolve()
    assert corpus.cassette_path("providers/xai", corpus_dir).is_file()


# ------------------------------------------------------------------------------------------------ progress


def test_progress_redraws_one_line_on_a_terminal() -> None:
    stream = io.StringIO()
    bar = Progress(4, stream=stream, tty=True, width=8)
    bar.note("providers/groq")
    bar.step()
    bar.step("providers/xai")
    bar.close()
    frames = stream.getvalue().split("\r")[1:]
    assert frames[0].rstrip() == "[........] 0/4 providers/groq"
    assert frames[-1].rstrip() == "[####....] 2/4 providers/xai"
    assert stream.getvalue().endswith("\n")
    assert stream.getvalue().count("\n") == 1


def test_progress_prints_plain_lines_elsewhere() -> None:
    stream = io.StringIO()
    with Progress(2, stream=stream, tty=False) as bar:
        bar.note("not shown in a log")
        bar.step("providers/groq")
        bar.step("providers/xai")
    assert stream.getvalue() == "[1/2] providers/groq\n[2/2] providers/xai\n"


def test_progress_without_a_total_counts_steps() -> None:
    bar = Progress(None, label="observing", stream=io.StringIO(), tty=True)
    bar.step("walk huggingface")
    assert bar.render() == "[1] walk huggingface"


def test_the_recorder_reports_progress_per_recording(corpus_dir: Path) -> None:
    stream = io.StringIO()
    report = record(corpus_dir, only=["providers/xai", "providers/novita"], progress=Progress(stream=stream, tty=False))
    assert report.ok
    assert stream.getvalue() == "[1/2] providers/xai\n[2/2] providers/novita\n"


def test_nothing_is_written_outside_the_given_directory(corpus_dir: Path) -> None:
    shipped = corpus.find_cassettes_dir(environ={})
    before = {p: p.stat().st_mtime_ns for p in shipped.rglob("*") if p.is_file()}
    assert record(corpus_dir, only=["providers/xai"]).ok
    assert {p: p.stat().st_mtime_ns for p in shipped.rglob("*") if p.is_file()} == before
    assert not any(name.startswith(".cassettes-record") for name in os.listdir(shipped.parent))


def test_the_synthetic_corpus_does_not_depend_on_the_environments_tokens(tmp_path: Path) -> None:
    only = ["providers/featherless", "providers/google", "huggingface/quirks"]  # auth changes Featherless' rows
    bare = record(tmp_path / "bare", only=only, environ={})
    keyed = record(
        tmp_path / "keyed",
        only=only,
        environ={"FEATHERLESS_API_KEY": "fl-0123456789abcdef", "GEMINI_API_KEY": PLANTED["GEMINI_API_KEY"]},
        gateway_token="gateway-0123456789",
    )
    assert bare.ok, bare.failures
    assert keyed.ok, keyed.failures
    assert snapshot(tmp_path / "bare") == snapshot(tmp_path / "keyed")


def test_the_limits_of_a_live_recording_are_options(corpus_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``record --timeout`` bounds a live recording as ``audit --timeout`` bounds an audit: an upstream that drips
    fails its recording (exit 1, nothing replaced) and the failure names the limit."""
    from catalog_guard.fakes.hostile import HostileServer, Settings, always

    with HostileServer(always("drip"), settings=Settings(drip_interval=0.02)) as upstream:
        code = cli.main(
            [
                "record",
                "--only",
                "providers/openrouter",
                "--base-url",
                f"openrouter={upstream}",
                "--cassettes",
                str(corpus_dir),
                "--no-progress",
                "--timeout",
                "0.3",
            ]
        )
    err = capsys.readouterr().err
    assert code == 1, err
    assert "providers/openrouter" in err
    assert "--timeout" in err
    assert "within 0.3 s" in err
    assert not corpus.cassette_path("providers/openrouter", corpus_dir).exists()


def test_the_record_limits_default_to_one_recordings_bounds(capsys: pytest.CaptureFixture[str]) -> None:
    """Not given, the limits are :data:`recorder.RECORD_LIMITS`, and ``--help`` says what they are."""
    args = cli.build_parser().parse_args(["record"])
    assert all(getattr(args, name) is None for name in ("timeout", "deadline", "max_body", "max_wait"))
    with pytest.raises(SystemExit):
        cli.main(["record", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"last byte ({recorder.RECORD_LIMITS.timeout:g})" in help_text
    assert f"each live recording ({recorder.RECORD_LIMITS.deadline:g})" in help_text
