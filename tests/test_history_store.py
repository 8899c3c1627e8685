"""The history store (``cassettes/gateway/history.verdicts``): derived from the cassettes, never stale.

The recorded audit reads the historical deployments' verdicts from the store instead of replaying and judging
six deployments (a 50,000-entry listing among them) when, and only when, the store was computed from files
with exactly the contents of the corpus's and under the audit's config. These tests hold it to that: the
shipped store equals what the checks say of the shipped cassettes today (so a change to the checks fails here
until the store is rewritten), and a changed input or another config is judged afresh.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from catalog_guard import audit, checks, corpus, recorder
from catalog_guard.cli import _config, build_parser

REFRESH = (
    "the shipped history store no longer says what the checks say of the shipped cassettes (a check, the "
    "gallery's expectations or the history changed): rewrite it with `python scripts/history_store.py` and "
    "review the diff"
)


@pytest.fixture(scope="module")
def shipped() -> Path:
    return corpus.find_cassettes_dir()


def test_the_shipped_store_equals_the_verdicts_judged_from_the_shipped_cassettes(shipped: Path) -> None:
    configs = audit.stored_configs()
    judged = audit.judge_history_under(shipped, configs)
    document = json.loads((shipped / audit.HISTORY_STORE).read_text("utf-8"))
    assert document["inputs"] == audit.history_inputs(shipped), REFRESH
    for config, expected in zip(configs, judged, strict=True):
        assert audit.stored_history(shipped, config) == expected, REFRESH
    assert expected[0]
    assert any(verdict.failed for verdict in expected[0])


def test_the_recorded_audit_command_default_config_is_a_stored_one() -> None:
    """Else every ``catalog-guard audit`` would judge the history again (correct, but the slow path)."""
    assert _config(build_parser().parse_args(["audit"]), live=False) in audit.stored_configs()
    assert checks.ContractConfig() in audit.stored_configs()  # recorded_audit() without a config


def copy_of(shipped: Path, tmp_path: Path) -> Path:
    directory = tmp_path / "cassettes"
    shutil.copytree(shipped, directory)
    return directory


def test_a_changed_input_or_another_config_is_judged_afresh(shipped: Path, tmp_path: Path) -> None:
    directory = copy_of(shipped, tmp_path)
    config = audit.stored_configs()[0]
    assert audit.stored_history(directory, config) is not None  # a copy has the same contents
    assert audit.stored_history(directory, checks.ContractConfig(coverage_floor=0.5)) is None
    baseline = corpus.cassette_path(corpus.BASELINE, directory)
    baseline.write_text(baseline.read_text("utf-8") + " ", encoding="utf-8")  # same counts, other bytes
    assert audit.stored_history(directory, config) is None


@pytest.mark.parametrize(
    "text",
    ["", "not json", "[]", '{"format": "catalog-guard-history-verdicts/1"}', '{"format": "other", "verdicts": []}'],
)
def test_an_unreadable_store_is_no_store(shipped: Path, tmp_path: Path, text: str) -> None:
    directory = copy_of(shipped, tmp_path)
    (directory / audit.HISTORY_STORE).write_text(text, encoding="utf-8")
    assert audit.stored_history(directory, audit.stored_configs()[0]) is None


def test_a_wrong_store_is_not_read_once_an_input_changed(shipped: Path, tmp_path: Path) -> None:
    """The audit of a corpus whose store no longer matches judges the history itself: the report shows what
    the cassettes say, whatever the store claims."""
    directory = copy_of(shipped, tmp_path)
    store = directory / audit.HISTORY_STORE
    document = json.loads(store.read_text("utf-8"))
    for entry in document["verdicts"]:
        entry["history"] = [{"name": "made-up", "source": "nowhere", "failed": []}]
    store.write_text(json.dumps(document), encoding="utf-8")
    config = audit.stored_configs()[0]
    assert [v.name for v in audit.recorded_audit(config, cassettes_dir=directory).history] == ["made-up"]
    history = corpus.cassette_path("gateway/history/2025-10-18-seed-001", directory)
    history.write_bytes(history.read_bytes() + b"\n")
    judged = audit.recorded_audit(config, cassettes_dir=directory).history
    assert [v.name for v in judged] == [v.name for v in audit.recorded_audit(config).history]
    assert "made-up" not in {v.name for v in judged}


def test_recording_an_input_rewrites_the_store(shipped: Path, tmp_path: Path) -> None:
    directory = copy_of(shipped, tmp_path)
    store = directory / audit.HISTORY_STORE
    store.unlink()
    report = recorder.record_corpus(cassettes_dir=directory, only=["providers/groq"], source="fakes", environ={})
    assert report.ok, report.failures
    assert report.history_store == f"history store rewritten: {store}"
    for config in audit.stored_configs():
        assert audit.stored_history(directory, config) == audit.stored_history(shipped, config)
    # the cassette's provenance (when it was recorded) changed, so its digest did; the verdicts did not
    assert (
        json.loads(store.read_text("utf-8"))["inputs"]
        != json.loads((shipped / audit.HISTORY_STORE).read_text())["inputs"]
    )


def test_recording_no_input_or_into_a_partial_corpus_leaves_the_store_alone(tmp_path: Path) -> None:
    directory = tmp_path / "cassettes"
    report = recorder.record_corpus(cassettes_dir=directory, only=["providers/groq"], source="fakes", environ={})
    assert report.ok, report.failures
    assert report.history_store.startswith("history store not written: the corpus has no gateway/history/")
    assert not (directory / audit.HISTORY_STORE).exists()
    quirks = recorder.record_corpus(cassettes_dir=directory, only=["huggingface/quirks"], source="fakes", environ={})
    assert quirks.ok
    assert quirks.history_store == ""
