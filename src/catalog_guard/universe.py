"""The deterministic, synthetic model universe the fakes serve and the cassettes are recorded from.

It reproduces the figures of the seed reports exactly (see ``docs/universe.md``):

- the Hub's ``inference_provider=hf-inference`` listing: 1,377 models; the first 1,000 by ``likes`` and the first
  1,000 by ``downloads`` share 796 (union 1,204); default (trending) order starts ``black-forest-labs/FLUX.1-dev``,
  ``google/embeddinggemma-300m``; ``likes`` order starts ``google/embeddinggemma-300m``,
  ``sentence-transformers/all-MiniLM-L6-v2``, ``katanemo/Arch-Router-1.5B`` with ``jhgan/ko-sbert-sts`` 101st;
- the provider catalogs of both seed days (2025-10-17 and 2025-10-18), with cross-gateway overlaps such that the
  seed-000 merge of 53,730 fetched entries (the Hub's 100 models repeated 500 times) gives exactly 3,668 ids.

Only the named models are real model ids. Every other id is invented here by a seeded generator and says so in
the cassettes' provenance. Same seed, same bytes: nothing here reads a clock or an unseeded random source.
"""

from __future__ import annotations

import functools
import hashlib
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from catalog_guard.gateways import PROVIDERS

GENERATOR = "catalog-guard-universe"
GENERATOR_VERSION = "1"
DEFAULT_SEED = 20251017

DAY_1 = "2025-10-17"  # seed 000: the 500x duplicated Hub listing
DAY_2 = "2025-10-18"  # seed 003: 1,043 models, no Featherless
DAYS = (DAY_1, DAY_2)


@dataclass(frozen=True)
class Offer:
    """One model as one provider lists it, before it is rendered in that provider's own JSON shape."""

    id: str
    name: str
    context_length: int | None = None
    hugging_face_id: str | None = None
    created: int = 0


@dataclass(frozen=True)
class Universe:
    """Everything the fakes serve.

    ``hub_models`` are full Hub model objects (every key of the ``full=true`` shape plus
    ``inferenceProviderMapping``); the fake Hub projects them to the default, ``full`` or ``expand`` shape.
    ``catalogs[day][gateway]`` is that provider's list on that day (a gateway absent from a day was not served).
    ``drift`` is the Hub's between-request change of counts used for the seed-001 day: after request *k*, add the
    given deltas to the named models' fields.
    """

    seed: int
    hub_models: tuple[dict[str, Any], ...]
    catalogs: dict[str, dict[str, tuple[Offer, ...]]]
    drift: dict[int, dict[str, dict[str, int]]] = field(default_factory=dict)

    def hub_ids(self) -> list[str]:
        return [model["id"] for model in self.hub_models]


# ---------------------------------------------------------------------------------------------------------------
# Named models: the only real ids, each placed where the seed reports saw it.

HUB_TOTAL = 1377  # inference_provider=hf-inference
TOP = 1000  # the Hub's page cap: "first 1,000 by likes / by downloads"
LIKES_DOWNLOADS_OVERLAP = 796
HUB_OTHER_PROVIDERS = 123  # models the Hub lists for other providers only: they make the filter matter

FLUX = "black-forest-labs/FLUX.1-dev"
EMBEDDINGGEMMA = "google/embeddinggemma-300m"
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
WHISPER = "openai/whisper-large-v3"
BGE = "BAAI/bge-large-en-v1.5"
ARCH_ROUTER = "katanemo/Arch-Router-1.5B"
KO_SBERT = "jhgan/ko-sbert-sts"

TRENDING_HEAD = (FLUX, EMBEDDINGGEMMA)
LIKES_HEAD = (EMBEDDINGGEMMA, MINILM, ARCH_ROUTER)
LIKES_RANK_101 = KO_SBERT

