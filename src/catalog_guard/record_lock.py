"""One writer per corpus: the lock ``catalog-guard record`` holds from its first step to its last, and who owns what.

Why: two records into one ``cassettes/`` at once used to interleave their swaps, and the second one's recovery
rolled back the first one's live swap, leaving a mix of old and new files that no journal described. Now:

- :class:`RecordLock` is an exclusive ``flock`` on ``.<corpus>-record.lock`` next to the corpus, taken before
  anything (recovery included) and released after the swap. A second run refuses at once with a line naming the
  holder (pid, host, start time), or, with ``wait``, waits up to that many seconds and then refuses. The kernel
  drops the lock of a killed process, so a kill never leaves a lock to clean up by hand. The file is removed on
  release (a contender that opened the removed file notices and retries), so nothing is left next to the corpus.
- :class:`Owner` (pid, host, start time, and on Linux the kernel's start tick, so that a recycled pid is not taken
  for the owner) is written into the lock, the swap journal and every staging directory, so that recovery and
  the clean-up of staging directories can tell a dead owner from a live one.

Why not the ``filelock`` package: its lock file stays after release (4.3 keeps it next to the corpus, usually in
the repository root), it records no owner, and its Windows support is the one thing it would add that this
project does not test. ``fcntl`` is POSIX; on a system without it, ``record`` refuses with a clear line.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from catalog_guard.errors import CatalogGuardError

POLL = 0.1
# A staging directory without an owner record (left by a version before owners existed) is stale when nothing in
# it changed for this long: a live recording writes a cassette every few seconds.
ORPHAN_AGE = 3600.0
OWNER_FILE = ".owner"


class CorpusBusyError(CatalogGuardError):
    """Another ``catalog-guard record`` holds the corpus (or a swap by a live process is in progress)."""


def _process_start(pid: int) -> int | None:
    """The kernel's start tick of ``pid`` (Linux ``/proc``), ``None`` where it cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    try:
        return int(stat.rsplit(")", 1)[1].split()[19])  # field 22; the command name may hold spaces and ")"
    except (IndexError, ValueError):
        return None


@dataclass(frozen=True)
class Owner:
    """Who holds a lock or wrote a journal or a staging directory."""

    pid: int
    host: str
    started: str
    process_start: int | None = None

    @classmethod
    def current(cls) -> Owner:
        pid = os.getpid()
        return cls(pid, socket.gethostname(), _started_at(), _process_start(pid))

    @classmethod
    def from_json(cls, data: Any) -> Owner | None:
        """The owner in a decoded record; ``None`` for anything else (an old journal, a damaged file)."""
        if not isinstance(data, dict):
            return None
        try:
            start = data.get("process_start")
            return cls(int(data["pid"]), str(data["host"]), str(data["started"]), None if start is None else int(start))
        except (KeyError, TypeError, ValueError):
            return None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def is_me(self) -> bool:
        me = Owner.current()
        return (self.pid, self.host, self.process_start) == (me.pid, me.host, me.process_start)

    def alive(self) -> bool | None:
        """Whether this owner still runs: ``None`` when it cannot be known (another host)."""
        if self.host != socket.gethostname():
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # exists, under another user
            pass
        start = _process_start(self.pid)
        return self.process_start is None or start is None or start == self.process_start

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host}, started {self.started}"


_STARTED: list[str] = []


def _started_at() -> str:
    """When this process first named itself an owner (stable for the life of the process)."""
    if not _STARTED:
        _STARTED.append(datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return _STARTED[0]


def lock_path(directory: Path) -> Path:
    """The lock of a corpus: a hidden sibling, on the same file system, named for the corpus."""
    return directory.parent / f".{directory.name}-record.lock"


def read_owner(path: Path) -> Owner | None:
    try:
        return Owner.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


class RecordLock:
    """The exclusive lock of one corpus for one ``record`` run (see the module docstring)."""

    def __init__(self, directory: Path, *, wait: float = 0.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.directory = directory
        self.path = lock_path(directory)
        self.wait = wait
        self.sleep = sleep
        self.owner = Owner.current()
        self.waited = 0.0
        self._fd: int | None = None

    def acquire(self) -> RecordLock:
        try:
            import fcntl
        except ImportError as error:  # pragma: no cover - POSIX only (see the module docstring)
            raise CorpusBusyError("catalog-guard record needs fcntl (a POSIX system) to lock the corpus") from error
        self.path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                self.waited = time.monotonic() - started
                if self.waited >= self.wait:
                    holder = read_owner(self.path)
                    raise CorpusBusyError(
                        f"another catalog-guard record holds {self.directory} ({holder or 'owner unknown'}); "
                        f"nothing was recorded{f' after waiting {self.wait:g} s' if self.wait else ''}. "
                        "Let it finish, or pass --wait SECONDS"
                    ) from None
                self.sleep(min(POLL, max(self.wait - self.waited, 0.0)))
                continue
            if _same_file(fd, self.path):
                break
            os.close(fd)  # the holder removed this file while we waited for it: take the new one
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(self.owner.to_json()).encode("utf-8"))
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        self.path.unlink(missing_ok=True)  # while still held: a contender that opened it sees it gone and retries
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RecordLock:
        return self.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.release()


def _same_file(fd: int, path: Path) -> bool:
    try:
        held, named = os.fstat(fd), path.stat()
    except OSError:
        return False
    return (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino)


def staging_prefix(directory: Path) -> str:
    return f".{directory.name}-record-"


def claim_staging(staging: Path) -> None:
    """Mark a new staging directory with its owner, so that a later run can tell it is stale."""
    (staging / OWNER_FILE).write_text(json.dumps(Owner.current().to_json()), encoding="utf-8")


def remove_stale_staging(directory: Path, *, now: float | None = None) -> list[Path]:
    """Remove the staging directories of this corpus whose owner is dead (or is this process: under the lock, a
    staging directory of its own that already exists was left by an earlier, interrupted run). Returns them."""
    removed = []
    now = time.time() if now is None else now
    for staging in sorted(directory.parent.glob(staging_prefix(directory) + "*")):
        if not staging.is_dir():
            continue
        owner = read_owner(staging / OWNER_FILE)
        orphan_stale = owner is None and now - _newest_mtime(staging) > ORPHAN_AGE
        if orphan_stale or (owner is not None and (owner.is_me() or owner.alive() is False)):
            shutil.rmtree(staging, ignore_errors=True)
            removed.append(staging)
    return removed


def _newest_mtime(root: Path) -> float:
    newest = root.stat().st_mtime
    for path in root.rglob("*"):
        try:
            newest = max(newest, path.stat().st_mtime)
        except OSError:
            continue
    return newest
