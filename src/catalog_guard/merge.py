"""Cross-gateway merge of model catalogs, with the statistics the seed reports argue from.

The default rule is the one the seed-000 frontend ships: a map from the **exact** model id to the model and the
set of gateways that list it. Nothing is normalised, because every normalisation a gateway tried has merged
models that are not the same (G12: stripping ``.`` and ``/`` made ``gpt-4.1`` and ``gpt-41`` collide).

A second, explicit mode (``key="canonical"``) joins the same weights listed under provider wrappers: it keys a
record by its Hugging Face repo id when the upstream links one, else by its id with the known wrappers removed
(``models/``, ``accounts/<acct>/models/``, ``@slug/``, ``:free``-style suffixes), case-folded. It never touches
``.``, ``-``, ``_`` or ``/`` inside a name, and it strips only suffixes it knows (``llama3:8b`` and
``llama3:70b`` stay two models): a missed merge shows up as two rows, a wrong merge hides a model.

The result is deterministic whatever order the gateways were fetched in (concurrent fetches finish in any
order), and ``to_dict()`` is plain JSON for snapshots.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from catalog_guard.records import ModelRecord

KeyMode = Literal["exact", "canonical"]

# OpenRouter variants (``:free``, ``:thinking``, ...), the HF router's routing policies and provider suffixes.
# An allowlist on purpose: an unknown ``:tag`` may be part of the model's name.
KNOWN_SUFFIXES = frozenset(
    {
        "free", "beta", "extended", "thinking", "online", "nitro", "floor", "exacto",
        "fastest", "cheapest",
        "novita", "together", "fireworks-ai", "featherless-ai", "deepinfra", "groq", "cerebras",
        "sambanova", "nscale", "hyperbolic", "nebius", "scaleway", "hf-inference",
    }
)  # fmt: skip

_ACCOUNT_PREFIX = re.compile(r"^accounts/[^/]+/models/")
_MODELS_PREFIX = "models/"
_SLUG_PREFIX = re.compile(r"^@[^/]+/")
_HF_URL_PREFIX = re.compile(r"^https?://(?:www\.)?huggingface\.co/")


def exact_key(record: ModelRecord) -> str:
    """The frontend's key: the id exactly as the gateway lists it."""
    return record.id


def strip_prefix(model_id: str) -> str:
    """Remove one provider prefix (``accounts/<acct>/models/``, ``models/``, ``@slug/``). Unlike a known
    ``:suffix`` (OpenRouter lists ``x`` and ``x:free`` as two offers), a prefix never names a different offer, so
    one gateway listing ``x`` and ``models/x`` lists one model twice (the id-hygiene check)."""
    stripped = _ACCOUNT_PREFIX.sub("", model_id, count=1)
    if stripped == model_id and model_id.startswith(_MODELS_PREFIX):
        stripped = model_id[len(_MODELS_PREFIX) :]
    if stripped == model_id:
        stripped = _SLUG_PREFIX.sub("", model_id, count=1)
    return stripped


def strip_wrappers(model_id: str) -> str:
    """Remove one provider prefix and one known ``:suffix``; nothing inside the name is touched, and an id that
    is nothing but a wrapper is kept whole (an empty key would merge unrelated rows)."""
    stripped = strip_prefix(model_id)
    head, colon, tail = stripped.rpartition(":")
    if colon and head and tail.casefold() in KNOWN_SUFFIXES:
        stripped = head
    return stripped or model_id


def _hub_repo(record: ModelRecord) -> str | None:
    """The Hub repo id the upstream links the record to: ``hugging_face_id``, else DeepInfra/Chutes ``root``."""
    for value in (record.hugging_face_id, record.raw.get("root")):
        if isinstance(value, str) and value.strip():
            repo = _HF_URL_PREFIX.sub("", value.strip()).strip("/")
            if repo:
                return repo
    return None


def canonical_key(record: ModelRecord) -> str:
    """Case-folded Hub repo id when the upstream gives one, else the id case-folded, then without provider
    wrappers (folding first, so ``Models/X`` and ``models/x`` agree)."""
    repo = _hub_repo(record)
    return repo.casefold() if repo is not None else strip_wrappers(record.id.casefold())


