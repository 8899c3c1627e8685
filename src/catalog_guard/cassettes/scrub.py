"""The one scrub policy for every cassette: what never reaches a file, and the scanner that checks it did not.

Why one module: secrets leaking into cassettes, and scrubbing that breaks replay, are the second most common
vcrpy complaint (docs/tooling.md §5). So there is a single policy, applied through vcrpy's ``before_record_request``
and ``before_record_response`` hooks, and a scanner (:func:`scan_for_secrets`) that CI runs over ``cassettes/``.

What the policy does, to every interaction, before anything is written:

- request headers :data:`SECRET_REQUEST_HEADERS` become ``<REDACTED>``; ``cookie`` and ``user-agent`` are removed
  (the user agent carries the httpx version and would churn every cassette on an upgrade);
- response ``set-cookie`` is removed, and so are the volatile headers in :data:`VOLATILE_RESPONSE_HEADERS` /
  :data:`VOLATILE_RESPONSE_HEADER_PREFIXES` (``date``, ``server``, ``cf-ray``, ``age``, ``via``, ``x-amz-cf-*``,
  ...) that change on every re-record without meaning anything. ``x-request-id`` is kept: the fakes make it
  deterministic (``fakehub-00000001``) and it is what one quotes to an upstream about a response;
- the query parameters :data:`SECRET_QUERY_PARAMETERS` become ``<REDACTED>``, in the request URI and wherever a
  URL is echoed (``Link`` headers, bodies); their names match in any case (``apiKey=``, ``KEY=``, ``Token=``),
  since servers differ in what they accept;
- in every URI, header value and body: the *known* secrets (the values of the environment variables a recorder
  uses, :func:`known_secrets`), in every encoding :mod:`catalog_guard.redaction` covers (base64 of any text
  holding them, percent-encoded, hex, JSON-escaped), and *token-shaped* strings (:data:`TOKEN_SHAPES`,
  ``Bearer <token>``) become ``<REDACTED>``; ``content-length`` is fixed after a body edit.

The hooks also run when a cassette is *loaded* and on every request vcrpy tries to match, so they are
deterministic and idempotent: a scrubbed interaction scrubs to itself (nothing they insert matches any of their
patterns), and they return the input object untouched when there is nothing to do, which keeps replay fast.
A live request made with a real key still matches its recording, because the incoming request is scrubbed the
same way before matching.

The token shapes that collide with ordinary text (``sk-`` in a model id such as ``org/sk-learn-classifier-v2``)
only count when the token has a run of at least 16 letters/digits with a digit or both cases in it, which a
random key always has and a name almost never does. ``Bearer <token>`` counts for any token of at least 16
token characters, digits or not (``Bearer catalog-guard-gateway-token`` is a credential too); prose such as
``Bearer authentication`` stays, and so does ``Bearer <REDACTED>`` (``<`` is not a token character). A base64
(binary) body is not scanned.
"""

from __future__ import annotations

import copy
import functools
import io
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from catalog_guard.redaction import REDACTED, Redactor, known_secrets

__all__ = ["REDACTED", "Finding", "RewritingPolicy", "ScrubPolicy", "known_secrets", "scan_for_secrets"]

# The placeholder inside a ``Link`` header's ``<...>``: percent-encoded, so a walk that follows a scrubbed next link
# sends (and a replay matches) ``<REDACTED>`` as the parameter's value instead of cutting the URL short.
LINK_REDACTED = quote(REDACTED, safe="")

SECRET_REQUEST_HEADERS = ("authorization", "proxy-authorization", "x-api-key", "x-goog-api-key", "x-portkey-api-key")
REMOVED_REQUEST_HEADERS = ("cookie", "user-agent")
VOLATILE_RESPONSE_HEADERS = frozenset(
    {
        "age", "alt-svc", "cf-cache-status", "cf-ray", "date", "nel", "report-to", "server", "via",
        "x-amzn-trace-id", "x-cache", "x-served-by", "x-timer",
    }
)  # fmt: skip
VOLATILE_RESPONSE_HEADER_PREFIXES = ("x-amz-cf-",)
REMOVED_RESPONSE_HEADERS = frozenset({"set-cookie"}) | VOLATILE_RESPONSE_HEADERS
SECRET_QUERY_PARAMETERS = ("key", "api_key", "apikey", "token", "access_token")  # matched in any case


@dataclass(frozen=True)
class TokenShape:
    """A kind of credential recognisable by its shape. ``guarded`` shapes need a random-looking run (see the
    module docstring) because their prefix also occurs in ordinary names."""

    name: str
    pattern: str
    guarded: bool = True

    @property
    def prefix(self) -> str:
        """The literal the pattern starts with: a plain substring test rules most bodies out before any regex."""
        return self.pattern.split("(", 1)[0]


