"""One writer per corpus: concurrent ``catalog-guard record`` processes, owners of journals and staging directories.

Every test records into a temporary directory with real processes where the point is concurrency (a thread in
this process would share its pid and could not stand for another run).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from catalog_guard import corpus, recorder
from catalog_guard.fakes.upstreams import FakeUpstreams
from catalog_guard.record_lock import (
    OWNER_FILE,
    CorpusBusyError,
    Owner,
    RecordLock,
    lock_path,
    remove_stale_staging,
    staging_prefix,
)

ONLY = ["huggingface/cursor", "providers/groq"]
CLI = [str(Path(sys.executable).with_name("catalog-guard")), "record", "--source", "fakes", "--no-progress"]
# A second kind of run, in its own process: the same command with other upstream data (every Hub page and Groq's
# list differ), so the two corpora can be told apart file by file. The data is source that process runs, and
# this one too (:func:`changed_fakes`), for the corpus that run leaves alone.
CHANGED_FAKES = """
from catalog_guard import universe
from catalog_guard.fakes.hub import FakeHub
from catalog_guard.fakes.providers import make_fake
from catalog_guard.fakes.upstreams import FakeUpstreams
world = universe.build()
models = [dict(m, likes=m["likes"] + 1) for m in world.hub_models]
kept = world.catalogs[universe.DAY_1]["groq"][1:]
fakes = FakeUpstreams(hub=lambda: FakeHub(models), providers={"groq": lambda: make_fake("groq", kept)})
"""
CHANGED = (
    CHANGED_FAKES
    + """
import sys
from catalog_guard import recorder
try:
    report = recorder.record_corpus(cassettes_dir=sys.argv[1], only=sys.argv[2:], source="fakes", fakes=fakes,
                                    environ={}, wait=120.0)
except recorder.CorpusBusyError as error:
    print(error, file=sys.stderr)
    raise SystemExit(2)
raise SystemExit(report.exit_code)
"""
)


def changed_fakes() -> FakeUpstreams:
    """The upstreams :data:`CHANGED` records from."""
    namespace: dict[str, Any] = {}
    exec(CHANGED_FAKES, namespace)
    fakes: FakeUpstreams = namespace["fakes"]
    return fakes


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def only_args() -> list[str]:
    return [arg for name in ONLY for arg in ("--only", name)]


def cli(directory: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, "--cassettes", str(directory), *only_args(), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def changed(directory: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHANGED, str(directory), *ONLY],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The corpus each kind of run leaves when it runs alone: recorded in this process (what is compared is the
    files, and a synthetic recording's bytes do not depend on the process or its environment's tokens), with
    the fakes each process uses: the defaults of ``catalog-guard record --source fakes``, and :data:`CHANGED`'s."""
    alone = []
    for fakes in (FakeUpstreams(), changed_fakes()):
        directory = tmp_path_factory.mktemp("alone") / "cassettes"
        report = recorder.record_corpus(cassettes_dir=directory, only=ONLY, source="fakes", fakes=fakes, environ={})
        assert report.ok, report.failures
        alone.append(snapshot(directory))
    assert alone[0] != alone[1]
    assert set(alone[0]) == set(alone[1]) == {f"{name}.json" for name in ONLY}
    assert all(alone[0][name] != alone[1][name] for name in alone[0])  # every file tells the two apart
    return alone[0], alone[1]


def test_two_concurrent_records_leave_one_corpus_never_a_mix(
    tmp_path: Path, corpora: tuple[dict[str, bytes], dict[str, bytes]]
) -> None:
    directory = tmp_path / "cassettes"
    first, second = cli(directory, "--wait", "120"), changed(directory)
    results = [process.communicate(timeout=300) for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], results
    assert snapshot(directory) in corpora  # whichever ran last, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cassettes"]  # no lock, staging or swap left


def test_a_record_refuses_at_once_while_another_holds_the_corpus(
    tmp_path: Path, corpora: tuple[dict[str, bytes], dict[str, bytes]]
) -> None:
    directory = tmp_path / "cassettes"
    with RecordLock(directory):  # this process stands for a run in progress
        started = time.monotonic()
        refused = cli(directory)
        out, err = refused.communicate(timeout=120)
        seconds = time.monotonic() - started
    assert refused.returncode == 2
    assert out == ""
    assert err.count("\n") == 1
    assert f"another catalog-guard record holds {directory} (pid {os.getpid()} on " in err
    assert "Let it finish, or pass --wait SECONDS" in err
    assert "Traceback" not in err
    assert not directory.exists()  # nothing recorded, nothing recovered
    assert seconds < 60


def test_a_record_with_wait_runs_once_the_holder_is_done(
    tmp_path: Path, corpora: tuple[dict[str, bytes], dict[str, bytes]]
) -> None:
    directory = tmp_path / "cassettes"
    lock = RecordLock(directory).acquire()
    waiting = cli(directory, "--wait", "120")
    time.sleep(1.0)
    assert waiting.poll() is None  # still waiting for the lock
    lock.release()
    _out, err = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, err
    assert snapshot(directory) == corpora[0]


def test_a_wait_that_runs_out_refuses_naming_the_holder(tmp_path: Path) -> None:
    directory = tmp_path / "cassettes"
    slept: list[float] = []
    with RecordLock(directory), pytest.raises(CorpusBusyError) as refused:
        RecordLock(directory, wait=0.3, sleep=slept.append).acquire()  # a fake sleep: polls until it gives up
    assert f"pid {os.getpid()}" in str(refused.value)
    assert "after waiting 0.3 s" in str(refused.value)
    assert slept
    assert not lock_path(directory).exists()  # removed on release


