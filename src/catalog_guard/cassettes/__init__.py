"""Recorded HTTP cassettes: the ``catalog-guard`` format, the atomic persister, the scrub policy and strict replay.

Everything a test or the CLI needs is re-exported here; see ``docs/cassette-format.md`` for why the format is what
it is and what it costs.
"""

from __future__ import annotations

from catalog_guard.cassettes.compare import comparable, content_diff
from catalog_guard.cassettes.errors import CassetteError
from catalog_guard.cassettes.persister import AtomicPersister
from catalog_guard.cassettes.provenance import live_provenance, recorded_with, synthetic_provenance
from catalog_guard.cassettes.replay import MATCH_ON, cassette_name, make_vcr, record_hint, use_cassette
from catalog_guard.cassettes.scrub import (
    REDACTED,
    Finding,
    RewritingPolicy,
    ScrubPolicy,
    known_secrets,
    scan_for_secrets,
)

__all__ = [
    "MATCH_ON",
    "REDACTED",
    "AtomicPersister",
    "CassetteError",
    "Finding",
    "RewritingPolicy",
    "ScrubPolicy",
    "cassette_name",
    "comparable",
    "content_diff",
    "known_secrets",
    "live_provenance",
    "make_vcr",
    "record_hint",
    "recorded_with",
    "scan_for_secrets",
    "synthetic_provenance",
    "use_cassette",
]
