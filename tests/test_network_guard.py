"""The suite's network guard (tests/conftest.py) refuses anything but loopback."""

from __future__ import annotations

import socket

import pytest


def test_a_public_address_is_refused() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(ConnectionRefusedError) as raised:
        sock.connect(("192.0.2.10", 443))  # TEST-NET-1: never routed, and never tried
    assert "only loopback is reachable" in str(raised.value)


def test_loopback_is_allowed() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
            assert client.connect_ex(server.getsockname()) == 0
