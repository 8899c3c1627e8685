"""Known secrets in every encoding an upstream or a gateway may echo them in, and the one way to remove them.

Why a module of its own: a token this tool sends can come back in a body, a header or a next link in another
form than the one sent: base64 (``Basic`` credentials, a debug echo of ``Bearer <token>``), percent-encoded (a
token with ``+``, ``/`` or ``=`` in a URL), hex, JSON-escaped. A plain ``replace`` finds none of these. The
cassette scrubber and scanner (:mod:`catalog_guard.cassettes.scrub`) and everything the commands print or write
(:func:`redacting_output`) use this one :class:`Redactor`, so what is covered is covered everywhere.

How a known secret ``S`` is looked for (:func:`encoded_forms`):

- the *forms* of ``S``: ``S`` itself, its percent-encoding (``quote(S, safe="")``), and, for both, the hex digits
  of its bytes and the base64 of its bytes (standard and urlsafe alphabets). Base64 of a longer text that contains
  ``S`` (``Bearer S``, ``user:S``, ``S:``, a JSON document) depends on where ``S`` starts modulo 3, so for each of
  the three alignments the *core* is kept: the run of base64 characters that depend on the bytes of ``S`` alone.
  Padding is outside the core, so padded and unpadded encodings are the same case. A core shorter than
  :data:`MIN_CORE` characters is dropped (it would match ordinary text);
- the *views* of a text: the text itself, its percent-decoding (any case of ``%2b``/``%2B``, fully or partly
  encoded, and double-encoded ``%252B``), and its JSON-unescaping (``\\/``, ``\\u0041``), each applied again to
  the result, a few rounds deep. Hex forms are compared with the lower-cased view.

A text *contains* ``S`` when a view contains a form. :meth:`Redactor.redact` then replaces every occurrence by
:data:`REDACTED` with a pattern that accepts, character by character, the literal, its ``%XX``/``%25XX`` escape
(either case) or its ``\\u00XX``/``\\/`` escape; a form it still finds afterwards (an encoding mixed inside
another, such as base64 of a percent-decoded text) is left for the scanner, which fails the recording closed.

Not covered: encryption, compression, base32/base85, base64 wrapped over several lines, a secret split across
two writes or two headers, and a secret shorter than :data:`MIN_SECRET_LENGTH` (from 6 characters on, every
alignment keeps a core of at least 7).
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO, TypeVar, cast
from urllib.parse import quote, unquote

REDACTED = "<REDACTED>"
SECRET_ENV_SUFFIXES = ("_TOKEN", "_API_KEY", "_KEY")
# Why a floor on *known* values: a known secret is replaced wherever it occurs, in every URI, header and body. A
# short value (``test``, ``none``, ``1234``, a ``dev`` placeholder in a ``*_KEY`` variable) occurs all over
# ordinary text (model ids, hex shas, prices, dates), so redacting it would rewrite bodies, break replay matching
# and make the scanner flag every cassette. Issued API keys are 20+ characters; 6 still catches short test keys.
MIN_SECRET_LENGTH = 6
# The shortest base64 core kept: 6 characters are 36 bits of the secret.
MIN_CORE = 6
# How many decoding rounds a view goes through (percent inside JSON inside percent is three).
_ROUNDS = 3
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\([\\/\"bfnrt])")
_JSON_SIMPLE = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
T = TypeVar("T")


def known_secrets(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The secrets a command could leak: every environment variable named ``*_TOKEN``, ``*_API_KEY`` or ``*_KEY``
    (``HF_TOKEN``, ``OPENROUTER_API_KEY``, ``CATALOG_GUARD_GATEWAY_TOKEN``, ...) whose value has at least
    :data:`MIN_SECRET_LENGTH` (6) characters, by name (why a floor: see :data:`MIN_SECRET_LENGTH`).

    Values that overlap the placeholder (``REDACTED``, anything with ``<`` or ``>``) are left out: replacing them
    would not be idempotent.
    """
    environ = os.environ if environ is None else environ
    found = {}
    for name, value in environ.items():
        if name.upper().endswith(SECRET_ENV_SUFFIXES) and usable_secret(value):
            found[name] = value
    return dict(sorted(found.items()))


def usable_secret(value: str) -> bool:
    """Long enough to look for, and never part of the placeholder (see :func:`known_secrets`)."""
    return len(value) >= MIN_SECRET_LENGTH and "<" not in value and ">" not in value and value not in REDACTED


@dataclass(frozen=True)
class Form:
    """One literal a secret can appear as, and what kind of encoding it is (``plain``, ``base64``, ...)."""

    kind: str
    text: str

    @property
    def folded(self) -> bool:
        """Hex is matched in any case, so it is kept and compared lower-cased."""
        return self.kind.startswith("hex")


