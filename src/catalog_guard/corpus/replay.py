"""Replaying the corpus: a :class:`Corpus` is one cassette directory and what has been replayed from it.

A replay is a pure read (record mode ``none``: no network, every interaction must be played), so it is safe under
pytest-xdist, and the suite, the contract classes and the audit ask for the same replays many times. A
:class:`Corpus` therefore keeps each replay, and each figure computed from replays (the Hub's models, the truth,
the baseline), *for as long as the files it came from are unchanged*: every cached value carries the version
(modification time, size and inode) of each file it was read from, and a file that changed since is replayed
again.
A re-recording into the directory is thus seen by the next read in the same process, with no cache to clear.

:func:`open_corpus` gives the process's one :class:`Corpus` per directory (the module-level functions below read
through it, so they share its replays). The returned objects are shared: treat them as read-only.

Replay imports only the manifest, the clients and the observation it re-runs: nothing from the fakes, the gallery
or the buggy fetchers.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from catalog_guard.cassettes.replay import use_cassette
from catalog_guard.corpus.files import read_baseline
from catalog_guard.corpus.location import (
    BASELINE,
    CURRENT,
    GATEWAY,
    PROVIDERS,
    UnknownRecordingError,
    cassette_files,
    cassette_path,
    find_cassettes_dir,
)
from catalog_guard.corpus.manifest import MANIFEST, HubQuirks, Recording, Traffic
from catalog_guard.errors import IncompleteCatalogError
from catalog_guard.gateways import HUGGINGFACE
from catalog_guard.hub import STRATEGIES, HubResult
from catalog_guard.observe import Observation
from catalog_guard.providers import GATEWAY_SPECS, ProviderResult
from catalog_guard.records import ModelRecord

T = TypeVar("T")
#: A file's version: modification time, size and inode (``os.replace`` of a re-recording makes a new inode).
FileVersion = tuple[int, int, int]
FileVersions = tuple[FileVersion | None, ...]
#: A whole corpus's version (:meth:`Corpus.version`): each file's name and version.
Version = tuple[tuple[str, FileVersion], ...]
Directory = str | os.PathLike[str] | None


class Corpus:
    """One cassette directory (default: :func:`~catalog_guard.corpus.location.find_cassettes_dir`) and the
    replays read from it, each kept while the files it was read from are unchanged."""

    def __init__(self, directory: Directory = None) -> None:
        self.directory = Path(directory).resolve() if directory is not None else find_cassettes_dir()
        self._kept: dict[str, tuple[FileVersions, Any]] = {}
        # one replay at a time: a replay patches httpx process-wide, and two threads asking for the same
        # replay must share one result
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"Corpus({str(self.directory)!r})"

    def path(self, name: str) -> Path:
        return cassette_path(name, self.directory)

    def version(self) -> Version:
        """Every cassette file of the directory (and the baseline) with its version: equal versions, equal
        corpus (what a cache of anything computed from the whole corpus is keyed by)."""
        paths = [*cassette_files(self.directory), self.path(BASELINE)]
        return tuple((str(path.relative_to(self.directory)), _file_version(path)) for path in paths if path.is_file())

    def _version(self, names: Sequence[str]) -> FileVersions:
        versions: list[FileVersion | None] = []
        for name in names:
            try:
                versions.append(_file_version(self.path(name)))
            except OSError:
                versions.append(None)
        return tuple(versions)

    def _keep(self, key: str, names: Sequence[str], compute: Callable[[], T]) -> T:
        """``compute()``, kept under ``key`` until one of the files ``names`` changes."""
        with self._lock:
            version = self._version(names)
            kept = self._kept.get(key)
            if kept is not None and kept[0] == version:
                value: T = kept[1]
                return value
            value = compute()
            self._kept[key] = (version, value)
            return value

    # -------------------------------------------------------------------------------------------- replays

    def replay(self, name: str) -> Any:
        """Replay recording ``name`` afresh, keeping nothing."""
        recording = MANIFEST.get(name)
        if recording is None:
            raise UnknownRecordingError(f"no recording {name!r}")
        return self.replay_recording(recording)

    def replay_recording(self, recording: Recording) -> Any:
        """Make ``recording``'s traffic with plain clients against the canonical hosts, answered by its cassette."""
        directory = str(self.directory)
        with self._lock, use_cassette(recording.path(directory), record_mode="none", cassette_dir=directory):
            return recording.make(Traffic())

    def replayed(self, name: str) -> Any:
        """The replay of recording ``name``, kept while its cassette is unchanged."""
        return self._keep(name, [name], lambda: self.replay(name))

    def hub(self, strategy: str = "cursor") -> HubResult:
        """The Hub fetch of ``strategy`` (one of :data:`~catalog_guard.hub.STRATEGIES`) as recorded."""
        if strategy not in STRATEGIES:
            raise UnknownRecordingError(f"no Hub strategy {strategy!r}; one of {', '.join(STRATEGIES)}")
        result: HubResult = self.replayed(f"{HUGGINGFACE}/{strategy}")
        return result

    def quirks(self) -> HubQuirks:
        """The Hub's quirks as recorded."""
        quirks: HubQuirks = self.replayed(f"{HUGGINGFACE}/quirks")
        return quirks

    def provider(self, name: str) -> ProviderResult:
        """Gateway ``name``'s provider catalog as recorded."""
        result: ProviderResult = self.replayed(f"{PROVIDERS}/{name}")
        return result

    def observation(self, name: str = CURRENT, *, cache: bool = True) -> Observation:
        """The observation of the current gateway (``current``) or of a historical deployment (a
        :data:`~catalog_guard.history.HISTORY` key). ``cache=False`` replays it afresh and keeps nothing: a
        one-shot caller (the recorded audit) then holds one deployment's bodies at a time instead of all seven."""
        recording = f"{GATEWAY}/{CURRENT}" if name == CURRENT else f"{GATEWAY}/history/{name}"
        seen: Observation = self.replayed(recording) if cache else self.replay(recording)
        return seen

    # -------------------------------------------------------------------------------------------- figures

    def hub_models(self) -> list[dict[str, Any]]:
        """The cursor walk's models, each with the ``inferenceProviderMapping`` entry the listing's
        ``inference_provider=hf-inference`` filter implies (the listing does not send it), so that a FakeHub built
        from them serves the same listing. ``status`` is ``live`` and ``task`` the ``pipeline_tag`` (``other``
        when the model has none): the listing says the model is served, not how."""
        models = self._keep("hub-models", [f"{HUGGINGFACE}/cursor"], self._hub_models)
        return [dict(model) for model in models]

    def _hub_models(self) -> tuple[dict[str, Any], ...]:
        models = []
        for model in self._complete_hub_models():
            task = model.get("pipeline_tag")
            mapping = {
                "provider": "hf-inference",
                "providerId": model["id"],
                "status": "live",
                "task": task if isinstance(task, str) and task else "other",
            }
            models.append({**model, "inferenceProviderMapping": [mapping]})
        return tuple(models)

    def records(self, name: str) -> list[ModelRecord]:
        """Gateway ``name``'s recorded rows, normalised and in listing order, or :class:`IncompleteCatalogError`
        naming the cassette when the recorded walk did not finish."""
        return self._complete(f"{PROVIDERS}/{name}", self.provider(name).records)

    def truth(self) -> dict[str, frozenset[str]]:
        """What each upstream lists: the Hub cursor walk's ids for ``huggingface``, each provider's own ids."""
        names = [f"{HUGGINGFACE}/cursor", *(f"{PROVIDERS}/{name}" for name in GATEWAY_SPECS)]
        return dict(self._keep("truth", names, self._truth))

    def _truth(self) -> tuple[tuple[str, frozenset[str]], ...]:
        truth = [(HUGGINGFACE, frozenset(model["id"] for model in self._complete_hub_models()))]
        for name in GATEWAY_SPECS:
            result = self.provider(name)
            truth.append((name, frozenset(self._complete(f"{PROVIDERS}/{name}", result.models))))
        return tuple(truth)

    def baseline(self) -> dict[str, int]:
        """The count baseline written with ``gateway/current``."""
        counts = self._keep(BASELINE, [BASELINE], lambda: tuple(read_baseline(self.path(BASELINE)).items()))
        return dict(counts)

    def _complete_hub_models(self) -> list[dict[str, Any]]:
        return self._complete(f"{HUGGINGFACE}/cursor", self.hub("cursor").models)

    def _complete(self, name: str, models: Callable[[], list[Any]]) -> list[Any]:
        """``models()`` of a replayed fetch, or :class:`IncompleteCatalogError` naming the cassette: a recorded
        walk that did not finish is never truth, and never a shorter one."""
        try:
            return models()
        except IncompleteCatalogError as error:
            raise IncompleteCatalogError(
                f"{self.path(name)}: the recorded {name} is incomplete, it cannot be the truth ({error}); "
                f"re-record it: catalog-guard record --only {name}",
                reason=error.reason,
            ) from error


