"""Snapshots stay honest under xdist: an orphaned snapshot fails a parallel run, and ``--snapshot-update -n``
removes exactly the orphan (syrupy >= 5.5 merges the workers' reports; older versions silently skipped this)."""

from __future__ import annotations

import pytest

from inner_sessions import WITHOUT_UNUSED_PLUGINS

pytest_plugins = ["pytester"]

TESTS = """
import pytest
from syrupy.extensions.json import JSONSnapshotExtension

@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.with_defaults(extension_class=JSONSnapshotExtension)

def test_kept(snapshot_json):
    assert {"models": 1377} == snapshot_json
{extra}
"""
ORPHAN = """
def test_removed_later(snapshot_json):
    assert {"models": 1204} == snapshot_json
"""


def test_an_orphaned_snapshot_fails_a_parallel_run_and_update_removes_only_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # this test may itself run in an xdist worker: the inner sessions must not inherit that identity
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_counts=TESTS.replace("{extra}", ORPHAN))
    # writing the two snapshots needs no xdist: in process, without a fourth interpreter start
    assert pytester.runpytest_inprocess("-p", "no:cacheprovider", "--snapshot-update").ret == 0
    snapshots = pytester.path / "__snapshots__" / "test_counts"
    assert sorted(p.name for p in snapshots.iterdir()) == ["test_kept.json", "test_removed_later.json"]

    pytester.makepyfile(test_counts=TESTS.replace("{extra}", ""))
    result = pytester.runpytest_subprocess(*WITHOUT_UNUSED_PLUGINS, "-p", "no:cacheprovider", "-n", "2")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*1 snapshot unused*"])

    assert (
        pytester.runpytest_subprocess(
            *WITHOUT_UNUSED_PLUGINS, "-p", "no:cacheprovider", "-n", "2", "--snapshot-update"
        ).ret
        == 0
    )
    assert sorted(p.name for p in snapshots.iterdir()) == ["test_kept.json"]