# The lookbehind sits *after* the literal prefix so that the regex engine can still search for the literal fast.
TOKEN_SHAPES = (
    TokenShape("Hugging Face token", r"hf_(?<![A-Za-z0-9]hf_)[A-Za-z0-9]{20,}", guarded=False),
    TokenShape("OpenAI-style sk- key", r"sk-(?<![A-Za-z0-9]sk-)[A-Za-z0-9_-]{20,}"),
    TokenShape("Google API key", r"AIza(?<![A-Za-z0-9]AIza)[0-9A-Za-z_-]{30,}", guarded=False),
    TokenShape("Fireworks key", r"fw_(?<![A-Za-z0-9]fw_)[A-Za-z0-9]{20,}"),
    TokenShape("Groq key", r"gsk_(?<![A-Za-z0-9]gsk_)[A-Za-z0-9]{20,}"),
    TokenShape("xAI key", r"xai-(?<![A-Za-z0-9]xai-)[A-Za-z0-9]{20,}"),
    TokenShape("Replicate token", r"r8_(?<![A-Za-z0-9]r8_)[A-Za-z0-9]{20,}"),
    TokenShape("AWS access key id", r"AKIA(?<![A-Za-z0-9]AKIA)[0-9A-Z]{16}(?![0-9A-Z])", guarded=False),
)
# RFC 6750 token68 characters, 16 or more; no digit needed. ``<REDACTED>`` starts with ``<``, so it never matches.
_BEARER = r"((?i:bearer)[ \t]+)[A-Za-z0-9._~+/=-]{16,}"
# A value already replaced by the placeholder a ``Link`` URL carries (:data:`LINK_REDACTED`) is not a secret.
_QUERY = r"([?&](?i:{names})=)(?!{done}(?:[&#\s\"'<>\\]|$))[^&#\s\"'<>\\]+".format(
    names="|".join(SECRET_QUERY_PARAMETERS), done=re.escape(LINK_REDACTED)
)
_RANDOM_RUN = re.compile(r"[A-Za-z0-9]{16,}")


def _random_looking(token: str) -> bool:
    for run in _RANDOM_RUN.findall(token):
        if any(c.isdigit() for c in run) or (any(c.islower() for c in run) and any(c.isupper() for c in run)):
            return True
    return False


class _Rules:
    """The text rules of a policy, compiled once for ``str`` and once for ``bytes``."""

    def __init__(self, redactor: Redactor, *, binary: bool) -> None:
        def encode(text: str) -> Any:
            return text.encode("utf-8") if binary else text

        self.redacted = encode(REDACTED)
        self.redact = redactor.redact_bytes if binary else redactor.redact
        self.shapes = [(shape, re.compile(encode(shape.pattern))) for shape in TOKEN_SHAPES]
        self.bearer = re.compile(encode(_BEARER))
        self.query = re.compile(encode(_QUERY))
        # Substrings without which a pattern cannot match; ``in`` is ~20x faster than a regex search over a body.
        # Bearer and the query names match in any case, so their hints are looked for in the lower-cased text.
        self.prefixes = [encode(shape.prefix) for shape in TOKEN_SHAPES]
        self.bearer_hint = encode("bearer")
        self.query_hints = [encode("key="), encode("token=")]
        self.binary = binary

    def _token(self, match: re.Match[Any], shape: TokenShape) -> Any:
        token = match.group()
        text = token.decode("ascii") if self.binary else token
        return self.redacted if not shape.guarded or _random_looking(text) else token

    def _keep_label(self, match: re.Match[Any]) -> Any:
        """``Bearer <REDACTED>``, ``?key=<REDACTED>``: what was there stays readable, only the value goes."""
        return match.group(1) + self.redacted

    def scrub(self, text: Any) -> Any:
        text = self.redact(text)
        for prefix, (shape, pattern) in zip(self.prefixes, self.shapes, strict=True):
            if prefix in text and pattern.search(text):
                text = pattern.sub(functools.partial(self._token, shape=shape), text)
        lowered = text.lower()
        if self.bearer_hint in lowered and self.bearer.search(text):
            text = self.bearer.sub(self._keep_label, text)  # ``lowered`` may now over-hint: harmless, only slower
        if any(hint in lowered for hint in self.query_hints) and self.query.search(text):
            text = self.query.sub(self._keep_label, text)
        return text