HUB_ONLY_NAMED = (
    ARCH_ROUTER,
    "google-bert/bert-base-uncased",
    "Falconsai/nsfw_image_detection",
    "ProsusAI/finbert",
    "deepset/roberta-base-squad2",
    "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2",
    "HuggingFaceTB/SmolLM3-3B",
    "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
    "facebook/bart-large-cnn",
    "dslim/bert-base-NER",
)
# Seed 000: which providers also list the shared Hub models (named ones, then 8 invented ones whose memberships
# make the per-gateway counts 10 deepinfra, 5 together, 5 chutes).
SHARED_NAMED = {
    FLUX: ("together",),
    EMBEDDINGGEMMA: ("deepinfra",),
    MINILM: ("chutes", "deepinfra"),
    WHISPER: ("together", "deepinfra"),
    BGE: ("together", "chutes", "deepinfra"),
}
SHARED_INVENTED = (
    ("deepinfra", "together"),
    ("deepinfra", "chutes"),
    ("deepinfra",),
    ("deepinfra",),
    ("deepinfra",),
    ("deepinfra", "chutes"),
    ("together",),
    ("chutes",),
)
SEED_TOP = 100  # the Hub page the broken backends kept returning

# Seed 000 (2025-10-17) per-gateway counts, and the 2025-10-18 ones from seed 003.
DAY_1_COUNTS = {
    "featherless": 2786, "openrouter": 340, "deepinfra": 215, "together": 97, "chutes": 104, "google": 71,
    "fireworks": 38, "xai": 23, "nebius": 21, "groq": 19, "cerebras": 11, "novita": 5,
}  # fmt: skip
DAY_2_COUNTS = {key: value for key, value in DAY_1_COUNTS.items() if key != "featherless"} | {"together": 96}

# Cross-gateway overlaps among providers (exact ids), chosen so that day 1 merges 53,730 entries to 3,668 ids.
PAIR_OVERLAPS = {
    ("featherless", "deepinfra"): 60,
    ("featherless", "together"): 30,
    ("featherless", "nebius"): 12,
    ("deepinfra", "together"): 20,
    ("deepinfra", "chutes"): 20,
}
HF_STYLE = ("featherless", "deepinfra", "together", "chutes", "nebius")
OPENROUTER_HF_LINKED = 40  # OpenRouter rows that are a lowercase HF id with hugging_face_id set (canonical merge)
G12_PAIR = ("openai/gpt-4.1", "openai/gpt-41")  # distinct ids a dot-stripping merge would collide


# ---------------------------------------------------------------------------------------------------------------
# Invented names.