def _base64_cores(data: bytes, alphabet: str) -> list[str]:
    """The base64 characters that depend on ``data`` alone, for each of the 3 positions ``data`` can start at in a
    longer encoded text: encoded between all-zero and between all-one neighbours, the longest run that agrees."""
    encode = base64.urlsafe_b64encode if alphabet == "urlsafe" else base64.b64encode
    cores = []
    for align in range(3):
        low = encode(b"\x00" * align + data + b"\x00\x00").decode("ascii")
        high = encode(b"\xff" * align + data + b"\xff\xff").decode("ascii")
        agree = "".join("1" if a == b else "0" for a, b in zip(low, high, strict=True))
        longest = max(re.findall("1+", agree), key=len, default="")  # not a stray "=" agreeing at the end
        core = low[agree.find(longest) :][: len(longest)]
        if len(core) >= MIN_CORE:
            cores.append(core)
    return cores


@functools.lru_cache(maxsize=256)
def encoded_forms(secret: str) -> tuple[Form, ...]:
    """Every literal :class:`Redactor` looks for when ``secret`` is known (see the module docstring)."""
    preimages = {"": secret}
    escaped = quote(secret, safe="")
    if escaped != secret:
        preimages["percent-encoded "] = escaped
    forms: dict[str, Form] = {}
    for label, text in preimages.items():
        data = text.encode("utf-8")
        candidates = [Form(f"{label}plain".strip(), text), Form(f"{label}hex", data.hex())]
        candidates += [Form(f"{label}base64", core) for core in _base64_cores(data, "standard")]
        candidates += [Form(f"{label}base64url", core) for core in _base64_cores(data, "urlsafe")]
        for form in candidates:
            forms.setdefault(form.text, form)
    return tuple(forms.values())


def _json_unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(1):
            return chr(int(match.group(1), 16))
        char = match.group(2)
        return _JSON_SIMPLE.get(char, char)

    return _JSON_ESCAPE.sub(one, text)


def views(text: str) -> list[str]:
    """``text`` and what it decodes to, percent- and JSON-wise, a few rounds deep (deduplicated, in order)."""
    seen = [text]
    frontier = [text]
    for _ in range(_ROUNDS):
        found = []
        for view in frontier:
            if "%" in view:
                found.append(unquote(view, errors="surrogateescape"))
            if "\\u" in view or "\\/" in view:  # the escapes that can stand for a character of a secret
                found.append(_json_unescape(view))
        frontier = [view for view in dict.fromkeys(found) if view not in seen]
        if not frontier:
            break
        seen += frontier
    return seen


def _char_pattern(char: str, *, fold: bool) -> str:
    """A character as itself, ``%XX`` / ``%25XX`` (hex in either case) or a JSON escape."""
    options = [re.escape(char)]
    if fold and char.lower() != char.upper():
        options = [f"[{re.escape(char.lower())}{re.escape(char.upper())}]"]
    encoded = char.encode("utf-8")
    percent = "".join(f"%(?:25)?(?i:{byte:02x})" for byte in encoded)
    options.append(percent)
    if len(encoded) == 1:  # a JSON escape, also inside a URL that percent-encoded its backslash
        options.append(f"(?:\\\\+|%5[cC])u00(?i:{encoded[0]:02x})")  # once or more: JSON text inside JSON
    if char == "/":
        options.append(r"\\+/")
    return "(?:" + "|".join(options) + ")"


@functools.lru_cache(maxsize=1024)
def _pattern(form: Form) -> re.Pattern[str]:
    return re.compile("".join(_char_pattern(char, fold=form.folded) for char in form.text))


