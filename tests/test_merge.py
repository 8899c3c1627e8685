"""The cross-gateway merge: the seed frontend's exact-id rule, its statistics, and the explicit canonical mode.

Expected figures come from plain set arithmetic over the same inputs (or from a transcription of the
frontend's ``Map`` loop), never from constants.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog_guard.merge import KNOWN_SUFFIXES, canonical_key, merge, strip_wrappers
from catalog_guard.records import ModelRecord

GATEWAYS = ["huggingface", "deepinfra", "together", "chutes", "openrouter", "featherless"]


def frontend_merge(catalogs: Mapping[str, Sequence[ModelRecord]]) -> dict[str, set[str]]:
    """The seed-000 frontend's loop, transcribed: ``Map<id, {model, gateways: Set}>``."""
    model_gateway_map: dict[str, set[str]] = {}
    for gateway, models in catalogs.items():
        for model in models:
            if model.id not in model_gateway_map:
                model_gateway_map[model.id] = {gateway}
            else:
                model_gateway_map[model.id].add(gateway)
    return model_gateway_map


records = st.builds(
    ModelRecord,
    id=st.sampled_from([f"org/m{i}" for i in range(12)] + ["gpt-4.1", "gpt-41", "GPT-4.1"]),
    gateway=st.just("?"),
    name=st.sampled_from([None, "Alpha", "Beta"]),
    context_length=st.sampled_from([None, 4096, 8192]),
    hugging_face_id=st.sampled_from([None, "org/M0", "org/M1"]),
)
catalogs_st = st.dictionaries(st.sampled_from(GATEWAYS), st.lists(records, max_size=25), max_size=len(GATEWAYS))


def id_sets(catalogs: Mapping[str, Sequence[ModelRecord]]) -> dict[str, set[str]]:
    return {gateway: {record.id for record in rows} for gateway, rows in catalogs.items()}


# --- exact mode: properties -------------------------------------------------------------------------------


@given(catalogs=catalogs_st)
def test_exact_merge_is_the_frontend_rule(catalogs: dict[str, list[ModelRecord]]) -> None:
    merged = merge(catalogs)
    reference = frontend_merge(catalogs)
    assert merged.ids() == sorted(reference)
    assert {key: set(model.gateways) for key, model in merged.entries.items()} == reference
    assert all(model.ids == (key,) for key, model in merged.entries.items())


@given(catalogs=catalogs_st)
def test_counts_add_up(catalogs: dict[str, list[ModelRecord]]) -> None:
    stats = merge(catalogs).stats
    sets = id_sets(catalogs)
    union = set().union(*sets.values())
    multiplicity = Counter(identifier for ids in sets.values() for identifier in ids)

    assert stats.total_unique == len(union)
    assert stats.total_fetched == sum(len(rows) for rows in catalogs.values())
    assert sum(stats.unique.values()) - sum(m - 1 for m in multiplicity.values()) == stats.total_unique
    assert stats.cross_gateway_duplicates == sum(m - 1 for m in multiplicity.values())
    for gateway, rows in catalogs.items():
        assert stats.fetched[gateway] == len(rows)
        assert stats.unique[gateway] == len(sets[gateway])
        assert stats.duplicates[gateway] == len(rows) - len(sets[gateway])
        expected_factor = len(rows) / len(sets[gateway]) if rows else None
        assert stats.duplication_factor[gateway] == expected_factor
        others = set().union(*(ids for other, ids in sets.items() if other != gateway))
        assert stats.shared[gateway] == len(sets[gateway] & others)
        for other in catalogs:
            if other != gateway:
                assert stats.overlap[gateway][other] == len(sets[gateway] & sets[other])
                assert stats.overlap[gateway][other] == stats.overlap[other][gateway]
        assert gateway not in stats.overlap[gateway]


@given(catalogs=catalogs_st, data=st.data())
def test_focus_breakdown(catalogs: dict[str, list[ModelRecord]], data: st.DataObject) -> None:
    if not catalogs:
        return
    focus = data.draw(st.sampled_from(sorted(catalogs)))
    merged = merge(catalogs, focus=focus)
    sets = id_sets(catalogs)
    others = {gateway: ids for gateway, ids in sets.items() if gateway != focus}
    elsewhere = set().union(*others.values())
    breakdown = merged.stats.focus
    assert breakdown is not None
    assert breakdown == merged.focus(focus)
    assert breakdown.only_here == len(sets[focus] - elsewhere)
    assert breakdown.shared == len(sets[focus] & elsewhere)
    assert breakdown.only_here + breakdown.shared == breakdown.unique == len(sets[focus])
    expected = {gateway: len(sets[focus] & ids) for gateway, ids in others.items() if sets[focus] & ids}
    assert breakdown.shared_with == expected
    assert merged.only_on(focus) == sorted(sets[focus] - elsewhere)