_ORGS = (
    "Aurora", "Basalt", "Cobalt", "Delta", "Ember", "Fjord", "Garnet", "Harbor", "Indigo", "Juniper", "Kestrel",
    "Lumen", "Meridian", "Nimbus", "Onyx", "Pylon", "Quartz", "Rivet", "Sable", "Tundra", "Umber", "Vesper",
    "Willow", "Xenon", "Yarrow", "Zephyr", "Alder", "Birch", "Cedar", "Dune", "Echo", "Flint", "Grove", "Heron",
)  # fmt: skip
_ORG_SUFFIX = ("AI", "Labs", "Research", "NLP", "ML", "Lab", "Works", "Collective")
_FAMILIES = (
    "Lyra", "Orion", "Vega", "Atlas", "Nova", "Pulse", "Sage", "Tern", "Wren", "Kite", "Moss", "Reed", "Fern",
    "Iris", "Juno", "Koi", "Lark", "Mint", "Opal", "Pike", "Rune", "Sol", "Tide", "Vale",
)  # fmt: skip
_SIZES = ("0.5B", "1B", "1.5B", "3B", "7B", "8B", "13B", "14B", "27B", "32B", "70B", "72B", "110B", "235B")
_FLAVOURS = ("Instruct", "Chat", "Base", "Coder", "Embed", "Vision", "Reasoning", "Math", "RP", "Uncensored")
_TASKS = (
    ("text-generation", "transformers"),
    ("text-classification", "transformers"),
    ("feature-extraction", "sentence-transformers"),
    ("sentence-similarity", "sentence-transformers"),
    ("token-classification", "transformers"),
    ("text-to-image", "diffusers"),
    ("automatic-speech-recognition", "transformers"),
    ("summarization", "transformers"),
    ("image-classification", "timm"),
    ("question-answering", "transformers"),
)
_CONTEXTS = (4096, 8192, 16384, 32768, 65536, 131072, 262144)
_NAMED_TASKS = {
    FLUX: ("text-to-image", "diffusers"),
    EMBEDDINGGEMMA: ("sentence-similarity", "sentence-transformers"),
    MINILM: ("sentence-similarity", "sentence-transformers"),
    WHISPER: ("automatic-speech-recognition", "transformers"),
    BGE: ("feature-extraction", "sentence-transformers"),
    ARCH_ROUTER: ("text-generation", "transformers"),
    KO_SBERT: ("sentence-similarity", "sentence-transformers"),
    "google-bert/bert-base-uncased": ("fill-mask", "transformers"),
    "Falconsai/nsfw_image_detection": ("image-classification", "transformers"),
    "ProsusAI/finbert": ("text-classification", "transformers"),
    "deepset/roberta-base-squad2": ("question-answering", "transformers"),
    "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2": (
        "sentence-similarity",
        "sentence-transformers",
    ),
    "HuggingFaceTB/SmolLM3-3B": ("text-generation", "transformers"),
    "distilbert/distilbert-base-uncased-finetuned-sst-2-english": ("text-classification", "transformers"),
    "facebook/bart-large-cnn": ("summarization", "transformers"),
    "dslim/bert-base-NER": ("token-classification", "transformers"),
}


class _Namer:
    """Invents ids that never collide with each other or with the named ones."""

    def __init__(self, rng: random.Random, taken: set[str]) -> None:
        self.rng = rng
        self.taken = taken

    def _unique(self, make: Callable[[], str]) -> str:
        while True:
            candidate = make()
            if candidate not in self.taken and candidate.lower() not in self.taken:
                self.taken.add(candidate)
                self.taken.add(candidate.lower())
                return candidate

    def hf_style(self, suffix: str = "") -> str:
        """``Org/Family-Size-Flavour`` (mixed case, as Hub repo ids are)."""
        rng = self.rng

        def make() -> str:
            org = f"{rng.choice(_ORGS)}-{rng.choice(_ORG_SUFFIX)}"
            version = f"{rng.randint(1, 4)}.{rng.randint(0, 9)}" if rng.random() < 0.6 else str(rng.randint(1, 5))
            name = f"{rng.choice(_FAMILIES)}-{version}-{rng.choice(_SIZES)}-{rng.choice(_FLAVOURS)}"
            return f"{org}/{name}{suffix}"

        return self._unique(make)

    def lower_vendor(self) -> str:
        rng = self.rng
        return self._unique(
            lambda: (
                f"{rng.choice(_ORGS).lower()}/{rng.choice(_FAMILIES).lower()}-{rng.randint(1, 4)}"
                f"-{rng.choice(_SIZES).lower()}-{rng.choice(_FLAVOURS).lower()}"
                + (":free" if rng.random() < 0.08 else "")
            )
        )

    def native(self, gateway: str) -> str:
        rng = self.rng
        family = rng.choice(_FAMILIES).lower()
        size = rng.choice(_SIZES).lower()
        if gateway == "google":
            kind = rng.choice(("flash", "pro", "flash-lite", "embedding", "image"))
            return self._unique(
                lambda: f"models/gemini-s{rng.randint(1, 9)}.{rng.randint(0, 9)}-{kind}-{rng.randint(1, 30):03d}"
            )
        if gateway == "fireworks":
            return self._unique(
                lambda: (
                    f"accounts/fireworks/models/{rng.choice(_FAMILIES).lower()}"
                    f"-v{rng.randint(1, 4)}p{rng.randint(0, 9)}-{rng.choice(_SIZES).lower()}"
                    f"-{rng.choice(('instruct', 'chat', 'base'))}"
                )
            )
        if gateway == "xai":
            return self._unique(
                lambda: (
                    f"grok-s{rng.randint(1, 9)}-{rng.choice(('mini', 'fast', 'code', 'vision'))}"
                    f"-{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
                )
            )
        if gateway == "groq":
            return self._unique(
                lambda: (
                    f"{rng.choice(_FAMILIES).lower()}-{rng.randint(1, 4)}.{rng.randint(0, 9)}"
                    f"-{rng.choice(_SIZES).lower()}-{rng.choice(('versatile', 'instant'))}"
                )
            )
        if gateway == "cerebras":
            return self._unique(
                lambda: (
                    f"{rng.choice(_FAMILIES).lower()}{rng.randint(1, 4)}.{rng.randint(0, 9)}"
                    f"-{rng.choice(_SIZES).lower()}"
                )
            )
        return self._unique(lambda: f"{family}-{size}-{rng.randint(1, 999)}")


