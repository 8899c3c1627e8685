"""Suite-wide fixtures: readable JSON snapshots, and the guarantee that nothing here talks to the network."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpcore  # noqa: F401  (see below)
import pytest
import yaml
from hypothesis import settings
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

# The modules every in-process pytest session of this suite (pytester: the gallery, the contract and fetcher
# classes, the plugin) imports: imported here, before any such run, they stay in sys.modules across the runs.
# Imported first inside a run, pytester would drop them when it ends and the next run would import (and, with
# PYTHONDONTWRITEBYTECODE or a read-only tree, assertion-rewrite and compile) them again, and lose what they cache
# per process (the audit's history verdicts, the replay's parsed queries): ~1 s of CPU per run, 50+ runs (3 gallery
# modes: 19 s -> 10 s, docs/benchmarks.md). Nothing in them runs on import.
from catalog_guard import audit, contract, fetcher_checks, plugin, universe, worker_cache  # noqa: F401
from catalog_guard.netguard import loopback_only

# Hypothesis fails an example that takes over 200 ms by default: a timing assertion, which this suite does not make
# (speed is measured by scripts/, never asserted). On a shared 2-core CI machine under load, walks of 50-80 pages
# took 250-280 ms and failed as "flaky"; every property is still checked on every example, only not timed.
settings.register_profile("catalog-guard", deadline=None)
settings.load_profile("catalog-guard")


# httpx imports httpcore lazily, on the first request, and keeps httpcore's exception classes in a map it loads
# once. Imported first inside an in-process pytester run, httpcore would be dropped from sys.modules when that run
# ends (pytester restores sys.modules), re-imported later with new classes, and httpx would then let a raw
# httpcore.ReadTimeout escape its mapping. Importing it here, before any such run, keeps one httpcore per process.


def pytest_sessionstart(session: pytest.Session) -> None:
    # vcrpy's YAML path (the benchmark baseline) is ~100x slower without libyaml; the project's own cassettes are
    # JSON, but a missing libyaml would make the comparison in docs/cassette-format.md a lie.
    assert yaml.__with_libyaml__, "PyYAML was built without libyaml; reinstall it from a wheel"


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """One pretty, key-sorted ``.json`` file per assertion: reviewable in a pull request."""
    return snapshot.with_defaults(extension_class=JSONSnapshotExtension)


@pytest.fixture(autouse=True, scope="session")
def no_network(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every socket the suite opens goes to loopback (tests' own servers); anything else is refused. Opt-in live
    tests (``--catalog-guard-live``/``CATALOG_GUARD_LIVE=1``) lift the guard for the session."""
    if plugin.live_enabled(request.config):
        yield
        return
    with loopback_only():
        yield


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to reach the network fails loudly: a replay must be answered by the cassette alone."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a replay tried to open a socket")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture(scope="module")
def world() -> universe.Universe:
    """The seed universe the fakes serve (modules may override it, e.g. to run on two universes)."""
    return universe.build()
