"""Refuse every socket connection that leaves this machine, for as long as a block runs.

The fakes answer through httpx transports, so code under test that opens a socket of its own (``requests``,
``urllib``, a forgotten real client) would quietly reach the live services. Inside :func:`loopback_only` such a
connection fails at once with :class:`NetworkRefused`, and the attempt is remembered so the caller can say what
the code tried to reach.
"""

from __future__ import annotations

import ipaddress
import socket
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Packages between a client and the socket (event loops, TLS) or around the code under test (pytest): never the
# client to name when a connection is refused.
_PLUMBING = ("anyio", "sniffio", "trio", "certifi", "pytest", "pluggy", "execnet", "xdist", "catalog_guard")


class NetworkRefused(ConnectionRefusedError):
    """A connection to a non-loopback address was attempted inside :func:`loopback_only`."""


def client_behind(stack: traceback.StackSummary | None = None) -> str | None:
    """The installed library that reached for a socket, from the stack of the refused connection: the innermost
    frame's top-level package that is not plumbing (``None``: plain code or the standard library)."""
    frames = stack if stack is not None else traceback.extract_stack()
    for frame in reversed(frames):
        path = frame.filename.replace("\\", "/")
        if "/site-packages/" not in path:
            continue
        top = path.split("/site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
        if top not in _PLUMBING and not top.startswith("_"):
            return top
    return None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@contextmanager
def loopback_only(attempts: list[str] | None = None, clients: list[str | None] | None = None) -> Iterator[list[str]]:
    """Within the block, ``socket.connect``/``connect_ex`` to anything but loopback raise :class:`NetworkRefused`;
    ``attempts`` collects ``host:port`` of each refused connection and ``clients`` the library behind it
    (:func:`client_behind`)."""
    seen = attempts if attempts is not None else []
    original_connect, original_connect_ex = socket.socket.connect, socket.socket.connect_ex
    original_getaddrinfo = socket.getaddrinfo

    def check(address: Any) -> None:
        if isinstance(address, tuple) and address and isinstance(address[0], str) and not is_loopback(address[0]):
            if address[0] in ("", "0.0.0.0", "::"):
                return
            target = f"{address[0]}:{address[1]}" if len(address) > 1 else address[0]
            seen.append(target)
            if clients is not None:
                clients.append(client_behind())
            raise NetworkRefused(f"refused a connection to {target}: only loopback is reachable here")

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        # refused before the name is even looked up: a lookup alone already leaks where the code wanted to go
        if isinstance(host, str) and not is_loopback(host):
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