@given(catalogs=catalogs_st, seed=st.integers(min_value=0, max_value=2**32))
def test_merge_is_order_independent(catalogs: dict[str, list[ModelRecord]], seed: int) -> None:
    """Gateways finish fetching in any order and a listing may reorder its rows: the snapshot must not move."""
    shuffler = random.Random(seed)
    gateways = list(catalogs)
    shuffler.shuffle(gateways)
    shuffled = {gateway: shuffler.sample(catalogs[gateway], len(catalogs[gateway])) for gateway in gateways}
    focus = gateways[0] if gateways else None
    for key in ("exact", "canonical"):
        assert merge(shuffled, key=key, focus=focus).to_dict() == merge(catalogs, key=key, focus=focus).to_dict()


@given(catalogs=catalogs_st)
def test_to_dict_is_sorted_json(catalogs: dict[str, list[ModelRecord]]) -> None:
    merged = merge(catalogs, key="canonical")
    document = merged.to_dict()
    assert json.loads(json.dumps(document)) == document
    assert [entry["id"] for entry in document["entries"]] == sorted(entry["id"] for entry in document["entries"])
    assert all(entry["gateways"] == sorted(entry["gateways"]) for entry in document["entries"])
    stats = document["stats"]
    for name in ("fetched", "unique", "duplicates", "duplication_factor", "shared", "overlap"):
        assert list(stats[name]) == sorted(catalogs)
    assert all(list(row) == sorted(row) for row in stats["overlap"].values())


def test_representative_is_the_first_gateway_alphabetically() -> None:
    catalogs = {
        "together": [ModelRecord("x/y", "together", name="From Together", context_length=8192)],
        "deepinfra": [ModelRecord("x/y", "deepinfra", name=None), ModelRecord("x/y", "deepinfra", name="From DI")],
    }
    (model,) = merge(catalogs).entries.values()
    assert model.gateways == tuple(sorted(catalogs))
    assert model.name == "From DI"  # deepinfra < together; its named duplicate beats its nameless one
    assert model.context_length is None


# --- exact mode: the seed-000 shape -----------------------------------------------------------------------


def test_seed_000_shape_duplicated_hub_listing() -> None:
    """The Hub listing repeated page after page (F1/G2) next to correct gateways: the duplication shows in the
    per-gateway figures and the breakdown of the repeated gateway follows the seed's named overlaps."""
    shared = {  # named in seed 000 with the gateways that also list them
        "black-forest-labs/FLUX.1-dev": ["together"],
        "google/embeddinggemma-300m": ["deepinfra"],
        "sentence-transformers/all-MiniLM-L6-v2": ["chutes", "deepinfra"],
        "openai/whisper-large-v3": ["together", "deepinfra"],
        "BAAI/bge-large-en-v1.5": ["together", "chutes", "deepinfra"],
    }
    hf_only = ["katanemo/Arch-Router-1.5B", "google-bert/bert-base-uncased", "ProsusAI/finbert"]
    repeats = 7
    page = [*shared, *hf_only]
    catalogs: dict[str, list[ModelRecord]] = {"huggingface": [ModelRecord(i, "huggingface") for i in page] * repeats}
    for model, gateways in shared.items():
        for gateway in gateways:
            catalogs.setdefault(gateway, []).append(ModelRecord(model, gateway))
    catalogs["deepinfra"].append(ModelRecord("meta-llama/Llama-3.3-70B-Instruct", "deepinfra"))

    stats = merge(catalogs, focus="huggingface").stats
    assert stats.fetched["huggingface"] == len(page) * repeats
    assert stats.unique["huggingface"] == len(page)
    assert stats.duplicates["huggingface"] == len(page) * (repeats - 1)
    assert stats.duplication_factor["huggingface"] == repeats
    assert stats.total_unique == len(page) + 1
    assert stats.focus is not None
    assert stats.focus.only_here == len(hf_only)
    assert stats.focus.shared == len(shared)
    assert stats.focus.shared_with == dict(Counter(g for gateways in shared.values() for g in gateways))


# --- canonical mode ---------------------------------------------------------------------------------------

segment = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,7}", fullmatch=True)
cores = st.one_of(segment, st.tuples(segment, segment).map("/".join)).filter(
    lambda core: not core.startswith("models/")
)
prefixes = st.sampled_from(["", "models/", "accounts/fireworks/models/", "accounts/acme-1/models/", "@portkey/"])
suffixes = st.sampled_from(["", *(f":{tag}" for tag in sorted(KNOWN_SUFFIXES))])
CASES: list[Callable[[str], str]] = [str, str.lower, str.upper, str.title, str.swapcase]
cases = st.sampled_from(CASES)


@st.composite
def wrapped(draw: st.DrawFn, core: str) -> str:
    return draw(cases)(draw(prefixes) + core + draw(suffixes))


def key_of(model_id: str) -> str:
    return canonical_key(ModelRecord(model_id, "g"))


@given(data=st.data(), first=cores, second=cores, same=st.booleans())
def test_canonical_merges_exactly_case_and_wrapper_variants(
    data: st.DataObject, first: str, second: str, same: bool
) -> None:
    if same:
        second = data.draw(cases)(first)
    a, b = data.draw(wrapped(first)), data.draw(wrapped(second))
    assert (key_of(a) == key_of(b)) == (first.casefold() == second.casefold()), (a, b)


