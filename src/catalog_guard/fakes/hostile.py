"""A hostile HTTP server on loopback: the faults a deploy gate must survive, on a real socket.

The in-process fakes cannot drip bytes, hang, reset a connection or send a body that never ends: those only
exist on a socket. :class:`HostileServer` speaks just enough HTTP/1.1 (one request per connection,
``Connection: close``) to answer each request either through an ordinary handler (the reference gateway, say)
or with one of the :data:`FAULTS`, chosen per request by a rule. It binds 127.0.0.1 only, runs in daemon
threads, and :meth:`HostileServer.close` releases every connection it holds, also the hung ones. Given an
``ssl.SSLContext`` (``tls``), it speaks HTTPS: the fault starts once the TLS handshake is done, so the client's
bounds are seen to hold on an encrypted stream too (the tests make a throwaway certificate authority).

Used by the fault-matrix tests (``tests/test_fault_matrix.py``) and ``scripts/measure_reliability.py``.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx

Handler = Callable[[httpx.Request], httpx.Response]
#: Which fault (a key of :data:`FAULTS`) answers the ``n``-th request (0-based), or ``None`` for the handler.
Rule = Callable[[httpx.Request, int], str | None]

ITEM = b'{"id":"hostile/model-0000000000","source_gateway":"hostile","name":"Hostile","context_length":131072},'


@dataclass
class Settings:
    """The knobs of the faults: how slowly to drip, how big a huge body is, how deep the deep JSON nests."""

    drip_interval: float = 0.2
    huge_bytes: int = 200 * 1024 * 1024
    depth: int = 100_000
    retry_after: str | None = "299"
    ratelimit: str | None = None


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {'OK' if status < 400 else 'Error'}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _json_head(length: int | None, status: int = 200) -> bytes:
    headers = {"Content-Type": "application/json"}
    headers.update({"Content-Length": str(length)} if length is not None else {"Transfer-Encoding": "chunked"})
    return _head(status, headers)


def _huge_body(size: int) -> Iterator[bytes]:
    """A valid ``/v1/models`` body of exactly ``size`` bytes (given ``size`` is at least a few hundred)."""
    opening, closing = b'{"object":"list","data":[', b"]}"
    count = max((size - len(opening) - len(closing)) // len(ITEM), 1)
    padding = size - len(opening) - len(closing) - count * len(ITEM) + 1  # +1: the last item has no comma
    yield opening
    batch = ITEM * 1000
    left = count
    while left > 1000:
        yield batch
        left -= 1000
    yield (ITEM * left)[:-1] + b" " * padding
    yield closing


@dataclass
class HostileServer:
    """``with HostileServer(rule, handler) as url: ...``; ``written`` counts the body bytes each fault sent."""

    rule: Rule = field(default=lambda _request, _n: "hung")
    handler: Handler | None = None
    settings: Settings = field(default_factory=Settings)
    tls: ssl.SSLContext | None = None  # a server-side context: HTTPS, the fault after the handshake
    requests: int = 0
    written: int = 0

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        scheme = "https" if self.tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> str:
        threading.Thread(target=self._accept, daemon=True).start()
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._connections.append(connection)
                number = self.requests
                self.requests += 1
            threading.Thread(target=self._serve, args=(connection, number), daemon=True).start()

    def _serve(self, connection: socket.socket, number: int) -> None:
        try:
            if self.tls is not None:
                connection = self.tls.wrap_socket(connection, server_side=True)  # the handshake, then the fault
                with self._lock:
                    self._connections.append(connection)
            request = _read_request(connection)
            if request is None:
                return
            fault = self.rule(request, number)
            if fault is None:
                connection.sendall(_encode(self._answer(request)))
            else:
                FAULTS[fault](self, connection)
        except OSError:
            pass  # the client went away: that is how most faults end
        finally:
            with contextlib.suppress(OSError):
                connection.close()

    def _answer(self, request: httpx.Request) -> httpx.Response:
        if self.handler is None:
            return httpx.Response(404, json={"error": "no handler"})
        return self.handler(request)

    def _send(self, connection: socket.socket, data: bytes) -> None:
        connection.sendall(data)
        self.written += len(data)

    # ---------------------------------------------------------------------------------------------- the faults

    def hung(self, connection: socket.socket) -> None:
        """Accept, read the request, never answer."""
        self._stop.wait()

    def drip(self, connection: socket.socket) -> None:
        """Headers at once (chunked: no length to refuse early), then one byte per ``drip_interval``, for ever."""
        connection.sendall(_json_head(None))
        while not self._stop.wait(self.settings.drip_interval):
            self._send(connection, b"1\r\n \r\n")

    def stall(self, connection: socket.socket) -> None:
        """After ``drip_interval``, headers and the first bytes of the body, then nothing more, the connection held
        open: a read blocked on a body that has stopped. The client's per-read timeout, started after the head,
        would end it only that much past the response's deadline; the watchdog ends it on time."""
        if self._stop.wait(self.settings.drip_interval):
            return
        connection.sendall(_json_head(None))
        self._send(connection, b"1a\r\n" + b'{"object":"list","data":[ \r\n')
        self._stop.wait()

    def endless(self, connection: socket.socket) -> None:
        """A chunked JSON array that never closes, as fast as the client reads it."""
        connection.sendall(_json_head(None) + b"1a\r\n" + b'{"object":"list","data":[ \r\n')
        chunk = ITEM * 500
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        while not self._stop.is_set():
            self._send(connection, frame)

    def huge(self, connection: socket.socket) -> None:
        """A valid JSON body of ``huge_bytes`` bytes, with its content-length."""
        connection.sendall(_json_head(self.settings.huge_bytes))
        for part in _huge_body(self.settings.huge_bytes):
            self._send(connection, part)

    def deep(self, connection: socket.socket) -> None:
        """A 200 whose JSON nests ``depth`` arrays deep."""
        body = b"[" * self.settings.depth + b"]" * self.settings.depth
        connection.sendall(_json_head(len(body)))
        self._send(connection, body)

    def rate_limited(self, connection: socket.socket) -> None:
        """``429`` with ``Retry-After`` and ``RateLimit`` as :class:`Settings` say, for every request."""
        body = b'{"error":"rate limited"}'
        headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        if self.settings.retry_after is not None:
            headers["Retry-After"] = self.settings.retry_after
        if self.settings.ratelimit is not None:
            headers["RateLimit"] = self.settings.ratelimit
        connection.sendall(_head(429, headers) + body)

    def reset(self, connection: socket.socket) -> None:
        """Read the request, then drop the connection with a TCP reset (``SO_LINGER`` 0)."""
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def garbage(self, connection: socket.socket) -> None:
        """Something that is not HTTP at all (a protocol error)."""
        self._send(connection, b"SSH-2.0-OpenSSH_9.6\r\n\r\nnot http\r\n")


