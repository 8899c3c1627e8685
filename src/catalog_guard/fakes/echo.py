"""Upstreams that echo the credentials they receive, in every encoding a leaky server has been seen to use.

Why: the scrubber and the output boundary must be shown to catch a secret in each form, through the real
recording and audit paths, not only in a unit test of the redactor. :data:`ECHOES` is the oracle: each entry
turns the token a request carried into the exact text a leaky server would send back, and a test counts the
planted texts (not the redactor's idea of them) in what was written or printed.

- :func:`echoing` wraps any fake (the Hub, a provider) so that every response also carries each echo in a header
  (``x-echo-<kind>``), in the body (an ``echo`` object on the first model), in a ``Link`` ``rel="alternate"`` URL
  (path and query) and in the ``Link`` ``rel="next"`` URL the walk follows (query), so the echoes also reach the
  recorded request URIs;
- :func:`refusing_gateway` is a gateway that answers every request with a 401 whose ``X-Error-Message`` and body
  echo the token in every form, as a badly configured auth proxy does.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from catalog_guard.fakes.transport import Handler


def _full_percent(text: str) -> str:
    return "".join(f"%{byte:02X}" for byte in text.encode("utf-8"))


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii")


def _lower_escapes(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), text)


# kind -> how a leaky server writes the token. Token characters such as ``+ / =`` make the percent forms differ.
ECHOES: dict[str, Callable[[str], str]] = {
    "plain": lambda t: t,
    "base64": _b64,
    "base64 unpadded": lambda t: _b64(t).rstrip("="),
    "base64url": _b64url,
    "base64url unpadded": lambda t: _b64url(t).rstrip("="),
    "base64 of Bearer token": lambda t: _b64(f"Bearer {t}"),
    "base64url of Bearer token": lambda t: _b64url(f"Bearer {t}").rstrip("="),
    "base64 of user:token (Basic)": lambda t: _b64(f"api:{t}"),
    "base64 of token: (Basic)": lambda t: _b64(f"{t}:"),
    "percent-encoded": lambda t: quote(t, safe=""),
    "percent-encoded, lower-case": lambda t: _lower_escapes(quote(t, safe="")),
    "percent-encoded, every byte": _full_percent,
    "percent-encoded, partly": lambda t: t.replace("+", "%2B"),
    "percent-encoded twice": lambda t: quote(quote(t, safe=""), safe=""),
    "percent-encoded base64 of Bearer token": lambda t: quote(_b64(f"Bearer {t}"), safe=""),
    "hex": lambda t: t.encode("utf-8").hex(),
    "hex, upper-case": lambda t: t.encode("utf-8").hex().upper(),
    "JSON \\u escapes": lambda t: "".join(f"\\u{ord(c):04x}" for c in t),
    "JSON escaped slash": lambda t: t.replace("/", "\\/"),
}


def planted(token: str) -> dict[str, str]:
    """What a leaky server sends back for ``token``, by kind."""
    return {kind: encode(token) for kind, encode in ECHOES.items()}


def hits(token: str, *texts: str | bytes) -> dict[str, int]:
    """How many times each planted form of ``token`` occurs in ``texts`` (kinds with no occurrence left out).

    A text is also read with one level of JSON string escaping undone (``\\\\`` -> ``\\``): a cassette stores a
    body inside a JSON string, where a planted ``\\u0045`` is written ``\\\\u0045``."""
    blobs = [text if isinstance(text, bytes) else text.encode("utf-8") for text in texts]
    unescaped = [blob.replace(b"\\\\", b"\\").replace(b'\\"', b'"') for blob in blobs]
    counts: dict[str, int] = {}
    for kind, form in planted(token).items():
        needle = form.encode("utf-8")
        found = sum(max(blob.count(needle), plain.count(needle)) for blob, plain in zip(blobs, unescaped, strict=True))
        if found:
            counts[kind] = found
    return counts


def _token(request: httpx.Request) -> str:
    value = str(request.headers.get("authorization", ""))
    return value.split(" ", 1)[1] if value.lower().startswith("bearer ") else value


def _header_name(kind: str) -> str:
    return "x-echo-" + re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-")


def echoing(handler: Handler) -> Handler:
    """``handler``, with every response echoing the caller's bearer token in every form (see the module)."""

    def handle(request: httpx.Request) -> httpx.Response:
        response = handler(request)
        token = _token(request)
        if not token or response.status_code != 200:
            return response
        echoes = planted(token)
        headers = {name: value for name, value in response.headers.items() if name.lower() != "content-length"}
        headers.update({_header_name(kind): text for kind, text in echoes.items()})
        body = response.json()
        rows = body if isinstance(body, list) else body.get("data") if isinstance(body, dict) else None
        if rows and isinstance(rows[0], dict):  # placeholders, so the JSON escapes go out as written, not re-escaped
            rows[0]["echo"] = {kind: f"@echo{i}@" for i, kind in enumerate(echoes)}
        text = json.dumps(body)
        for i, echo in enumerate(echoes.values()):
            text = text.replace(f'"@echo{i}@"', f'"{echo}"')
        query = "&".join(f"echo{i}={text}" for i, text in enumerate(echoes.values()))
        links = [f'<{request.url.copy_with(raw_path=b"/echo/" + echoes["base64"].encode())}?{query}>; rel="alternate"']
        next_link = response.headers.get("link")
        if next_link:
            links.append(next_link.replace(">;", f"&{query}>;", 1))
        headers["link"] = ", ".join(links)
        return httpx.Response(response.status_code, headers=headers, content=text.encode("utf-8"))

    return handle


def refusing_gateway(request: httpx.Request) -> httpx.Response:
    """A gateway that refuses every request with a 401 echoing the token it was sent, in every form."""
    token = _token(request)
    echoes = planted(token) if token else {}
    message = "invalid credentials: " + " ".join(echoes.values())
    return httpx.Response(
        401,
        headers={"x-error-message": message, **{_header_name(kind): text for kind, text in echoes.items()}},
        json={"error": {"message": message, "echo": echoes}},
    )


def echoing_hub_app(base_url: str) -> Any:
    """The universe's fake Hub behind :func:`echoing`, as an ASGI app for ``serve.serving``: the loopback upstream
    that ``record`` is pointed at by the secret tests and ``scripts/secret_echoes.py``."""
    from catalog_guard import universe
    from catalog_guard.fakes.gateway import asgi_app
    from catalog_guard.fakes.hub import FakeHub, HubSettings

    return asgi_app(echoing(FakeHub.from_universe(universe.build(), settings=HubSettings(base_url=base_url))))
