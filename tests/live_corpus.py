"""A partly live corpus, as ``catalog-guard record --only providers/<name>`` against the real service leaves it.

A copy of the shipped Hub and provider cassettes in a temporary directory, in which one provider cassette is
re-recorded from a fake serving *other* offers (other ids, one fewer, and for Google other page tokens: the real
service's own) and then marked ``kind: live``. Tests use it to show that the suite judges such a cassette by the
contract and not by the synthetic universe, and still judges the synthetic cassettes next to it by the universe.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

from catalog_guard import corpus, gateways, recorder, universe
from catalog_guard.cassettes import live_provenance
from catalog_guard.fakes.providers import FakeProvider, PageTokenFake, make_fake
from catalog_guard.fakes.upstreams import FakeUpstreams

SHIPPED = corpus.find_cassettes_dir(environ={})
RECORDED_AT = "2025-11-20T12:00:00Z"


def copy_corpus(target: Path) -> Path:
    """The shipped Hub and provider cassettes (what the truth is made of), copied to ``target``."""
    for group in (gateways.HUGGINGFACE, corpus.PROVIDERS):
        shutil.copytree(SHIPPED / group, target / group)
    return target


def real_offers(gateway: str) -> list[universe.Offer]:
    """What "the real service" lists: the universe's offers under other ids, the first one gone."""
    offers = universe.build().catalogs[universe.DAY_1][gateway]
    return [dataclasses.replace(offer, id=f"{offer.id}-real") for offer in offers[1:]]


def real_service(gateway: str) -> FakeProvider:
    fake = make_fake(gateway, real_offers(gateway))
    if isinstance(fake, PageTokenFake):
        fake._salt = "real-google"  # the real service's opaque page tokens are not the fakes' own
    return fake


def mark_live(directory: Path, name: str) -> None:
    """Rewrite recording ``name``'s provenance to what a live recording writes."""
    path = corpus.cassette_path(name, directory)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["provenance"] = live_provenance([corpus.MANIFEST[name].host], RECORDED_AT)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def record_live(directory: Path, name: str) -> None:
    """Re-record ``providers/<gateway>`` into ``directory`` from :func:`real_service`, then mark it live."""
    gateway = corpus.MANIFEST[name].upstream
    fakes = FakeUpstreams(providers={gateway: lambda: real_service(gateway)})
    report = recorder.record_corpus(cassettes_dir=directory, only=[name], source="fakes", fakes=fakes, environ={})
    assert report.ok, report.failures
    mark_live(directory, name)
