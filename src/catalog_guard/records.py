"""The one small record every upstream's model is normalised to before merging or checking."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
