"""Refuse every name lookup and every packet that would leave this machine, for as long as a block runs.

The fakes answer through httpx transports, so code under test that opens a socket of its own (``requests``,
``urllib``, a forgotten real client, a UDP metrics client) would quietly reach the live services. Inside
:func:`loopback_only` such an attempt fails at once with :class:`NetworkRefused`, and the attempt is remembered so
the caller can say what the code tried to reach. Loopback (``127.0.0.0/8``, ``::1``, ``localhost``) still works:
the suite's own servers live there.

How: a CPython audit hook (:func:`sys.addaudithook`, PEP 578). The socket module raises an audit event from C
*before* it acts, for every ``connect`` and ``connect_ex``, every ``sendto``/``sendmsg`` with an address (UDP),
``getaddrinfo``, ``gethostbyname``/``gethostbyname_ex``, ``gethostbyaddr`` and ``getnameinfo``, whatever Python
object made the call: a method looked up on ``_socket.socket`` directly, a subclass that overrides ``connect``,
a host given as ``bytes``, ``socket.create_connection``, asyncio. The hook refuses any of them whose host is not
loopback. An audit hook cannot be removed, so it is added once and does nothing unless a guard is active (one
comparison per socket event).

Why not pytest-socket (0.8.1, the maintained plugin for this): its ``--allow-hosts`` mode, the one that keeps
loopback usable, replaces only ``socket.socket.connect``; ``connect_ex``, UDP ``sendto``, ``getaddrinfo``,
``gethostbyname`` and ``_socket.socket.connect`` pass through it. Its other mode refuses every socket at creation,
loopback included, which the suite's uvicorn servers cannot live with. It is also a pytest plugin: as a
dependency of catalog-guard it would load its options into every pytest session of every project that installs
catalog-guard, and :class:`~catalog_guard.contract.FetcherContract` needs the guard as a plain context manager.

One gap of the hook alone: C ``connect``/``connect_ex``/``sendto`` resolve a host *name* before they raise their
event, so the name would be looked up (the connection is still refused). For every call through
:class:`socket.socket` (subclasses, ``create_connection``, asyncio, httpx, urllib, requests), wrappers check the
host first while a guard is active, so the lookup never happens either.

Not covered (nothing in-process can see them): a child process; a C extension that calls the C library's
``connect`` or resolver itself; ``_socket.socket.connect`` called directly with a host *name* (refused, but after
the C code has looked the name up); sockets handed in as already connected file descriptors.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Packages between a client and the socket (event loops, TLS) or around the code under test (pytest): never the
# client to name when a connection is refused.
_PLUMBING = ("anyio", "sniffio", "trio", "certifi", "pytest", "pluggy", "execnet", "xdist", "catalog_guard")


class NetworkRefused(ConnectionRefusedError):
    """A lookup of, or a connection or datagram to, a non-loopback host was attempted inside
    :func:`loopback_only`."""


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


# Hosts that name this machine without leaving it: the unspecified addresses connect to the local host.
_LOCAL_NAMES = frozenset({"localhost", "", "0.0.0.0", "::"})
# the (attempts, clients) lists of the guards now active, innermost last
_ACTIVE: list[tuple[list[str], list[str | None] | None]] = []
_STATE = threading.Lock()
_INSTALLED: list[bool] = []


def is_loopback(host: Any) -> bool:
    """Whether ``host`` (a name, an address, bytes or ``None`` for the wildcard) stays on this machine."""
    if host is None:
        return True  # getaddrinfo(None, port): the local wildcard, for a server
    if isinstance(host, bytes | bytearray):
        try:
            host = bytes(host).decode("ascii")
        except UnicodeDecodeError:
            return False
    if not isinstance(host, str):
        return False
    name = host.lower().rstrip(".")
    if name in _LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0].strip("[]"))
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def _target(event: str, args: tuple[Any, ...]) -> str | None:
    """What an audit event tries to reach, if that is beyond loopback; ``None`` if it may go ahead."""
    host: Any
    port: Any
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        address = args[1] if len(args) > 1 else None
        if not isinstance(address, tuple) or not address or not isinstance(address[0], str | bytes | bytearray):
            return None  # AF_UNIX paths, a connected socket's sendmsg(None), netlink: nothing leaves the machine
        host = address[0]
        port = address[1] if len(address) > 1 else ""
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
        host = args[0] if args else None
        port = args[1] if event == "socket.getaddrinfo" and len(args) > 1 else ""
    elif event == "socket.getnameinfo":
        sockaddr = args[0] if args else None
        host = sockaddr[0] if isinstance(sockaddr, tuple) and sockaddr else None
        port = sockaddr[1] if isinstance(sockaddr, tuple) and len(sockaddr) > 1 else ""
    else:
        return None
    if is_loopback(host):
        return None
    shown = host.decode("ascii", "replace") if isinstance(host, bytes | bytearray) else str(host)
    return f"{shown}:{port}" if port not in ("", None) else shown


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _ACTIVE or not event.startswith("socket."):
        return
    target = _target(event, args)
    if target is None:
        return
    behind = client_behind() if any(clients is not None for _, clients in _ACTIVE) else None
    for seen, clients in list(_ACTIVE):
        seen.append(target)
        if clients is not None:
            clients.append(behind)
    what = event.removeprefix("socket.")
    raise NetworkRefused(f"refused {what} to {target}: only loopback is reachable here")


# The C ``connect``/``sendto`` resolve a host *name* before they raise their audit event, so a name would be looked
# up (one DNS query) before the hook refuses the connection. These wrappers check first, for every caller that goes
# through :class:`socket.socket`; they are in place only while a guard is active.
_WRAPPED = {"connect": "socket.connect", "connect_ex": "socket.connect", "sendto": "socket.sendto"}
_ORIGINALS: dict[str, Any] = {}


def _wrap(name: str, event: str) -> Any:
    original = getattr(socket.socket, name)

    def guarded(self: socket.socket, *args: Any) -> Any:
        _hook(event, (self, args[-1]))  # the address is the last positional argument of all three
        return original(self, *args)

    guarded.__name__ = guarded.__qualname__ = name
    _ORIGINALS[name] = original
    return guarded


def _patch() -> None:
    for name, event in _WRAPPED.items():
        setattr(socket.socket, name, _wrap(name, event))


def _unpatch() -> None:
    for name, original in _ORIGINALS.items():
        setattr(socket.socket, name, original)
    _ORIGINALS.clear()


@contextmanager
def loopback_only(attempts: list[str] | None = None, clients: list[str | None] | None = None) -> Iterator[list[str]]:
    """Within the block, in every thread of the process, lookups of and connections or datagrams to anything but
    loopback raise :class:`NetworkRefused`; ``attempts`` collects ``host:port`` (or ``host``) of each refusal and
    ``clients`` the library behind it (:func:`client_behind`). Guards nest: an inner one also sees what the outer
    ones refuse while it is active."""
    seen = attempts if attempts is not None else []
    with _STATE:
        if not _INSTALLED:
            sys.addaudithook(_hook)
            _INSTALLED.append(True)
        if not _ACTIVE:
            _patch()
        _ACTIVE.append((seen, clients))
    try:
        yield seen
    finally:
        with _STATE:
            for index in range(len(_ACTIVE) - 1, -1, -1):
                if _ACTIVE[index][0] is seen:
                    del _ACTIVE[index]
                    break
            if not _ACTIVE:
                _unpatch()