def _object_id(seed: int, model_id: str) -> str:
    return hashlib.sha1(f"{seed}:_id:{model_id}".encode()).hexdigest()[:24]


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _strictly_decreasing(scale: float, power: float, rank: int, total: int, step: int = 1) -> int:
    """A heavy-tailed count for a 1-based rank; the ``total - rank`` term keeps every value distinct."""
    return int(scale * rank**-power) + (total - rank) * step


def _hub_model(seed: int, rng: random.Random, model_id: str, provider: str) -> dict[str, Any]:
    task, library = _NAMED_TASKS.get(model_id) or rng.choice(_TASKS)
    created = rng.randint(1_577_836_800, 1_759_276_800)  # 2020-01-01 .. 2025-10-01
    modified = min(created + rng.randint(0, 400) * 86_400, 1_760_659_200)
    author = model_id.split("/")[0]
    model: dict[str, Any] = {
        "_id": _object_id(seed, model_id),
        "id": model_id,
        "modelId": model_id,
        "author": author,
        "sha": hashlib.sha1(f"{seed}:sha:{model_id}".encode()).hexdigest(),
        "lastModified": _iso(modified),
        "createdAt": _iso(created),
        "private": False,
        "disabled": False,
        "gated": rng.choice((False, False, False, False, "auto", "manual")),
        "likes": 0,
        "downloads": 0,
        "trendingScore": 0,
        "tags": [
            library,
            task,
            f"license:{rng.choice(('apache-2.0', 'mit', 'other', 'cc-by-4.0'))}",
            "endpoints_compatible",
            "region:us",
        ],
        "pipeline_tag": task,
        "library_name": library,
        "siblings": [
            {"rfilename": name} for name in (".gitattributes", "README.md", "config.json", "model.safetensors")
        ],
        "inferenceProviderMapping": [
            {"provider": provider, "providerId": model_id, "status": "live", "task": task},
        ],
    }
    if model_id not in _NAMED_TASKS and rng.random() < 0.06:
        del model["library_name"]  # the Hub omits unset keys rather than sending null
    return model