def _file_version(path: Path) -> FileVersion:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


_OPEN: dict[Path, Corpus] = {}
_OPEN_LOCK = threading.Lock()


def open_corpus(cassettes_dir: Directory = None) -> Corpus:
    """The process's :class:`Corpus` of ``cassettes_dir`` (default: :func:`find_cassettes_dir`): one per
    directory, so every reader shares its replays. Never stale: each replay is checked against its file."""
    directory = Path(cassettes_dir).resolve() if cassettes_dir is not None else find_cassettes_dir()
    with _OPEN_LOCK:
        corpus = _OPEN.get(directory)
        if corpus is None:
            corpus = _OPEN[directory] = Corpus(directory)
        return corpus


# The same reads as functions of a directory (``None``: the default corpus), for the callers that name one.


def replay(name: str, cassettes_dir: Directory = None) -> Any:
    """Replay recording ``name`` afresh (not kept; the typed replays below are)."""
    return open_corpus(cassettes_dir).replay(name)


def replay_recording(recording: Recording, cassettes_dir: Directory = None) -> Any:
    """Make ``recording``'s traffic with plain clients against the canonical hosts, answered by its cassette."""
    return open_corpus(cassettes_dir).replay_recording(recording)


def replay_hub(strategy: str = "cursor", *, cassettes_dir: Directory = None) -> HubResult:
    """:meth:`Corpus.hub`."""
    return open_corpus(cassettes_dir).hub(strategy)


