"""Refuse every socket connection that leaves this machine, for as long as a block runs.

The fakes answer through httpx transports, so code under test that opens a socket of its own (``requests``,
``urllib``, a forgotten real client) would quietly reach the live services. Inside :func:`loopback_only` such a
connection fails at once with :class:`NetworkRefused`, and the attempt is remembered so the caller can say what
the code tried to reach.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class NetworkRefused(ConnectionRefusedError):
    """A connection to a non-loopback address was attempted inside :func:`loopback_only`."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@contextmanager
def loopback_only(attempts: list[str] | None = None) -> Iterator[list[str]]:
    """Within the block, ``socket.connect``/``connect_ex`` to anything but loopback raise :class:`NetworkRefused`;
    ``attempts`` collects ``host:port`` of each refused connection."""
    seen = attempts if attempts is not None else []
    original_connect, original_connect_ex = socket.socket.connect, socket.socket.connect_ex
    original_getaddrinfo = socket.getaddrinfo

    def check(address: Any) -> None:
        if isinstance(address, tuple) and address and isinstance(address[0], str) and not _is_loopback(address[0]):
            if address[0] in ("", "0.0.0.0", "::"):
                return
            target = f"{address[0]}:{address[1]}" if len(address) > 1 else address[0]
            seen.append(target)
            raise NetworkRefused(f"refused a connection to {target}: only loopback is reachable here")

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        # refused before the name is even looked up: a lookup alone already leaks where the code wanted to go
        if isinstance(host, str) and not _is_loopback(host):
            check((host, port))
        return original_getaddrinfo(host, port, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        original_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return original_connect_ex(self, address)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = getaddrinfo
    try:
        yield seen
    finally:
        socket.socket.connect = original_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = original_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = original_getaddrinfo