def _build_hub(seed: int, rng: random.Random, namer: _Namer) -> tuple[list[dict[str, Any]], list[str]]:
    """The Hub's models and, in order, the 13 seed-top models shared with providers."""
    shared_invented = [namer.hf_style() for _ in SHARED_INVENTED]
    shared = [*SHARED_NAMED, *shared_invented]
    named = [*HUB_ONLY_NAMED, *SHARED_NAMED, KO_SBERT]
    invented = [namer.hf_style() for _ in range(HUB_TOTAL - len(named) - len(shared_invented))]
    everyone = [*named, *shared_invented, *invented]
    assert len(set(everyone)) == HUB_TOTAL

    # Trending: the two heads, then the seed's 100 (named + shared + invented fill), then everyone else.
    top_rest = [m for m in [*HUB_ONLY_NAMED, *shared] if m not in TRENDING_HEAD]
    fill = invented[: SEED_TOP - len(TRENDING_HEAD) - len(top_rest)]
    top_tail = top_rest + fill
    rng.shuffle(top_tail)
    trending = [*TRENDING_HEAD, *top_tail]
    rest = [m for m in everyone if m not in set(trending)]
    rng.shuffle(rest)
    trending += rest

    # Likes and downloads: the top-1,000 sets share exactly 796 models.
    pinned = [*LIKES_HEAD, KO_SBERT]
    pool = [m for m in everyone if m not in pinned]
    rng.shuffle(pool)
    both_count = LIKES_DOWNLOADS_OVERLAP - len(pinned)
    only = TOP - LIKES_DOWNLOADS_OVERLAP
    both = pinned + pool[:both_count]
    likes_only = pool[both_count : both_count + only]
    downloads_only = pool[both_count + only : both_count + 2 * only]
    neither = pool[both_count + 2 * only :]
    in_likes = both[len(pinned) :] + likes_only
    rng.shuffle(in_likes)
    likes_order = [
        *LIKES_HEAD,
        *in_likes[: 100 - len(LIKES_HEAD)],
        KO_SBERT,
        *in_likes[100 - len(LIKES_HEAD) :],
    ]
    outside = downloads_only + neither
    rng.shuffle(outside)
    likes_order += outside
    downloads_order = both + downloads_only
    rng.shuffle(downloads_order)
    tail = likes_only + neither
    rng.shuffle(tail)
    downloads_order += tail

    models = {m: _hub_model(seed, rng, m, "hf-inference") for m in sorted(everyone)}
    for rank, model_id in enumerate(trending, 1):
        models[model_id]["trendingScore"] = _strictly_decreasing(600, 0.75, rank, HUB_TOTAL)
    for rank, model_id in enumerate(likes_order, 1):
        models[model_id]["likes"] = _strictly_decreasing(12_000, 0.9, rank, HUB_TOTAL)
    for rank, model_id in enumerate(downloads_order, 1):
        models[model_id]["downloads"] = _strictly_decreasing(40_000_000, 1.1, rank, HUB_TOTAL, step=3)

    others = []
    for _ in range(HUB_OTHER_PROVIDERS):
        model = _hub_model(seed, rng, namer.hf_style(), rng.choice(("together", "fal-ai", "replicate", "novita")))
        model.update(likes=rng.randint(0, 400), downloads=rng.randint(0, 90_000), trendingScore=rng.randint(0, 40))
        others.append(model)
    hub = sorted([*models.values(), *others], key=lambda m: m["_id"])
    return hub, shared


def _offer(rng: random.Random, model_id: str, *, hugging_face_id: str | None = None) -> Offer:
    name = model_id.rsplit("/", 1)[-1].replace("-", " ")
    return Offer(
        id=model_id,
        name=name,
        context_length=rng.choice(_CONTEXTS),
        hugging_face_id=hugging_face_id,
        created=rng.randint(1_704_067_200, 1_760_659_200),
    )