@given(data=st.data(), chosen=st.lists(cores, min_size=1, max_size=12))
def test_canonical_entries_count_distinct_cores(data: st.DataObject, chosen: list[str]) -> None:
    catalogs: dict[str, list[ModelRecord]] = {}
    for core in chosen:
        gateway = data.draw(st.sampled_from(GATEWAYS))
        catalogs.setdefault(gateway, []).append(ModelRecord(data.draw(wrapped(core)), gateway))
    merged = merge(catalogs, key="canonical")
    assert merged.stats.total_unique == len({core.casefold() for core in chosen})
    assert sorted(i for model in merged.entries.values() for i in model.ids) == sorted(
        {record.id for rows in catalogs.values() for record in rows}
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("gpt-4.1", "gpt-41"),  # G12
        ("openai/gpt-4.1", "openai-gpt-4.1"),
        ("llama3:8b", "llama3:70b"),  # an unknown ``:tag`` is part of the name
        ("meta-llama/Llama-3.3-70B-Instruct", "meta-llama/Llama-3.3-70B-Instruct-Turbo"),  # deployment suffix
        ("models/gemini-2.5-flash", "google/gemini-2.5-flash"),  # never across orgs
        ("deepseek-ai/DeepSeek-V3.2", "deepseek-ai/DeepSeek-V3.2-TEE"),
    ],
)
def test_canonical_keeps_distinct_models_apart(first: str, second: str) -> None:
    assert key_of(first) != key_of(second)
    catalogs = {"a": [ModelRecord(first, "a")], "b": [ModelRecord(second, "b")]}
    for key in ("exact", "canonical"):
        assert merge(catalogs, key=key).stats.total_unique == len({first, second})


@pytest.mark.parametrize(
    ("wrapped_id", "inner"),
    [
        ("accounts/fireworks/models/gpt-oss-120b", "gpt-oss-120b"),
        ("models/gemini-2.5-flash", "gemini-2.5-flash"),
        ("@openai-prod/gpt-5", "gpt-5"),
        ("openai/gpt-oss-120b:free", "openai/gpt-oss-120b"),
        ("openai/gpt-oss-120b:cerebras", "openai/gpt-oss-120b"),
        ("llama3:8b", "llama3:8b"),
        ("models/", "models/"),  # nothing but a wrapper: kept whole
    ],
)
def test_strip_wrappers(wrapped_id: str, inner: str) -> None:
    assert strip_wrappers(wrapped_id) == inner


def test_canonical_joins_on_the_hub_repo_id() -> None:
    """docs/upstreams.md §P3: OpenRouter's ``hugging_face_id`` and DeepInfra's ``root`` name the Hub repo."""
    repo = "meta-llama/Llama-3.3-70B-Instruct"
    catalogs = {
        "huggingface": [ModelRecord(repo, "huggingface")],
        "openrouter": [ModelRecord(repo.lower(), "openrouter", hugging_face_id=repo)],
        "deepinfra": [ModelRecord(f"{repo}-Turbo", "deepinfra", raw={"root": repo})],
        "fireworks": [
            ModelRecord("accounts/fireworks/models/llama-v3p3-70b-instruct", "fireworks",
                        hugging_face_id=f"https://huggingface.co/{repo}")
        ],
    }  # fmt: skip
    exact = merge(catalogs)
    canonical = merge(catalogs, key="canonical", focus="huggingface")
    assert exact.stats.total_unique == sum(len(rows) for rows in catalogs.values())
    assert canonical.ids() == [repo.casefold()]
    (model,) = canonical.entries.values()
    assert model.gateways == tuple(sorted(catalogs))
    assert model.ids == tuple(sorted(record.id for rows in catalogs.values() for record in rows))
    assert canonical.stats.focus is not None
    assert canonical.stats.focus.shared_with == {gateway: 1 for gateway in catalogs if gateway != "huggingface"}


def test_canonical_counts_wrapper_variants_as_duplicates_within_a_gateway() -> None:
    rows = [ModelRecord("openai/gpt-oss-120b", "openrouter"), ModelRecord("openai/gpt-oss-120b:free", "openrouter")]
    exact = merge({"openrouter": rows}).stats
    canonical = merge({"openrouter": rows}, key="canonical").stats
    assert (exact.unique["openrouter"], exact.duplicates["openrouter"]) == (len(rows), 0)
    assert (canonical.unique["openrouter"], canonical.duplicates["openrouter"]) == (1, len(rows) - 1)


# --- edges ------------------------------------------------------------------------------------------------


def test_empty_gateway_has_no_duplication_factor() -> None:
    stats = merge({"groq": [], "xai": [ModelRecord("grok-4", "xai")]}).stats
    assert stats.fetched["groq"] == stats.unique["groq"] == 0
    assert stats.duplication_factor["groq"] is None
    assert stats.duplication_factor["xai"] == 1.0


def test_rows_are_attributed_to_the_listing_they_came_from() -> None:
    merged = merge({"all": [ModelRecord("a", "together")]})
    assert merged.entries["a"].gateways == ("all",)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown merge key"):
        merge({}, key="fuzzy")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not one of the merged gateways"):
        merge({"a": []}, focus="b")
