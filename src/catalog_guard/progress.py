"""A progress bar on stderr for the slow commands (``catalog-guard record``, ``catalog-guard audit`` against a live
gateway), with nothing to install.

Why so small: the only job is to show a person that a minutes-long recording is moving, and where. On a terminal it
redraws one line (``\\r[####....] 12/34 label``); anywhere else (CI logs, a pipe, a file) it prints one plain line per
finished step and ignores the in-between notes, so a log stays short and greppable. It never writes to stdout,
which belongs to the command's real output (the diff summary, the report).
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import TextIO

WIDTH = 24
MAX_LABEL = 72


class Progress:
    """Counts steps towards ``total`` (``None``: unknown, only the count is shown) and shows the current label."""

    def __init__(
        self,
        total: int | None = None,
        *,
        label: str = "",
        stream: TextIO | None = None,
        width: int = WIDTH,
        tty: bool | None = None,
    ) -> None:
        self.total = total
        self.done = 0
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.tty = _is_tty(self.stream) if tty is None else tty
        self._drawn = 0
        self._closed = False
        # a concurrent observation reports its responses from several threads: one count, whole lines
        self._lock = threading.Lock()

    # -- what callers do ----------------------------------------------------------------------------------------

    def note(self, label: str) -> None:
        """Show what is being worked on now, without counting a step (a terminal only: logs get the steps)."""
        with self._lock:
            self.label = label
            if self.tty:
                self._draw()

    def step(self, label: str | None = None) -> None:
        """Count one finished step; ``label`` says which."""
        with self._lock:
            self.done += 1
            if label is not None:
                self.label = label
            if self.tty:
                self._draw()
            else:
                self._line()

    def close(self) -> None:
        """End the bar's line so that what is printed next starts on a fresh one. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    # -- rendering ----------------------------------------------------------------------------------------------

    def render(self) -> str:
        """The bar as text, without the carriage return: ``[####....] 12/34 label``."""
        label = self.label if len(self.label) <= MAX_LABEL else self.label[: MAX_LABEL - 1] + "…"
        if self.total is None:
            return f"[{self.done}] {label}".rstrip()
        total = max(self.total, 0)
        filled = self.width if total == 0 else min(self.width, self.done * self.width // total)
        bar = "#" * filled + "." * (self.width - filled)
        return f"[{bar}] {self.done}/{total} {label}".rstrip()

    def _draw(self) -> None:
        text = self.render()
        # Pad over what the previous, longer line left behind.
        padding = " " * max(0, self._drawn - len(text))
        self.stream.write(f"\r{text}{padding}")
        self.stream.flush()
        self._drawn = len(text)

    def _line(self) -> None:
        count = f"{self.done}/{self.total}" if self.total is not None else str(self.done)
        self.stream.write(f"[{count}] {self.label}".rstrip() + "\n")
        self.stream.flush()


def _is_tty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # a closed or exotic stream is not a terminal
        return False
