"""A vcrpy persister that never leaves a half-written cassette and never records over one it cannot read.

vcrpy's ``FilesystemPersister`` writes with ``open("w")``: an interrupted run (Ctrl-C, a full disk, a killed CI
job) leaves a truncated file, and on the next run vcrpy logs a warning, treats the file as empty and may record
over it (#501). Here a save goes to a temporary file in the same directory, is fsynced and then ``os.replace``\\ d
over the old one, so a reader sees the old cassette or the new one, never a mix. A load that cannot decode the
file raises :class:`~catalog_guard.cassettes.errors.CassetteError` naming it, which stops the run before any
recording could overwrite it. A missing file raises vcrpy's ``CassetteNotFoundError``, as the protocol requires
(vcrpy then starts an empty cassette; :func:`catalog_guard.cassettes.replay.use_cassette` refuses that in replay).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

from vcr.persisters.filesystem import CassetteNotFoundError
from vcr.serialize import deserialize, serialize

from catalog_guard.cassettes.errors import CassetteError

_DEFAULT_MODE = 0o644


class AtomicPersister:
    """The persister protocol (``load_cassette`` / ``save_cassette``), with atomic saves and loud loads."""

    @classmethod
    def load_cassette(cls, cassette_path: str | os.PathLike[str], serializer: Any) -> tuple[Any, ...]:
        path = Path(cassette_path)
        if not path.is_file():
            raise CassetteNotFoundError(f"no cassette at {path}")
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as error:
            message = f"cassette {path} is not UTF-8 text ({error}); it is corrupt"
            raise CassetteError(message, path=str(path)) from error
        if not text.strip():
            raise CassetteError(
                f"cassette {path} is empty (a truncated write?); delete it and re-record it", path=str(path)
            )
        try:
            return tuple(deserialize(text, serializer))
        except Exception as error:
            raise CassetteError(
                f"cassette {path} cannot be decoded, it is truncated or corrupt: {type(error).__name__}: {error}. "
                "Nothing was overwritten; delete the file and re-record it.",
                path=str(path),
            ) from error

    @staticmethod
    def save_cassette(cassette_path: str | os.PathLike[str], cassette_dict: Any, serializer: Any) -> None:
        path = Path(cassette_path)
        # Serialize first: a serializer that refuses the data must not touch the file system at all.
        data = serialize(cassette_dict, serializer).encode("utf-8")
        write_atomically(path, data)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that no reader, and no crash, ever sees a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else _DEFAULT_MODE
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)  # mkstemp creates 0600; keep the cassette readable like any source file
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); best effort where directories cannot be opened."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(handle)
    finally:
        os.close(handle)