def replay_quirks(*, cassettes_dir: Directory = None) -> HubQuirks:
    """:meth:`Corpus.quirks`."""
    return open_corpus(cassettes_dir).quirks()


def replay_provider(name: str, *, cassettes_dir: Directory = None) -> ProviderResult:
    """:meth:`Corpus.provider`."""
    return open_corpus(cassettes_dir).provider(name)


def replay_observation(name: str = CURRENT, *, cassettes_dir: Directory = None, cache: bool = True) -> Observation:
    """:meth:`Corpus.observation`."""
    return open_corpus(cassettes_dir).observation(name, cache=cache)


def recorded_hub_models(*, cassettes_dir: Directory = None) -> list[dict[str, Any]]:
    """:meth:`Corpus.hub_models`."""
    return open_corpus(cassettes_dir).hub_models()


def recorded_records(name: str, *, cassettes_dir: Directory = None) -> list[ModelRecord]:
    """:meth:`Corpus.records`."""
    return open_corpus(cassettes_dir).records(name)


def recorded_truth(*, cassettes_dir: Directory = None) -> dict[str, frozenset[str]]:
    """:meth:`Corpus.truth`."""
    return open_corpus(cassettes_dir).truth()


def recorded_baseline(*, cassettes_dir: Directory = None) -> dict[str, int]:
    """:meth:`Corpus.baseline`."""
    return open_corpus(cassettes_dir).baseline()