KEYS: dict[str, Callable[[ModelRecord], str]] = {"exact": exact_key, "canonical": canonical_key}


@dataclass(frozen=True)
class MergedModel:
    """One merged row: the key, the gateways listing it, and the fields of its representative record.

    ``ids`` are the gateway ids merged under the key (in exact mode, just the key).
    """

    id: str
    gateways: tuple[str, ...]
    name: str | None
    context_length: int | None
    hugging_face_id: str | None
    ids: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "gateways": list(self.gateways),
            "name": self.name,
            "context_length": self.context_length,
            "hugging_face_id": self.hugging_face_id,
            "ids": list(self.ids),
        }


@dataclass(frozen=True)
class FocusStats:
    """Seed 000's breakdown for one gateway: of its unique models, how many are only here and where the rest
    also are (``shared_with`` lists only gateways that share at least one)."""

    gateway: str
    unique: int
    only_here: int
    shared: int
    shared_with: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "gateway": self.gateway,
            "unique": self.unique,
            "only_here": self.only_here,
            "shared": self.shared,
            "shared_with": dict(self.shared_with),
        }


@dataclass(frozen=True)
class MergeStats:
    """Counts per gateway and across gateways. Every mapping is keyed by gateway name, sorted.

    ``cross_gateway_duplicates`` is Σ over merged keys of (number of gateways − 1), so
    ``Σ unique − cross_gateway_duplicates == total_unique``. ``duplication_factor`` is ``None`` for a gateway
    that listed nothing (the factor is undefined, and an empty gateway is a finding in itself).
    """

    key: str
    fetched: dict[str, int]
    unique: dict[str, int]
    duplicates: dict[str, int]
    duplication_factor: dict[str, float | None]
    total_fetched: int
    total_unique: int
    cross_gateway_duplicates: int
    shared: dict[str, int]
    overlap: dict[str, dict[str, int]]
    focus: FocusStats | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "fetched": dict(self.fetched),
            "unique": dict(self.unique),
            "duplicates": dict(self.duplicates),
            "duplication_factor": dict(self.duplication_factor),
            "total_fetched": self.total_fetched,
            "total_unique": self.total_unique,
            "cross_gateway_duplicates": self.cross_gateway_duplicates,
            "shared": dict(self.shared),
            "overlap": {gateway: dict(row) for gateway, row in self.overlap.items()},
            "focus": self.focus.to_dict() if self.focus is not None else None,
        }


@dataclass(frozen=True)
class MergedCatalog:
    """The merged rows (sorted by key) and the statistics of the merge."""

    key: str
    entries: dict[str, MergedModel]
    stats: MergeStats

    def ids(self) -> list[str]:
        return list(self.entries)

    def on(self, gateway: str) -> list[str]:
        """Keys listed by ``gateway``, sorted."""
        return [key for key, model in self.entries.items() if gateway in model.gateways]

    def only_on(self, gateway: str) -> list[str]:
        """Keys listed by ``gateway`` and by no other gateway, sorted."""
        return [key for key, model in self.entries.items() if model.gateways == (gateway,)]

    def focus(self, gateway: str) -> FocusStats:
        """The seed-000 breakdown for ``gateway`` (which must be one of the merged gateways)."""
        if gateway not in self.stats.fetched:
            raise ValueError(f"{gateway!r} is not one of the merged gateways {sorted(self.stats.fetched)}")
        row = self.stats.overlap[gateway]
        return FocusStats(
            gateway=gateway,
            unique=self.stats.unique[gateway],
            only_here=len(self.only_on(gateway)),
            shared=self.stats.shared[gateway],
            shared_with={other: count for other, count in row.items() if count},
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "entries": [model.to_dict() for model in self.entries.values()],
            "stats": self.stats.to_dict(),
        }


def _preference(gateway: str, record: ModelRecord) -> tuple[Any, ...]:
    """Which record represents a merged row: the alphabetically first gateway's (fetch order is not stable),
    then the most informative, then the smallest; so the choice never depends on input order."""
    return (
        gateway,
        record.name is None, record.name or "",
        record.context_length is None, record.context_length or 0,
        record.hugging_face_id is None, record.hugging_face_id or "",
        record.id,
    )  # fmt: skip


