"""The one small record every upstream's model is normalised to before merging or checking, and the id rules.

The id of a model, one rule per kind of source (written here once; docs/architecture.md, "Conventions"):

- the Hub (``/api/models``) and a gateway's ``/v1/models``: ``id`` only (:func:`id_of` with its default). A model
  without a non-empty string ``id`` is reported (a malformed Hub page, a ``schema`` violation), never given an
  id from another field;
- a provider: the field its :class:`~catalog_guard.providers.ProviderSpec` names (``id``; ``name`` for Google and
  Fireworks' control plane; ``model_name`` for DeepInfra's native list);
- a row of unknown origin (a page the walk compares with earlier pages, a cassette diffed by the recorder):
  :func:`any_id`, the first of :data:`ANY_ID_KEYS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ANY_ID_KEYS = ("id", "name", "model_name")


def id_of(item: Mapping[str, Any], keys: tuple[str, ...] = ("id",)) -> str | None:
    """The first of ``keys`` whose value is a non-empty string, else ``None``."""
    for key in keys:
        value = item.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def any_id(item: Mapping[str, Any]) -> str | None:
    """The id of a row whose upstream is not known: ``id``, else ``name``, else ``model_name``."""
    return id_of(item, ANY_ID_KEYS)


@dataclass(frozen=True)
class ModelRecord:
    """One model as one gateway lists it.

    ``id`` is the gateway's own id, exactly as listed (never case-folded: ``gpt-4.1`` and ``gpt-41`` are two
    models). ``hugging_face_id`` is the Hub repo id the upstream links the model to, when it says so; the
    optional canonical merge uses it. ``raw`` keeps the upstream object untouched for schema drift reports.
    """

    id: str
    gateway: str
    name: str | None = None
    context_length: int | None = None
    hugging_face_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
