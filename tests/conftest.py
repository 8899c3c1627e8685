"""Suite-wide fixtures: readable JSON snapshots, and the guarantee that nothing here talks to the network."""

from __future__ import annotations

import pytest
import yaml
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension


def pytest_sessionstart(session: pytest.Session) -> None:
    # vcrpy's YAML path (the benchmark baseline) is ~100x slower without libyaml; the project's own cassettes are
    # JSON, but a missing libyaml would make the comparison in docs/cassette-format.md a lie.
    assert yaml.__with_libyaml__, "PyYAML was built without libyaml; reinstall it from a wheel"


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """One pretty, key-sorted ``.json`` file per assertion: reviewable in a pull request."""
    return snapshot.with_defaults(extension_class=JSONSnapshotExtension)
