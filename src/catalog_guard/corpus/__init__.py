"""The recorded corpus: where ``cassettes/`` is, what each named recording asks the upstreams, and the replays
that the suite, the contract classes and the audit read.

Four modules, each importing only the ones before it:

- :mod:`~catalog_guard.corpus.location`: the directory (``--cassettes``, ``$CATALOG_GUARD_CASSETTES``, the
  shipped one), the file of each name, where each upstream really lives and the variables its key is read from;
- :mod:`~catalog_guard.corpus.files`: the files read as data (interactions, provenance, schema drift, the count
  baseline), no replay;
- :mod:`~catalog_guard.corpus.manifest`: every named recording and the function that makes its traffic, the same
  function for recording and for replay;
- :mod:`~catalog_guard.corpus.replay`: :class:`Corpus`, one directory and the replays read from it, each kept
  while its file is unchanged.

Names (``catalog-guard record --only <name>``) are paths under ``cassettes/`` without ``.json``:

- ``huggingface/cursor``, ``huggingface/sort-union``, ``huggingface/single``: :func:`~catalog_guard.hub.fetch_hub`
  with each strategy; ``huggingface/quirks``: the Hub's quirks as evidence (``offset`` ignored, ``sort=trending``
  refused with a 400, an ``expand`` page);
- ``providers/<gateway>``: :func:`~catalog_guard.providers.fetch_provider` for each of the twelve gateways;
- ``gateway/current``: :func:`~catalog_guard.observe.observe` of a correct gateway;
- ``gateway/history/<state>``: the same observation of each historical deployment of
  :data:`catalog_guard.history.HISTORY`, with ``limit=50000`` single requests as the seed reports made them.
  Past deployments cannot be visited again, so these exist only as synthetic recordings;
- ``gateway/baseline.json`` (not a cassette): each gateway's unique count in ``gateway/current``.

The names below are the corpus's public interface, imported from here by the tests, the docs and the other
modules; everything else is reached through its module.
"""

from __future__ import annotations

from catalog_guard.corpus.files import (
    CassetteFile,
    CassetteSource,
    Interaction,
    baseline_counts,
    baseline_document,
    body_drift,
    body_items,
    body_schema,
    cassette_file,
    is_live,
    model_ids,
    models_by_id,
    provenance_of,
    read_baseline,
    read_cassette,
    warn_drift,
)
from catalog_guard.corpus.location import (
    BASELINE,
    BASELINE_FORMAT,
    CASSETTES_ENV,
    CURRENT,
    GATEWAY,
    GROUPS,
    HF_TOKEN_ENV,
    PROVIDERS,
    UnknownRecordingError,
    canonical_base_url,
    cassette_files,
    cassette_path,
    find_cassettes_dir,
    key_missing,
    provider_names,
    upstream_tokens,
    upstreams,
)
from catalog_guard.corpus.manifest import MANIFEST, HubQuirks, Recording, Traffic, history_plan, select
from catalog_guard.corpus.replay import (
    Corpus,
    open_corpus,
    recorded_baseline,
    recorded_hub_models,
    recorded_records,
    recorded_truth,
    replay,
    replay_hub,
    replay_observation,
    replay_provider,
    replay_quirks,
    replay_recording,
)

__all__ = [
    "BASELINE",
    "BASELINE_FORMAT",
    "CASSETTES_ENV",
    "CURRENT",
    "GATEWAY",
    "GROUPS",
    "HF_TOKEN_ENV",
    "MANIFEST",
    "PROVIDERS",
    "CassetteFile",
    "CassetteSource",
    "Corpus",
    "HubQuirks",
    "Interaction",
    "Recording",
    "Traffic",
    "UnknownRecordingError",
    "baseline_counts",
    "baseline_document",
    "body_drift",
    "body_items",
    "body_schema",
    "canonical_base_url",
    "cassette_file",
    "cassette_files",
    "cassette_path",
    "find_cassettes_dir",
    "history_plan",
    "is_live",
    "key_missing",
    "model_ids",
    "models_by_id",
    "open_corpus",
    "provenance_of",
    "provider_names",
    "read_baseline",
    "read_cassette",
    "recorded_baseline",
    "recorded_hub_models",
    "recorded_records",
    "recorded_truth",
    "replay",
    "replay_hub",
    "replay_observation",
    "replay_provider",
    "replay_quirks",
    "replay_recording",
    "select",
    "upstream_tokens",
    "upstreams",
    "warn_drift",
]
