"""Run every gallery mode through the contract checks: the evidence that each regression is caught.

A mode is *caught* when every check it names fails on it; the correct gateway must fail none (no false alarm).
The same function backs ``catalog-guard gallery``, the generated ``docs/regression-gallery.md`` and the
meta-tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from catalog_guard import checks, gallery, truth
from catalog_guard.observe import Observation, observe_target


@dataclass(frozen=True)
class GalleryRow:
    """A gallery mode and how the checks judged it."""

    regression: gallery.Mode
    failed: tuple[str, ...]
    first_reason: str

    @property
    def expected(self) -> tuple[str, ...]:
        return self.regression.expected

    @property
    def spared(self) -> tuple[str, ...]:
        return self.regression.spared

    def to_dict(self) -> dict[str, Any]:
        """The JSON row of ``catalog-guard gallery --format json``."""
        mode = self.regression
        return {
            "mode": mode.name,
            "title": mode.title,
            "source": mode.source,
            "expected": list(mode.expected),
            "failed": list(self.failed),
            "first_reason": self.first_reason,
            "caught": self.caught,
            "ok": self.ok,
        }

    @property
    def caught(self) -> bool:
        """Every intended check failed, and none of the checks the mode must spare (its cause is elsewhere)."""
        return set(self.expected) <= set(self.failed) and not set(self.spared) & set(self.failed)

    @property
    def ok(self) -> bool:
        """Caught by its intended checks; for the correct gateway: no violation at all."""
        return not self.failed if not self.expected else self.caught


def observe_mode(name: str) -> Observation:
    return observe_target(gallery.MODES[name].target())


def judge_mode(name: str, context: checks.Context | None = None) -> GalleryRow:
    mode = gallery.MODES[name]
    results = checks.run_checks(observe_mode(name), context or truth.recorded_context())
    failed = tuple(r.name for r in results if not r.passed)
    intended = next((r for r in results if r.name in mode.expected and not r.passed), None)
    reason = intended.summary() if intended else next((r.summary() for r in results if not r.passed), "")
    return GalleryRow(mode, failed, reason)


def run_gallery(names: Iterable[str] | None = None) -> list[GalleryRow]:
    context = truth.recorded_context()
    return [judge_mode(name, context) for name in (names or gallery.MODES)]


def render(rows: list[GalleryRow], fmt: str = "table") -> str:
    if fmt == "json":
        return json.dumps([row.to_dict() for row in rows], indent=2)
    header = ["mode", "regression", "seen in", "expected violation", "caught", "also failed"]
    body = []
    for row in rows:
        caught = (
            ("no false alarm" if row.ok else "FALSE ALARM") if not row.expected else ("yes" if row.caught else "NO")
        )
        others = [name for name in row.failed if name not in row.expected]
        body.append(
            [
                row.regression.name,
                row.regression.title,
                row.regression.source,
                (", ".join(row.expected) or "(none)") + "".join(f"; not {name}" for name in row.regression.spared),
                caught,
                ", ".join(others) or "-",
            ]
        )
    if fmt == "markdown":
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in body]
    else:
        widths = [min(60, max(len(r[i]) for r in [header, *body])) for i in range(len(header))]
        lines = [
            "  ".join(c[:w].ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            for row in [header, ["-" * w for w in widths], *body]
        ]
    caught_count = sum(r.caught for r in rows if r.expected)
    total = sum(1 for r in rows if r.expected)
    alarms = sum(1 for r in rows if not r.expected and not r.ok)
    lines.append("")
    lines.append(
        f"{caught_count} of {total} regressions caught by their intended check; "
        f"{alarms} false alarms on the correct gateway"
    )
    return "\n".join(lines)
