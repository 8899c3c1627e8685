"""Record and replay cassettes the one way this project does it: strict, scrubbed, and loud when something is off.

:func:`make_vcr` is the only place a ``vcr.VCR`` is configured: the ``catalog-guard`` serializer and the atomic
persister, the central scrub hooks, decoded compression, matching on method + full URL (query order and blank
values ignored, as vcrpy's ``query`` matcher does; the parse is cached) and no playback repeats.

:func:`use_cassette` adds what vcrpy leaves out (docs/tooling.md §5, complaints 1 and 5):

- replaying a cassette that does not exist fails at once, naming the file, the record mode and the one command
  that records it, instead of vcrpy's "can't overwrite existing cassette" on the first request;
- a request the cassette cannot answer keeps vcrpy's detailed 9.x message, with the same hint added as a note;
- leaving the block with recorded interactions that were never played fails, naming them: the code stopped making
  those requests, so the cassette is stale and the checks it feeds are judging traffic that no longer happens
  (pydantic-ai's ``fail_partially_used_vcr_cassettes``);
- when recording, the provenance block is stored in the cassette metadata.

``record_on_exception`` is off: a recording whose block raised is not a trustworthy recording, and the previous
file is kept. ``drop_unused_requests`` is on only for record mode ``all`` (a re-record is then exactly what was
just recorded); in other modes vcrpy would rewrite the file during a *replay* that skipped an interaction.
"""

from __future__ import annotations

import contextlib
import functools
import os
import weakref
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import vcr
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.record_mode import validate_record_mode
from vcr.request import Request

from catalog_guard.cassettes import format as cassette_format
from catalog_guard.cassettes.errors import CassetteError
from catalog_guard.cassettes.persister import AtomicPersister
from catalog_guard.cassettes.scrub import ScrubPolicy

MATCH_ON = ("method", "scheme", "host", "port", "path", "query")
DEFAULT_CASSETTE_DIR = Path("cassettes")
RECORD_COMMAND = "catalog-guard record --only {name}"
_SHOWN_UNPLAYED = 10


def make_vcr(
    *,
    record_mode: str = "none",
    cassette_dir: str | os.PathLike[str] = DEFAULT_CASSETTE_DIR,
    policy: ScrubPolicy | None = None,
) -> vcr.VCR:
    """A ``vcr.VCR`` configured for catalog-guard cassettes (``<cassette_dir>/<name>.json``)."""
    mode = validate_record_mode(record_mode).value
    policy = policy or ScrubPolicy()
    recorder = vcr.VCR(
        serializer=cassette_format.NAME,
        cassette_library_dir=os.fspath(cassette_dir),
        path_transformer=vcr.VCR.ensure_suffix(cassette_format.SUFFIX),
        record_mode=mode,
        match_on=MATCH_ON,
        decode_compressed_response=True,
        before_record_request=policy.before_record_request,
        before_record_response=policy.before_record_response,
        drop_unused_requests=mode == "all",
        record_on_exception=False,
    )
    recorder.register_serializer(cassette_format.NAME, cassette_format)
    recorder.register_persister(AtomicPersister)
    recorder.register_matcher("query", query)
    return recorder


@functools.lru_cache(maxsize=8192)
def _parsed_query(query_string: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(parse_qsl(query_string)))


def query(r1: Any, r2: Any) -> None:
    """vcrpy's ``query`` matcher (``sorted(parse_qsl(query))``: order and blank values ignored), with the parse
    cached. vcrpy compares every incoming request with every recorded one, parsing both queries each time; on a
    corpus of 50-page walks that parsing was a third of the replay time."""
    left, right = _parsed_query(r1.parsed_uri.query), _parsed_query(r2.parsed_uri.query)
    if left != right:
        raise AssertionError(f"{list(left)} != {list(right)}")


def match_key(request: Any) -> tuple[Any, ...]:
    """What :data:`MATCH_ON` compares, as one hashable value: two requests match exactly when their keys are
    equal (vcrpy's matchers are each an equality of one of these parts; an empty path is ``/``)."""
    return (
        request.method,
        request.scheme,
        request.host,
        request.port,
        request.path or "/",
        _parsed_query(request.parsed_uri.query),
    )


