"""The suite's network guard (tests/conftest.py, :func:`catalog_guard.netguard.loopback_only`) refuses anything but
loopback, whichever door the code uses, and loopback itself still works.

Every refused address is TEST-NET-1 (192.0.2.0/24, never routed) or a name under ``.invalid`` (never resolvable),
and the guard refuses before the call acts; each case checks the refusal came from the guard
(:class:`NetworkRefused`, the target named), not from the network being absent, inside a fresh inner guard whose
``attempts`` list must name the target.
"""

from __future__ import annotations

import _socket
import asyncio
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from catalog_guard.netguard import NetworkRefused, loopback_only

FAR_IP = "192.0.2.10"
FAR_NAME = "catalog-guard-netguard.invalid"


def tcp(sock_type: int = socket.SOCK_STREAM) -> socket.socket:
    return socket.socket(socket.AF_INET, sock_type)


def c_level_connect() -> Any:
    """The C method, called on a C-level socket object: no Python wrapper in between."""
    raw = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    try:
        return _socket.socket.connect(raw, (FAR_IP, 443))
    finally:
        raw.close()


def subclass_connect() -> Any:
    class Direct(socket.socket):
        def connect(self, address: Any) -> None:  # bypasses any patch on socket.socket.connect
            _socket.socket.connect(self, address)

    with Direct(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect((FAR_IP, 443))


def asyncio_connect() -> Any:
    async def go() -> None:
        await asyncio.open_connection(FAR_IP, 443)

    return asyncio.run(go())


BYPASSES: dict[str, tuple[Callable[[], Any], str]] = {
    "connect": (lambda: tcp().connect((FAR_IP, 443)), f"{FAR_IP}:443"),
    "connect_ex": (lambda: tcp().connect_ex((FAR_IP, 443)), f"{FAR_IP}:443"),
    "connect to a bytes host": (lambda: tcp().connect((FAR_IP.encode(), 443)), f"{FAR_IP}:443"),
    "connect_ex to a bytes name": (lambda: tcp().connect_ex((FAR_NAME.encode(), 80)), f"{FAR_NAME}:80"),
    "C-level connect": (c_level_connect, f"{FAR_IP}:443"),
    "a subclass's own connect": (subclass_connect, f"{FAR_IP}:443"),
    "create_connection": (lambda: socket.create_connection((FAR_IP, 443), timeout=1), f"{FAR_IP}:443"),
    "UDP sendto": (lambda: tcp(socket.SOCK_DGRAM).sendto(b"x", (FAR_IP, 53)), f"{FAR_IP}:53"),
    "UDP sendmsg": (lambda: tcp(socket.SOCK_DGRAM).sendmsg([b"x"], [], 0, (FAR_IP, 53)), f"{FAR_IP}:53"),
    "getaddrinfo": (lambda: socket.getaddrinfo(FAR_NAME, 443), f"{FAR_NAME}:443"),
    "getaddrinfo of bytes": (lambda: socket.getaddrinfo(FAR_NAME.encode(), 443), f"{FAR_NAME}:443"),
    "gethostbyname": (lambda: socket.gethostbyname(FAR_NAME), FAR_NAME),
    "gethostbyname of an address": (lambda: socket.gethostbyname(FAR_IP), FAR_IP),
    "gethostbyname_ex": (lambda: socket.gethostbyname_ex(FAR_NAME), FAR_NAME),
    "C-level gethostbyname": (lambda: _socket.gethostbyname(FAR_NAME), FAR_NAME),
    "gethostbyaddr": (lambda: socket.gethostbyaddr(FAR_IP), FAR_IP),
    "getnameinfo": (lambda: socket.getnameinfo((FAR_IP, 443), 0), f"{FAR_IP}:443"),
    "asyncio open_connection": (asyncio_connect, f"{FAR_IP}:443"),
}


@pytest.mark.parametrize("door", list(BYPASSES))
def test_every_door_beyond_loopback_is_refused(door: str) -> None:
    attempt, target = BYPASSES[door]
    with loopback_only() as seen, pytest.raises(NetworkRefused, match=f"to {target}: only loopback is reachable"):
        attempt()
    assert target in seen


@pytest.fixture
def server() -> Iterator[tuple[str, int]]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        yield listener.getsockname()


LOOPBACK: dict[str, Callable[[tuple[str, int]], Any]] = {
    "connect": lambda address: tcp().connect(address),
    "connect_ex": lambda address: tcp().connect_ex(address),
    "bytes host": lambda address: tcp().connect((address[0].encode(), address[1])),
    "localhost by name": lambda address: socket.create_connection(("localhost", address[1]), timeout=5),
    "getaddrinfo": lambda address: socket.getaddrinfo("localhost", address[1]),
    "gethostbyname": lambda _address: socket.gethostbyname("localhost"),
    "UDP sendto": lambda address: tcp(socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", address[1])),
    "C-level connect": lambda address: _socket.socket.connect(_socket.socket(), address),
}


@pytest.mark.parametrize("door", list(LOOPBACK))
def test_loopback_still_works(door: str, server: tuple[str, int]) -> None:
    with loopback_only() as seen:
        result = LOOPBACK[door](server)
    assert seen == []
    if door == "connect_ex":
        assert result == 0


def test_ipv6_loopback_works_and_mapped_loopback_counts_as_loopback() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as listener:
        try:
            listener.bind(("::1", 0))
        except OSError:
            pytest.skip("::1 cannot be bound here")
        listener.listen(1)
        with loopback_only() as seen, socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as client:
            assert client.connect_ex(listener.getsockname()) == 0
        assert seen == []


def test_the_guard_is_off_outside_its_block_and_nests() -> None:
    """The suite's session guard is active around every test; inside a subprocess nothing is guarded, so the
    hook's on/off state is shown in one: refused inside the block, allowed (to the resolver's own failure) after."""
    code = f"""
import socket
from catalog_guard.netguard import NetworkRefused, loopback_only
with loopback_only() as outer:
    with loopback_only() as inner:
        try:
            socket.gethostbyname({FAR_NAME!r})
        except NetworkRefused:
            pass
    assert inner == outer == [{FAR_NAME!r}], (inner, outer)
try:
    assert socket.gethostbyname({FAR_IP!r}) == {FAR_IP!r}  # a numeric host: answered locally, no query sent
except NetworkRefused:
    raise SystemExit("still guarded after the block")
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