def merge(
    catalogs: Mapping[str, Sequence[ModelRecord]],
    *,
    key: KeyMode = "exact",
    focus: str | None = None,
) -> MergedCatalog:
    """Merge ``gateway -> records as fetched`` (duplicates included) into one row per key.

    The gateway is the mapping's key, not ``record.gateway``: a row is attributed to the listing it came from.
    ``focus`` adds the :class:`FocusStats` of that gateway to the statistics.
    """
    if key not in KEYS:
        raise ValueError(f"unknown merge key {key!r}; use one of {sorted(KEYS)}")
    key_of = KEYS[key]
    gateways = sorted(catalogs)
    # One pass per gateway, in sorted order, into plain dicts; the cost per record is a key and a dict lookup.
    # The preference tuple is built only when one gateway lists a key twice: across gateways the alphabetically
    # first one wins (it is the first element of the preference), and gateways are visited in that order.
    keys_by_gateway: dict[str, dict[str, ModelRecord]] = {}
    listed: dict[str, list[str]] = {}
    best: dict[str, ModelRecord] = {}
    member_ids: dict[str, set[str]] = {}
    for gateway in gateways:
        mine: dict[str, ModelRecord] = {}
        for record in catalogs[gateway]:
            k = record.id if key_of is exact_key else key_of(record)
            kept = mine.get(k)
            if kept is None or _preference(gateway, record) < _preference(gateway, kept):
                mine[k] = record
            if key_of is not exact_key:
                ids = member_ids.get(k)
                if ids is None:
                    member_ids[k] = {record.id}
                else:
                    ids.add(record.id)
        keys_by_gateway[gateway] = mine
        for k, record in mine.items():
            owners = listed.get(k)
            if owners is None:
                listed[k] = [gateway]
                best[k] = record
            else:
                owners.append(gateway)

    entries: dict[str, MergedModel] = {}
    new_model = MergedModel.__new__
    # Few distinct gateway sets exist (a dozen gateways): one shared tuple each, instead of one per row, keeps
    # 200,000 live containers away from the garbage collector, which otherwise walks them again and again.
    shared_sets: dict[tuple[str, ...], tuple[str, ...]] = {}
    for k in sorted(listed):
        record = best[k]
        gateway_set = tuple(listed[k])
        model = new_model(MergedModel)
        # frozen dataclass: its __init__ sets each field through object.__setattr__; filling __dict__ at once
        # gives the same object at a third of the cost (200,000 rows).
        model.__dict__.update(
            id=k,
            gateways=shared_sets.setdefault(gateway_set, gateway_set),
            name=record.name,
            context_length=record.context_length,
            hugging_face_id=record.hugging_face_id,
            ids=tuple(sorted(member_ids[k])) if member_ids else (k,),
        )
        entries[k] = model

    fetched = {gateway: len(catalogs[gateway]) for gateway in gateways}
    unique = {gateway: len(keys_by_gateway[gateway]) for gateway in gateways}
    key_sets = {gateway: keys_by_gateway[gateway].keys() for gateway in gateways}
    pairs = {
        (gateway, other): len(key_sets[gateway] & key_sets[other])
        for n, gateway in enumerate(gateways)
        for other in gateways[n + 1 :]
    }
    overlap = {
        gateway: {other: pairs[min(gateway, other), max(gateway, other)] for other in gateways if other != gateway}
        for gateway in gateways
    }
    shared = dict.fromkeys(gateways, 0)
    for owners in listed.values():
        if len(owners) > 1:
            for gateway in owners:
                shared[gateway] += 1
    stats = MergeStats(
        key=key,
        fetched=fetched,
        unique=unique,
        duplicates={gateway: fetched[gateway] - unique[gateway] for gateway in gateways},
        duplication_factor={
            gateway: fetched[gateway] / unique[gateway] if unique[gateway] else None for gateway in gateways
        },
        total_fetched=sum(fetched.values()),
        total_unique=len(entries),
        cross_gateway_duplicates=sum(len(model.gateways) - 1 for model in entries.values()),
        shared=shared,
        overlap=overlap,
    )
    catalog = MergedCatalog(key=key, entries=entries, stats=stats)
    if focus is None:
        return catalog
    return replace(catalog, stats=replace(stats, focus=catalog.focus(focus)))