class ScrubPolicy:
    """The scrub policy, bound to a set of known secret values (by default, from the environment)."""

    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        self.secrets: dict[str, str] = dict(known_secrets() if secrets is None else secrets)
        self.redactor = Redactor(self.secrets)
        self._text = _Rules(self.redactor, binary=False)
        self._bytes = _Rules(self.redactor, binary=True)

    # -- text -------------------------------------------------------------------------------------------------

    def scrub_text(self, text: str) -> str:
        """``text`` with every known secret, token-shaped string and secret query parameter replaced."""
        return str(self._text.scrub(text))

    def scrub_bytes(self, data: bytes) -> bytes:
        return bytes(self._bytes.scrub(data))

    # -- vcrpy hooks ------------------------------------------------------------------------------------------

    def before_record_request(self, request: Any) -> Any:
        """vcrpy ``before_record_request``: scrub a ``vcr.request.Request`` (vcrpy hands over a deep copy)."""
        uri = self.scrub_text(request.uri)
        if uri != request.uri:
            request.uri = uri
        headers = request.headers
        for name in list(headers.keys()):
            lowered = name.lower()
            if lowered in REMOVED_REQUEST_HEADERS:
                del headers[name]
            elif lowered in SECRET_REQUEST_HEADERS:
                headers[name] = REDACTED
            else:
                value = headers[name]
                if isinstance(value, str):
                    scrubbed = self.scrub_text(value)
                    if scrubbed != value:
                        headers[name] = scrubbed
        body = request.body
        if isinstance(body, bytes) and body:
            scrubbed_body = self.scrub_bytes(body)
            if scrubbed_body != body:
                request.body = scrubbed_body
        return request

    def before_record_response(self, response: dict[str, Any]) -> dict[str, Any]:
        """vcrpy ``before_record_response``: scrub a response dict; returns the same object if nothing changed."""
        headers: dict[str, Any] = response.get("headers") or {}
        new_headers: dict[str, list[str]] = {}
        changed = False
        for name, values in headers.items():
            lowered = name.lower()
            if lowered in REMOVED_RESPONSE_HEADERS or lowered.startswith(VOLATILE_RESPONSE_HEADER_PREFIXES):
                changed = True
                continue
            listed = values if isinstance(values, list) else [values]
            scrubbed = [self.scrub_text(v) if isinstance(v, str) else v for v in listed]
            if lowered == "link":  # ``<url?key=<REDACTED>>`` would end the URL at the placeholder's ``>``
                scrubbed = [v.replace(REDACTED, LINK_REDACTED) if isinstance(v, str) else v for v in scrubbed]
            changed = changed or scrubbed != listed
            new_headers[name] = scrubbed
        body_holder = response.get("body") or {}
        body = body_holder.get("string")
        new_body = body
        if isinstance(body, bytes) and body:
            new_body = self.scrub_bytes(body)
        elif isinstance(body, str) and body:
            new_body = self.scrub_text(body)
        if not changed and new_body == body:
            return response
        result = copy.copy(response)
        if new_body != body:
            result["body"] = {**body_holder, "string": new_body}
            for name in new_headers:
                if name.lower() == "content-length":
                    encoded = new_body.encode("utf-8") if isinstance(new_body, str) else new_body
                    new_headers[name] = [str(len(encoded or b""))]
        result["headers"] = new_headers
        return result

    # -- scanning ---------------------------------------------------------------------------------------------

    def findings_in(self, line: str, *, known_values: bool = True) -> list[str]:
        """What looks like a leaked secret in one line of a cassette (never the secret itself). ``known_values=False``
        skips the search for the known secret values, for a line of a text already found to hold none of them."""
        found = self.redactor.findings(line) if known_values else []
        for shape, pattern in self._text.shapes:
            for match in pattern.finditer(line):
                if not shape.guarded or _random_looking(match.group()):
                    found.append(shape.name)
                    break
        if self._text.bearer.search(line):
            found.append("Bearer token")
        for match in self._text.query.finditer(line):
            found.append(f"query parameter {match.group(1).strip('?&=')}")
        header = _SECRET_HEADER_LINE.search(line)
        if header:
            found.append(f"unredacted {header.group(1).lower()} header")
        return found


class RewritingPolicy(ScrubPolicy):
    """The scrub policy, preceded by moving what was recorded from ``actual`` base URLs to canonical ones.

    The request URI and ``host`` header, and every response header value and body (a ``Link``, an echoed URL),
    are rewritten, so a cassette recorded from ``http://127.0.0.1:8080`` replays for ``https://huggingface.co``.
    Rewriting is idempotent (nothing it inserts matches an ``actual`` base), as vcrpy's hooks must be.
    """

    def __init__(self, secrets: Mapping[str, str] | None = None, rewrites: Mapping[str, str] | None = None) -> None:
        super().__init__(secrets)
        self.rewrites = {actual.rstrip("/"): canonical.rstrip("/") for actual, canonical in (rewrites or {}).items()}

    def _rewrite(self, text: str) -> str:
        for actual, canonical in self.rewrites.items():
            text = text.replace(actual, canonical)
        return text

    def before_record_request(self, request: Any) -> Any:
        if self.rewrites:
            uri = self._rewrite(request.uri)
            if uri != request.uri:
                request.uri = uri
                request.headers["host"] = httpx.URL(uri).netloc.decode("ascii")
        return super().before_record_request(request)

    def before_record_response(self, response: dict[str, Any]) -> dict[str, Any]:
        if self.rewrites:
            response = dict(response)
            response["headers"] = {
                name: [self._rewrite(v) if isinstance(v, str) else v for v in (vs if isinstance(vs, list) else [vs])]
                for name, vs in (response.get("headers") or {}).items()
            }
            body = (response.get("body") or {}).get("string")
            if isinstance(body, bytes) and body:
                new = body
                for actual, canonical in self.rewrites.items():
                    new = new.replace(actual.encode(), canonical.encode())
                if new != body:
                    response["body"] = {**response["body"], "string": new}
        return super().before_record_response(response)