def _index_lookup(cassette: Any, policy: ScrubPolicy) -> None:
    """Answer ``cassette``'s lookups from a dict of :func:`match_key` -> recorded indexes, in recorded order.

    vcrpy finds a response by running every matcher against every recorded request, so a replay costs
    requests x interactions matcher calls (75,000 for the recorded audit, 40 % of its time). Indexing gives
    the same answer, the same first-unplayed order, in one lookup. vcrpy has no hook for this: the instance's
    ``_responses`` (the one generator ``play_response``, ``__contains__`` and ``responses_of`` go through) is
    replaced; entries recorded during the block are indexed as they arrive.

    An incoming request is keyed as vcrpy would see it after ``policy``'s scrub, which of the parts
    :data:`MATCH_ON` compares can change only the URI (a secret query parameter): only the URI is scrubbed, on a
    bare copy, instead of vcrpy's deep copy of the whole request (headers, body) and its scrub, three times per
    request (``can_play_response_for``, ``__contains__``, ``play_response``): 13 % of the recorded audit.
    """
    index: dict[tuple[Any, ...], list[int]] = {}
    indexed = 0
    owner = weakref.ref(cassette)  # a strong reference would make a cycle that keeps every body until a gc run

    def responses(request: Any) -> Iterator[tuple[int, Any]]:
        nonlocal indexed
        cassette = owner()
        if cassette is None:
            return
        data = cassette.data
        for position in range(indexed, len(data)):
            index.setdefault(match_key(data[position][0]), []).append(position)
        indexed = len(data)
        key = match_key(Request(request.method, policy.scrub_text(request.uri), None, {}))
        for position in index.get(key, ()):
            yield position, data[position][1]

    cassette._responses = responses


def cassette_name(path: str | os.PathLike[str], cassette_dir: str | os.PathLike[str] = DEFAULT_CASSETTE_DIR) -> str:
    """The name ``catalog-guard record --only`` takes: the path under the cassette directory, without suffix."""
    file = Path(path).with_suffix("")
    try:
        return file.resolve().relative_to(Path(cassette_dir).resolve()).as_posix()
    except ValueError:
        return file.name


def record_hint(path: str | os.PathLike[str], cassette_dir: str | os.PathLike[str] = DEFAULT_CASSETTE_DIR) -> str:
    return RECORD_COMMAND.format(name=cassette_name(path, cassette_dir))


@contextlib.contextmanager
def use_cassette(
    path: str | os.PathLike[str],
    *,
    record_mode: str = "none",
    provenance: Mapping[str, Any] | None = None,
    cassette_dir: str | os.PathLike[str] | None = None,
    policy: ScrubPolicy | None = None,
) -> Iterator[Any]:
    """Run the block inside the cassette at ``path`` (``.json`` added if missing); yields vcrpy's ``Cassette``.

    Raises :class:`CassetteError` if the cassette is missing in replay (``record_mode="none"``), cannot be decoded,
    or has interactions the block never played.
    """
    mode = validate_record_mode(record_mode).value
    file = Path(os.fspath(path))
    if file.suffix != cassette_format.SUFFIX:
        file = file.with_name(file.name + cassette_format.SUFFIX)
    library = Path(cassette_dir) if cassette_dir is not None else DEFAULT_CASSETTE_DIR
    hint = f"record it with: {record_hint(file, library)}"
    if mode == "none" and not file.is_file():
        raise CassetteError(
            f"cassette {file} does not exist, and record mode 'none' only replays; {hint}", path=str(file)
        )
    policy = policy or ScrubPolicy()
    recorder = make_vcr(record_mode=mode, cassette_dir=file.parent, policy=policy)
    unplayed: list[str] = []
    with contextlib.ExitStack() as stack:
        try:
            cassette = stack.enter_context(recorder.use_cassette(str(file)))
        except CassetteError as error:
            error.add_note(f"record mode {mode!r}; {hint}")
            raise
        loaded = len(cassette)
        if list(cassette._match_on) == [recorder.matchers[name] for name in MATCH_ON]:
            _index_lookup(cassette, policy)
        try:
            yield cassette
        except CannotOverwriteExistingCassetteException as error:
            error.add_note(f"cassette {file}, record mode {mode!r}; {hint.replace('record it', 're-record it')}")
            raise
        if provenance is not None and cassette.dirty and not cassette.write_protected:
            _store_provenance(cassette, provenance)
        if mode != "all":
            unplayed = [
                f"{request.method} {request.uri}"
                for index, (request, _) in enumerate(cassette.data[:loaded])
                if cassette.play_counts[index] == 0
            ]
    if unplayed:
        shown = "\n  ".join(unplayed[:_SHOWN_UNPLAYED])
        more = f"\n  ... and {len(unplayed) - _SHOWN_UNPLAYED} more" if len(unplayed) > _SHOWN_UNPLAYED else ""
        raise CassetteError(
            f"{len(unplayed)} of {loaded} interactions in cassette {file} were never played (record mode {mode!r}); "
            f"the code no longer makes these requests, so the cassette is stale:\n  {shown}{more}\n"
            f"re-record it with: {record_hint(file, library)}",
            path=str(file),
        )


def _store_provenance(cassette: Any, provenance: Mapping[str, Any]) -> None:
    """Put ``provenance`` in the cassette metadata, replacing what an earlier recording stored there.

    vcrpy's public ``get_metadata`` only adds a missing key; the stored dict is the cassette's own, so an existing
    one is updated in place.
    """
    fresh = dict(provenance)
    current = cassette.get_metadata(cassette_format.PROVENANCE_KEY, fresh)
    if current is fresh:
        return
    if not isinstance(current, dict):
        raise CassetteError(f"cassette {cassette.path}: stored provenance is not an object", path=str(cassette.path))
    current.clear()
    current.update(fresh)
