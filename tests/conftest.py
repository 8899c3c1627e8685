"""Suite-wide fixtures: readable JSON snapshots, and the guarantee that nothing here talks to the network."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

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


_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _loopback_only(address: Any) -> None:
    if isinstance(address, tuple) and address and isinstance(address[0], str):
        host = address[0]
        try:
            if ipaddress.ip_address(host).is_loopback:
                return
        except ValueError:
            if host == "localhost":
                return
        raise ConnectionRefusedError(f"catalog-guard's tests never leave this machine: refused a connection to {host}")


@pytest.fixture(autouse=True, scope="session")
def no_network(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every socket the suite opens goes to loopback (tests' own servers); anything else is refused. Opt-in live
    tests (``--live``/``CATALOG_GUARD_LIVE=1``) lift the guard for the session."""
    import os

    if request.config.getoption("--live") or os.environ.get("CATALOG_GUARD_LIVE") == "1":
        yield
        return

    def connect(self: socket.socket, address: Any) -> None:
        _loopback_only(address)
        _connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _loopback_only(address)
        return _connect_ex(self, address)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect = _connect  # type: ignore[method-assign]
        socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