_SECRET_HEADER_LINE = re.compile(
    r'"((?i:{names}))":\s*"(?!{redacted}")'.format(
        names="|".join([*SECRET_REQUEST_HEADERS, "cookie", "set-cookie"]), redacted=re.escape(REDACTED)
    )
)


@dataclass(frozen=True)
class Finding:
    """One suspected secret in a cassette: where, and what kind (the value itself is never repeated)."""

    file: Path
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what}"


CASSETTE_SUFFIXES = (".json", ".yaml", ".yml")


def scan_for_secrets(path: str | os.PathLike[str], *, policy: ScrubPolicy | None = None) -> list[Finding]:
    """Every suspected secret in a cassette file or in the cassettes under a directory, sorted by file and line.

    Meant for CI and a test over ``cassettes/``: it uses the same rules as the scrubber (known values from the
    environment, token shapes, ``Bearer``, secret query parameters) plus unredacted secret headers.
    """
    policy = policy or ScrubPolicy()
    root = Path(path)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.suffix in CASSETTE_SUFFIXES)
    findings: list[Finding] = []
    for file in files:
        text = file.read_text(encoding="utf-8", errors="replace")
        # The known values are searched in the whole text first: its decoded views hold every line's (percent and
        # JSON escapes decode the same in a line as in the text around it), so a text without any is done with
        # them in one pass instead of one per line (the seed-000 cassette has 50,000 lines). The other rules then
        # only look at the lines where one of them can start (:func:`_candidate_lines`).
        known_values = bool(policy.redactor.findings(text))
        lines = enumerate(io.StringIO(text), start=1) if known_values else _candidate_lines(text)
        for number, line in lines:  # lines as a file gives them
            findings.extend(Finding(file, number, what) for what in policy.findings_in(line, known_values=known_values))
    return findings


# What each rule of :meth:`ScrubPolicy.findings_in` other than the known values needs in a line: a token shape's
# literal prefix as written, or in the lower-cased line "bearer", a secret query parameter's "key=" / "token=", or
# a secret header's "author" / 'key":' / "cook". The lower-cased hints avoid "i" and "s": case-insensitive
# matching also takes "ı", "İ" and "ſ" for those, whose lower case is not the ASCII letter; every other letter
# the rules match in any case lower-cases to itself. tests/test_cassette_format.py holds the scan to a
# line-by-line run of every rule.
_CASED_HINTS = tuple(shape.prefix for shape in TOKEN_SHAPES)
_LOWER_HINTS = ("bearer", "key=", "token=", "author", 'key":', "cook")


def _candidate_lines(text: str) -> Iterator[tuple[int, str]]:
    """``(number, line)`` of each line of ``text`` (as ``io.StringIO`` splits it) holding a hint, in order: the
    only lines in which a rule other than the known values can find anything. A search of the whole text for
    each hint replaces six regular expressions run on each of its lines (seed 000's cassette has 65,000)."""
    numbers: set[int] = set()
    for searched, hints in ((text, _CASED_HINTS), (text.lower(), _LOWER_HINTS)):  # lower() keeps every newline
        for hint in hints:
            number, counted_to = 1, 0
            at = searched.find(hint)
            while at >= 0:
                number += searched.count("\n", counted_to, at)
                numbers.add(number)
                counted_to = searched.find("\n", at)  # the rest of this line holds nothing new
                if counted_to < 0:
                    break
                at = searched.find(hint, counted_to)
    if not numbers:
        return
    lines = text.split("\n")
    for number in sorted(numbers):
        yield number, lines[number - 1] + ("\n" if number < len(lines) else "")


def hooks(policy: ScrubPolicy | None = None) -> tuple[Callable[[Any], Any], Callable[[dict[str, Any]], Any]]:
    """``(before_record_request, before_record_response)`` for a ``vcr.VCR``."""
    policy = policy or ScrubPolicy()
    return policy.before_record_request, policy.before_record_response
