"""Small generated Hub model lists and an independent oracle of the Hub's ordering, for the Hub tests.

The oracle (:func:`hub_order`, :func:`served_by`, :func:`with_drift`) is written separately from
``catalog_guard.fakes.hub`` on purpose: a test that asks the fake for a figure and compares it with the fake's
own code proves nothing, so expected figures are computed here, straight from the model dicts.

Every id made here is invented (``org<k>/model-<n>``); nothing pretends to be a real model.
"""

from __future__ import annotations

import copy
import hashlib
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from catalog_guard.universe import Universe

PROVIDERS = ("hf-inference", "together", "fal-ai")
TASKS = ("text-generation", "feature-extraction", "text-to-image", None)
LIBRARIES = ("transformers", "sentence-transformers", "diffusers", None)
EXTRA_TAGS = ("en", "license:mit", "region:us", "gguf", "conversational")


def _hex(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def make_models(
    count: int,
    *,
    seed: int = 0,
    providers: Sequence[str] = PROVIDERS,
    value_range: int = 50,
    private_every: int = 0,
) -> list[dict[str, Any]]:
    """``count`` full Hub model dicts (the keys ``universe.py`` promises), deterministic for ``seed``.

    Counts come from a small ``value_range`` so that ties are common: the ``_id`` tie-break is then exercised
    on every page. ``_id`` is a hash, not a counter, so ``_id`` order differs from list order.
    """
    rng = random.Random(seed)
    models: list[dict[str, Any]] = []
    for number in range(count):
        org = f"org{number % 7}"
        model_id = f"{org}/model-{seed}-{number:05d}"
        task = TASKS[number % len(TASKS)]
        library = LIBRARIES[number % len(LIBRARIES)]
        mapping = [
            {"provider": provider, "providerId": model_id.lower(), "status": "live", "task": task or "other"}
            for provider in providers
            if rng.random() < 0.6
        ]
        tags = [tag for tag in EXTRA_TAGS if rng.random() < 0.5]
        if library:
            tags.insert(0, library)
        if task:
            tags.append(task)
        model: dict[str, Any] = {
            "_id": _hex(f"{seed}-{number}", 24),
            "id": model_id,
            "modelId": model_id,
            "author": org,
            "sha": _hex(f"sha-{seed}-{number}", 40),
            "lastModified": f"2025-{1 + number % 12:02d}-{1 + number % 28:02d}T10:00:00.000Z",
            "createdAt": f"2024-{1 + number % 12:02d}-{1 + number % 28:02d}T09:00:00.000Z",
            "private": bool(private_every) and number % private_every == 0,
            "disabled": False,
            "gated": ("auto", "manual", False, False)[number % 4],
            "downloads": rng.randrange(value_range * 10),
            "likes": rng.randrange(value_range),
            "trendingScore": rng.randrange(value_range),
            "tags": tags,
            "siblings": [{"rfilename": "config.json"}, {"rfilename": "README.md"}],
            "inferenceProviderMapping": mapping,
        }
        if task:
            model["pipeline_tag"] = task
        if library:
            model["library_name"] = library
        models.append(model)
    return models


def providers_of(model: Mapping[str, Any]) -> set[str]:
    mapping = model.get("inferenceProviderMapping") or []
    if isinstance(mapping, Mapping):
        return set(mapping)
    return {entry["provider"] for entry in mapping}


def served_by(models: Iterable[Mapping[str, Any]], provider: str) -> list[Mapping[str, Any]]:
    """Public models that ``provider`` serves: the Hub's ``inference_provider=<provider>`` listing, unordered."""
    return [model for model in models if not model.get("private") and provider in providers_of(model)]


def hub_order(models: Iterable[Mapping[str, Any]], field: str = "trendingScore") -> list[str]:
    """Ids in the Hub's order for ``sort=field``: value descending, nulls last, ``_id`` ascending on ties.

    Two stable sorts (``_id`` first, then the value) instead of the fake's comparator, so that the two
    implementations can disagree if either is wrong.
    """
    by_id = sorted(models, key=lambda model: model["_id"])
    present = [model for model in by_id if model.get(field) is not None]
    missing = [model for model in by_id if model.get(field) is None]
    present.sort(key=lambda model: model[field], reverse=True)
    return [model["id"] for model in present + missing]


def with_drift(models: Iterable[Mapping[str, Any]], *deltas: Mapping[str, Mapping[str, int]]) -> list[dict[str, Any]]:
    """Copies of ``models`` with every given ``{model_id: {field: delta}}`` added."""
    result = [copy.deepcopy(dict(model)) for model in models]
    by_id = {model["id"]: model for model in result}
    for step in deltas:
        for model_id, changes in step.items():
            for field, delta in changes.items():
                by_id[model_id][field] = (by_id[model_id].get(field) or 0) + delta
    return result


def synthetic_universe(count: int = 2300, seed: int = 7) -> Universe:
    """A stand-in universe with the seed's *shape* (more hf-inference models than one page of 1,000, and a
    likes drift after request 1 that lifts the 101st model by likes into the top 100), for the regression
    tests to run on before and besides ``universe.build()``."""
    models = make_models(count, seed=seed, value_range=400)
    hf = served_by(models, "hf-inference")
    order = hub_order(hf, "likes")
    likes = {model["id"]: model["likes"] for model in hf}
    riser = order[100]
    drift = {1: {riser: {"likes": likes[order[99]] - likes[riser] + 1}}}
    return Universe(seed=seed, hub_models=tuple(models), catalogs={}, drift=drift)
