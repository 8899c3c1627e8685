"""A re-recording is seen by the next read in the same process: no replay kept by a :class:`Corpus` goes stale.

The replays of a corpus are kept for speed (the suite asks for the same ones many times), each with the version
of the file it was read from. Before, seven module-level caches keyed by the directory alone handed a process
that re-recorded a directory and then audited it the replays of the files it had just replaced.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from catalog_guard import cli, corpus, recorder, serve, universe
from catalog_guard.fakes.providers import make_fake
from catalog_guard.fakes.upstreams import FakeUpstreams

SHIPPED = corpus.find_cassettes_dir(environ={})
GROQ = "providers/groq"


def audit_json(directory: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    code = cli.main(["audit", "--cassettes", str(directory), "--format", "json"])
    report: dict[str, object] = json.loads(capsys.readouterr().out)
    report["exit"] = code
    return report


def groq_models(report: dict[str, object]) -> int:
    truth = report["truth"]
    assert isinstance(truth, dict)
    return int(truth["upstreams"]["groq"]["models"])


@pytest.mark.slow
def test_audit_re_record_audit_in_one_process_sees_the_new_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = shutil.copytree(SHIPPED, tmp_path / "cassettes")
    first = audit_json(directory, capsys)
    offers = universe.build().catalogs[universe.DAY_1]["groq"]
    assert groq_models(first) == len(offers)
    assert first["exit"] == 0

    # groq's upstream renames its models and drops one; the recorded gateway (gateway/current) lists the old ones
    renamed = [dataclasses.replace(offer, id=f"{offer.id}-renamed") for offer in offers[1:]]
    fakes = FakeUpstreams(providers={"groq": lambda: make_fake("groq", renamed)})
    report = recorder.record_corpus(cassettes_dir=directory, only=[GROQ], source="fakes", fakes=fakes, environ={})
    assert report.ok, report.failures

    second = audit_json(directory, capsys)
    assert groq_models(second) == len(offers) - 1, "the audit judged against the replay of the replaced file"
    failed = [check["name"] for check in second["checks"] if not check["passed"]]  # type: ignore[attr-defined]
    assert {"coverage", "phantom"} <= set(failed), "groq's new listing is judged: none of its ids is served"
    assert second["exit"] == 1


def test_a_corpus_replays_a_changed_file_again(tmp_path: Path) -> None:
    """Below the command: the kept replay and the truth computed from it follow the file, not the directory."""
    directory = shutil.copytree(SHIPPED / corpus.PROVIDERS, tmp_path / corpus.PROVIDERS).parent
    shutil.copytree(SHIPPED / "huggingface", directory / "huggingface")
    recorded = corpus.open_corpus(directory)
    before = recorded.provider("groq")
    assert recorded.provider("groq") is before, "an unchanged file is not replayed again"
    truth_before = recorded.truth()["groq"]
    served_before = serve.recorded_state(directory)

    offers = universe.build().catalogs[universe.DAY_1]["groq"]
    renamed = [dataclasses.replace(offer, id=f"{offer.id}-renamed") for offer in offers]
    fakes = FakeUpstreams(providers={"groq": lambda: make_fake("groq", renamed)})
    assert recorder.record_corpus(cassettes_dir=directory, only=[GROQ], source="fakes", fakes=fakes, environ={}).ok

    after = recorded.provider("groq")
    assert after is not before
    assert set(after.models()) == {offer.id for offer in renamed}
    assert recorded.truth()["groq"] == {offer.id for offer in renamed} != truth_before
    assert corpus.recorded_truth(cassettes_dir=directory)["groq"] == recorded.truth()["groq"]
    served = serve.recorded_state(directory)  # the reference gateway rebuilt from the corpus follows it too
    assert served is not served_before
    assert {row["id"] for row in served.catalog("groq")} == {offer.id for offer in renamed}