FAULTS: dict[str, Callable[[HostileServer, socket.socket], None]] = {
    "hung": HostileServer.hung,
    "drip": HostileServer.drip,
    "stall": HostileServer.stall,
    "endless": HostileServer.endless,
    "huge": HostileServer.huge,
    "deep": HostileServer.deep,
    "rate-limited": HostileServer.rate_limited,
    "reset": HostileServer.reset,
    "garbage": HostileServer.garbage,
}


def always(fault: str) -> Rule:
    """Every request gets ``fault``."""
    return lambda _request, _n: fault


def on_param(fault: str, **params: str) -> Rule:
    """Requests whose query carries every one of ``params`` get ``fault``; the others the handler."""
    return lambda request, _n: fault if all(request.url.params.get(k) == v for k, v in params.items()) else None


def _read_request(connection: socket.socket) -> httpx.Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > 1 << 20:
            return None
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers = [(name.strip(), value.strip()) for name, _, value in (line.partition(":") for line in lines[1:])]
    length = int(dict((k.lower(), v) for k, v in headers).get("content-length", "0") or 0)
    deadline = time.monotonic() + 5
    while len(rest) < length and time.monotonic() < deadline:
        chunk = connection.recv(65536)
        if not chunk:
            break
        rest += chunk
    host = dict((k.lower(), v) for k, v in headers).get("host", "127.0.0.1")
    return httpx.Request(method, f"http://{host}{target}", headers=headers, content=rest[:length])


def _encode(response: httpx.Response) -> bytes:
    body = response.read()
    headers = {
        k: v
        for k, v in response.headers.items()
        if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding")
    }
    return _head(response.status_code, {**headers, "Content-Length": str(len(body))}) + body