def _build_catalogs(rng: random.Random, namer: _Namer, shared: list[str]) -> dict[str, dict[str, tuple[Offer, ...]]]:
    ids: dict[str, list[str]] = {gateway: [] for gateway in PROVIDERS}
    for model_id, gateways in zip(shared, [*SHARED_NAMED.values(), *SHARED_INVENTED], strict=True):
        for gateway in gateways:
            ids[gateway].append(model_id)
    for (first, second), count in PAIR_OVERLAPS.items():
        for _ in range(count):
            model_id = namer.hf_style()
            ids[first].append(model_id)
            ids[second].append(model_id)
    suffix = {"deepinfra": "-Turbo", "together": "-Turbo", "chutes": "-TEE", "nebius": "-fast"}
    hf_pool = [m for g in ("featherless", "deepinfra") for m in ids[g]]
    linked = sorted(set(hf_pool))[:OPENROUTER_HF_LINKED]
    links: dict[str, str] = {}
    for model_id in linked:  # OpenRouter lists HF models lowercased and links them by hugging_face_id
        ids["openrouter"].append(model_id.lower())
        links[model_id.lower()] = model_id
    ids["openrouter"].append(G12_PAIR[0])
    ids["novita"].append(G12_PAIR[1])
    namer.taken.update(G12_PAIR)
    for gateway, wanted in DAY_1_COUNTS.items():
        while len(ids[gateway]) < wanted:
            if gateway in HF_STYLE:
                plain = gateway == "featherless" or rng.random() < 0.5
                ids[gateway].append(namer.hf_style("" if plain else suffix[gateway]))
            elif gateway in ("openrouter", "novita"):
                ids[gateway].append(namer.lower_vendor())
            else:
                ids[gateway].append(namer.native(gateway))
        assert len(ids[gateway]) == wanted, gateway

    day_1: dict[str, tuple[Offer, ...]] = {}
    for gateway in PROVIDERS:
        rows = []
        for model_id in ids[gateway]:
            hf_id = links.get(model_id) if gateway == "openrouter" else None
            if gateway in ("deepinfra", "chutes", "together", "featherless", "nebius") and "/" in model_id:
                hf_id = model_id
            rows.append(_offer(rng, model_id, hugging_face_id=hf_id))
        rng.shuffle(rows)
        day_1[gateway] = tuple(rows)
    day_2 = {gateway: day_1[gateway] for gateway in PROVIDERS if gateway in DAY_2_COUNTS}
    # Together dropped one model overnight; make sure it is not one of the shared ones.
    together_shared = set(ids["together"][: 5 + 30 + 20])
    dropped = [o for o in day_1["together"] if o.id not in together_shared][-1]
    day_2["together"] = tuple(o for o in day_1["together"] if o is not dropped)
    assert len(day_2["together"]) == DAY_2_COUNTS["together"]
    return {DAY_1: day_1, DAY_2: day_2}


@functools.cache
def build(seed: int = DEFAULT_SEED) -> Universe:
    """Build the universe for ``seed``. Pure and cached: same seed, same universe (and same bytes downstream)."""
    rng = random.Random(seed)
    taken = {m for m in [*HUB_ONLY_NAMED, *SHARED_NAMED, KO_SBERT]} | {m.lower() for m in SHARED_NAMED}
    taken |= {m.lower() for m in [*HUB_ONLY_NAMED, KO_SBERT]}
    namer = _Namer(rng, taken)
    hub, shared = _build_hub(seed, rng, namer)
    catalogs = _build_catalogs(rng, namer, shared)
    # Seed 001: between the backend's two requests, jhgan/ko-sbert-sts gains just enough likes to enter the top
    # 100, so a second (offset-ignored) first page brings exactly one new model.
    ranked = hub_order(hub, "likes")
    drift = {1: {KO_SBERT: {"likes": ranked[SEED_TOP - 1]["likes"] - ranked[SEED_TOP]["likes"] + 1}}}
    assert ranked[SEED_TOP]["id"] == KO_SBERT
    return Universe(seed=seed, hub_models=tuple(hub), catalogs=catalogs, drift=drift)


def served_by(model: dict[str, Any], provider: str) -> bool:
    """Whether the Hub's ``inference_provider=<provider>`` filter keeps this model."""
    return any(entry.get("provider") == provider for entry in model.get("inferenceProviderMapping", []))


def hub_order(
    models: Iterable[dict[str, Any]], sort: str = "trendingScore", provider: str | None = "hf-inference"
) -> list[dict[str, Any]]:
    """The Hub's order for ``sort``: descending, ties broken by ``_id`` ascending (docs/upstreams.md §H1.3)."""
    kept = [m for m in models if provider is None or served_by(m, provider)]
    return sorted(kept, key=lambda m: (-m.get(sort, 0), m["_id"]))