class Redactor:
    """Finds and removes known secret values in every form :func:`encoded_forms` lists.

    ``secrets`` maps a name (``HF_TOKEN``, ``gateway token``) to a value; values that are too short or overlap the
    placeholder are ignored (:func:`usable_secret`). A redactor without secrets returns every text unchanged.
    """

    def __init__(self, secrets: Mapping[str, str] | Iterable[str] = ()) -> None:
        named = secrets if isinstance(secrets, Mapping) else {f"secret {i}": v for i, v in enumerate(secrets)}
        self.secrets = {name: value for name, value in named.items() if value and usable_secret(value)}
        forms: dict[str, list[tuple[str, Form]]] = {}
        for name, value in self.secrets.items():
            for form in encoded_forms(value):
                forms.setdefault(form.text, []).append((name, form))
        # Longest first, so that a form containing another is replaced whole.
        ordered = sorted(forms.items(), key=lambda item: (-len(item[0]), item[0]))
        self._forms = [(name, form) for _text, owners in ordered for name, form in owners[:1]]
        self._folded = any(form.folded for _name, form in self._forms)

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def _found(self, text: str) -> list[tuple[str, Form]]:
        """The (name, form) pairs some view of ``text`` holds, in :attr:`_forms` order."""
        if not self._forms:
            return []
        found: dict[int, None] = {}
        for view in views(text):
            lowered = view.lower() if self._folded else view
            for index, (_name, form) in enumerate(self._forms):
                if index not in found and form.text in (lowered if form.folded else view):
                    found[index] = None
        return [self._forms[index] for index in sorted(found)]

    def findings(self, text: str) -> list[str]:
        """``"value of $NAME"`` (``"value of $NAME (base64)"``, ...) for each secret form some view of ``text``
        holds (never the value itself)."""
        labels = (
            f"value of ${name}" + ("" if form.kind == "plain" else f" ({form.kind})")
            for name, form in self._found(text)
        )
        return list(dict.fromkeys(labels))

    def redact(self, text: str) -> str:
        """``text`` with every occurrence of a known secret, in any covered form, replaced by :data:`REDACTED`.
        Returns ``text`` itself when there is nothing to replace (the common case costs a few substring tests).
        Only the patterns of the forms found run: whatever a form's pattern matches decodes to that form in one
        of the views, so the others have nothing to replace."""
        found = self._found(text)
        for _name, form in found:
            text = _pattern(form).sub(REDACTED, text)
        return text

    def redact_output(self, text: str) -> str:
        """:meth:`redact`, then every line that still holds a secret (an encoding mixed inside another) is withheld
        whole: what a command prints or writes must never carry one, even at the cost of a line."""
        text = self.redact(text)
        if not self._forms or not self.findings(text):
            return text
        return "".join(
            f"{REDACTED} (a line holding a known secret was withheld)" + line[len(line.rstrip("\r\n")) :]
            if self.findings(line)
            else line
            for line in text.splitlines(keepends=True)
        )

    def redact_data(self, value: T) -> T:
        """A copy of ``value`` (strings, lists, tuples, dicts, dataclasses, nested) with :meth:`redact_output` applied
        to every string. For what is rendered after this point: a table that clips a cell to the terminal's width
        could otherwise print the first half of a secret, which no later pass recognises."""
        if not self._forms:
            return value
        return cast(T, self._redact_any(value))

    def _redact_any(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact_output(value)
        if isinstance(value, dict):
            return {self._redact_any(key): self._redact_any(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._redact_any(item) for item in value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {f.name: self._redact_any(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
            return dataclasses.replace(value, **changes)
        return value

    def redact_bytes(self, data: bytes) -> bytes:
        """:meth:`redact` for bytes; bytes that are not UTF-8 pass through unchanged around the secrets."""
        if not self._forms:
            return data
        text = data.decode("utf-8", errors="surrogateescape")
        redacted = self.redact(text)
        return data if redacted is text else redacted.encode("utf-8", errors="surrogateescape")


class RedactingStream:
    """A text stream that redacts every write before passing it on: the output boundary of the commands.

    Why per write and not per line: the progress bar redraws a line with ``\\r`` and never ends it, and ``print``
    hands each argument over in one write, so a secret is never split by the code that prints it.
    """

    def __init__(self, stream: TextIO, redactor: Redactor) -> None:
        self.stream = stream
        self.redactor = redactor

    def write(self, text: str) -> int:
        self.stream.write(self.redactor.redact_output(text))
        return len(text)

    def __getattr__(self, name: str) -> object:  # flush, isatty, encoding, fileno, ...
        return getattr(self.stream, name)


@contextmanager
def redacting_output(redactor: Redactor) -> Iterator[Redactor]:
    """Within the block, everything written to ``sys.stdout`` and ``sys.stderr`` is redacted; an exception that
    leaves the block (to be printed by the interpreter, after the streams are restored) has its messages, and
    those of its causes, redacted first."""
    if not redactor:
        yield redactor
        return
    saved = sys.stdout, sys.stderr
    sys.stdout = RedactingStream(saved[0], redactor)
    sys.stderr = RedactingStream(saved[1], redactor)
    try:
        yield redactor
    except BaseException as error:
        seen: set[int] = set()
        current: BaseException | None = error
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            current.args = tuple(redactor.redact_data(list(current.args)))
            current = current.__cause__ or current.__context__
        raise
    finally:
        sys.stdout, sys.stderr = saved