def test_a_killed_record_leaves_no_lock_and_its_staging_is_removed_by_the_next(tmp_path: Path) -> None:
    directory = tmp_path / "cassettes"
    victim = subprocess.Popen(
        [*CLI, "--cassettes", str(directory)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )  # everything: long enough to be killed mid-way
    deadline = time.monotonic() + 120
    stagings: list[Path] = []
    while not stagings and time.monotonic() < deadline and victim.poll() is None:
        stagings = [p for p in tmp_path.glob(staging_prefix(directory) + "*") if (p / OWNER_FILE).is_file()]
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=60)
    assert stagings, "the record ended before it could be killed"
    assert all(p.is_dir() for p in stagings)  # a kill runs no clean-up

    report = recorder.record_corpus(cassettes_dir=directory, only=["providers/groq"], source="fakes", environ={})
    assert report.ok, report.failures
    assert report.removed_staging == stagings
    assert "removed 1 staging director(ies) left by killed runs" in report.lines()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cassettes"]


def dead_owner() -> Owner:
    """The owner record of a process that has exited."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(timeout=60)
    return Owner(process.pid, Owner.current().host, "2026-01-01T00:00:00Z", None)


def test_staging_directories_are_removed_only_when_their_owner_is_gone(tmp_path: Path) -> None:
    directory = tmp_path / "cassettes"
    prefix = staging_prefix(directory)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = Owner(sleeper.pid, Owner.current().host, "now", None)
        owners = {"dead": dead_owner(), "live": live, "elsewhere": Owner(1, "another-host", "now", None)}
        for name, owner in owners.items():
            (tmp_path / f"{prefix}{name}").mkdir()
            (tmp_path / f"{prefix}{name}" / OWNER_FILE).write_text(json.dumps(owner.to_json()))
        for name, age in (("old-orphan", 7200.0), ("fresh-orphan", 10.0)):  # left by a version without owners
            (tmp_path / f"{prefix}{name}").mkdir()
            stamp = time.time() - age
            os.utime(tmp_path / f"{prefix}{name}", (stamp, stamp))
        removed = remove_stale_staging(directory)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert sorted(p.name.removeprefix(prefix) for p in removed) == ["dead", "old-orphan"]
    assert sorted(p.name.removeprefix(prefix) for p in tmp_path.iterdir()) == ["elsewhere", "fresh-orphan", "live"]


def write_journal(directory: Path, owner: Owner) -> None:
    swap = recorder.swap_dir(directory)
    (swap / "old").mkdir(parents=True)
    (swap / "old" / "a.json").write_text("old")
    (directory / "a.json").write_text("new")
    journal = {"owner": owner.to_json(), "files": [{"path": "a.json", "existed": True}]}
    (swap / recorder.SWAP_JOURNAL).write_text(json.dumps(journal))


def test_the_swap_of_a_live_owner_is_never_rolled_back(tmp_path: Path) -> None:
    directory = tmp_path / "cassettes"
    directory.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        write_journal(directory, Owner(sleeper.pid, Owner.current().host, "2026-12-03T14:00:00Z", None))
        with pytest.raises(CorpusBusyError) as refused:
            recorder.recover(directory)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert f"belongs to pid {sleeper.pid} on " in str(refused.value)
    assert "still runs" in str(refused.value)
    assert (directory / "a.json").read_text() == "new"  # untouched


def test_the_swap_of_an_owner_on_another_host_is_not_rolled_back(tmp_path: Path) -> None:
    directory = tmp_path / "cassettes"
    directory.mkdir()
    write_journal(directory, Owner(1, "another-host", "2026-12-03T14:00:00Z", None))
    with pytest.raises(CorpusBusyError, match="runs on another host"):
        recorder.recover(directory)
    assert (directory / "a.json").read_text() == "new"


def test_the_swap_of_a_dead_owner_is_rolled_back(tmp_path: Path) -> None:
    directory = tmp_path / "cassettes"
    directory.mkdir()
    write_journal(directory, dead_owner())
    assert recorder.recover(directory) == ["a.json"]
    assert (directory / "a.json").read_text() == "old"
    assert not recorder.swap_dir(directory).exists()


def test_a_recycled_pid_is_not_taken_for_the_owner() -> None:
    me = Owner.current()
    if me.process_start is None:
        pytest.skip("no /proc here: the start tick that tells a recycled pid apart cannot be read")
    assert Owner(me.pid, me.host, me.started, me.process_start).alive() is True
    assert Owner(me.pid, me.host, me.started, me.process_start + 1).alive() is False


def test_the_journal_names_its_owner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = tmp_path / "cassettes"
    seen: list[object] = []
    real_replace = os.replace

    def replace(source: object, target: object) -> None:  # look at the journal in the middle of the swap
        journal = recorder.swap_dir(directory) / recorder.SWAP_JOURNAL
        if journal.is_file() and not seen:
            seen.append(json.loads(journal.read_text())["owner"])
        real_replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace)
    assert recorder.record_corpus(cassettes_dir=directory, only=["providers/groq"], source="fakes", environ={}).ok
    assert seen == [Owner.current().to_json()]
    assert corpus.cassette_path("providers/groq", directory).is_file()


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "soon"])
def test_a_wait_that_is_not_a_finite_number_of_seconds_is_a_usage_error(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from catalog_guard.cli import build_parser

    parser = build_parser()
    with pytest.raises(SystemExit) as stopped:
        parser.parse_args(["record", "--wait", value])
    assert stopped.value.code == 2
    assert f"argument --wait: expected a finite number of seconds >= 0, got '{value}'" in capsys.readouterr().err
    assert parser.parse_args(["record", "--wait", "2.5"]).wait == 2.5
