"""Comparing a recording with another (a rebuilt corpus with the shipped one): byte for byte in everything that
describes the recorded traffic, and a unified diff, naming the file, when they differ.

``provenance.recorded_with`` says which catalog-guard, vcrpy and httpx recorded a file. It stays in the file, so
that an upgrade that changes what gets recorded can be told apart from an upstream that changed, but it is not
content: the resolver installing httpx 0.29.0 where the corpus was recorded with 0.28.1 records the same traffic,
and a suite that went red on that would fail every newcomer's fresh venv. So the comparison masks that one value
and compares every other byte. The mask is applied only where ``provenance.recorded_with`` really is (checked by
parsing the masked text); anywhere else the text is compared unmasked, and a difference shows.
"""

from __future__ import annotations

import difflib
import json
import re

RECORDED_WITH_MASK = "<library versions: provenance, not compared>"
MAX_DIFF_LINES = 200

# The block as the serializers write it (json.dumps, indent 2): the key at some indent, the object's lines, and the
# closing brace at the same indent.
_RECORDED_WITH = re.compile(r'^(?P<indent> *)"recorded_with": \{\n.*?\n(?P=indent)\}', re.MULTILINE | re.DOTALL)


def comparable(text: str) -> str:
    """``text`` with the value of ``provenance.recorded_with`` replaced by :data:`RECORDED_WITH_MASK`; unchanged
    when the document has no such block where the masking would land."""
    masked = _RECORDED_WITH.sub(lambda m: f'{m["indent"]}"recorded_with": "{RECORDED_WITH_MASK}"', text, count=1)
    if masked == text:
        return text
    try:
        document = json.loads(masked)
    except ValueError:
        return text
    provenance = document.get("provenance") if isinstance(document, dict) else None
    if isinstance(provenance, dict) and provenance.get("recorded_with") == RECORDED_WITH_MASK:
        return masked
    return text


def content_diff(name: str, expected: bytes, actual: bytes, labels: tuple[str, str] = ("shipped", "rebuilt")) -> str:
    """A unified diff of the lines in which ``actual`` differs from ``expected`` (file ``name``), library versions
    aside; ``""`` when they are the same. Long diffs are cut after :data:`MAX_DIFF_LINES` lines, saying so."""
    if expected == actual:
        return ""
    try:
        before, after = comparable(expected.decode()), comparable(actual.decode())
    except UnicodeDecodeError:  # not a cassette's UTF-8 JSON: nothing to mask, and the bytes differ
        return f"{labels[0]}/{name} and {labels[1]}/{name} differ (not UTF-8 text)\n"
    if before == after:
        return ""
    lines = list(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            f"{labels[0]}/{name}",
            f"{labels[1]}/{name}",
            n=2,
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... {len(lines) - MAX_DIFF_LINES} more diff lines of {name}\n"]
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
