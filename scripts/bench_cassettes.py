"""Measure the catalog-guard cassette format against vcrpy's default YAML serializer (libyaml) on the same traffic.

Why this exists: the format was chosen for safe loading and reviewable diffs, and it must not pay for them with
slower replays (docs/tooling.md §1.6: a "readable" structured body made YAML cassettes ~200x slower to load). So
the same traffic is recorded twice into a temporary directory, once per format, and then:

- every cassette is replayed through vcrpy with a plain ``httpx.Client()``, best of N, with the project's scrub
  hooks (``replay``) and without any hook (``replay, bare vcrpy``), the two formats getting the same config;
- and each as it is used (``replay as shipped``): catalog-guard cassettes through the project's ``use_cassette``
  (which also indexes the lookup), YAML through vcrpy's defaults;
- every file is loaded by its persister alone (``load only``: the format's own cost);
- one model's ``downloads`` is changed and the Hub cassette re-recorded: the diff is counted in lines and bytes.

The traffic comes from in-process fakes: the Hub listing (``inference_provider=hf-inference``, ``sort=likes``,
two pages of up to 1,000 models) from :class:`catalog_guard.fakes.hub.FakeHub` over the synthetic universe when
it is importable (a generated list otherwise), 15 provider-like lists, and 150 gateway pages of 100 items in
three walks of 50. Nothing touches the network. Run: ``.venv/bin/python scripts/bench_cassettes.py``.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import os
import platform
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import vcr
import yaml
from vcr.persisters.filesystem import FilesystemPersister
from vcr.serializers import yamlserializer

from catalog_guard.cassettes import format as cassette_format
from catalog_guard.cassettes.persister import AtomicPersister
from catalog_guard.cassettes.replay import MATCH_ON, make_vcr, query, use_cassette
from catalog_guard.cassettes.scrub import ScrubPolicy
from catalog_guard.fakes.transport import FakeInternet, Handler

HUB_HOST = "huggingface.co"
HUB_START = f"https://{HUB_HOST}/api/models?inference_provider=hf-inference&sort=likes&limit=1000"
GATEWAY_HOST = "gateway.bench.test"
GATEWAY_PAGES, GATEWAY_PAGE_SIZE, GATEWAY_WALKS = 150, 100, 3
EXTRA_PROVIDERS = ("portkey", "mistral", "sambanova")
POLICY = ScrubPolicy(secrets={})


# ------------------------------------------------------------------------------------------ the traffic


def _hub() -> tuple[Callable[[bool], Handler], str]:
    """A factory of Hub handlers (``changed``: one listed model has one more download) and what it serves."""
    try:
        from catalog_guard.fakes.hub import FakeHub
        from catalog_guard.universe import build, served_by
    except ImportError:
        return _synthetic_hub, "generated Hub-shaped list (catalog_guard.fakes.hub not importable)"
    models = [dict(model) for model in build().hub_models]
    target = next(k for k, model in enumerate(models) if k >= 700 and served_by(model, "hf-inference"))

    def make(changed: bool) -> Handler:
        served = [dict(model) for model in models]
        if changed:
            served[target]["downloads"] = (served[target].get("downloads") or 0) + 1
        return FakeHub(served)

    return make, "FakeHub over the synthetic universe (seed 20251017)"


def _synthetic_hub(changed: bool) -> Handler:
    keys = ("_id", "id", "likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag", "library_name")
    models = []
    for k in range(1377):
        model_id = f"org{k % 97}/model-{k:05d}"
        values = (f"{k:024x}", model_id, 20_000 - k, k % 300, False, k * 37 + (1 if changed and k == 700 else 0),
                  ["transformers", "text-generation", "region:us"], "text-generation", "transformers")  # fmt: skip
        models.append({**dict(zip(keys, values, strict=True)), "createdAt": "2024-05-01T12:00:00.000Z",
                       "modelId": model_id})  # fmt: skip

    def handle(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("cursor", "0"))
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if start + 1000 < len(models):
            headers["Link"] = f'<{request.url.copy_set_param("cursor", start + 1000)}>; rel="next"'
        return httpx.Response(200, headers=headers, json=models[start : start + 1000])

    return handle


def _offers() -> dict[str, list[dict[str, Any]]]:
    """Provider rows per provider: the universe's first-day catalogs when available, generated otherwise."""
    try:
        from catalog_guard.universe import DAY_1, build

        catalogs = {
            gateway: [
                {"id": offer.id, "object": "model", "created": offer.created, "owned_by": gateway,
                 "name": offer.name, "context_length": offer.context_length, "hugging_face_id": offer.hugging_face_id}
                for offer in offers
            ]
            for gateway, offers in build().catalogs[DAY_1].items()
        }  # fmt: skip
    except ImportError:
        catalogs = {f"provider{p}": [] for p in range(12)}
        for p, gateway in enumerate(catalogs):
            catalogs[gateway] = [
                {"id": f"vendor{k % 7}/model-{p}-{k}", "object": "model", "created": 1_700_000_000 + k,
                 "owned_by": gateway, "name": f"Model {p}-{k}", "context_length": 8192 * (1 + k % 16)}
                for k in range(40 + 60 * p)
            ]  # fmt: skip
    shared = [row for rows in catalogs.values() for row in rows]
    for n, extra in enumerate(EXTRA_PROVIDERS):
        catalogs[extra] = [{**row, "owned_by": extra} for row in shared[n * 50 : n * 50 + 30 + 20 * n]]
    return catalogs


def _provider_handler(gateway: str, rows: list[dict[str, Any]]) -> Handler:
    envelope: Any = rows if gateway == "together" else {"models": rows} if gateway == "google" else {
        "object": "list", "data": rows}  # fmt: skip

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=envelope, headers={"x-request-id": f"{gateway}-1"})

    return handle


def _gateway_handler(items: list[dict[str, Any]]) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        page = items[offset : offset + limit]
        body = {"object": "list", "data": page, "total": len(items), "has_more": offset + limit < len(items)}
        return httpx.Response(200, json=body)

    return handle


@dataclass
class Plan:
    """What to record: cassette name -> the requests it holds (filled in while recording, for the Hub)."""

    internet: Callable[[bool], FakeInternet]
    cassettes: dict[str, list[str]] = field(default_factory=dict)
    source: str = ""
    items: int = 0


def build_plan() -> Plan:
    hub, source = _hub()
    catalogs = _offers()
    rows = [{**row, "id": f"{gateway}/{row['id']}"} for gateway, offers in catalogs.items() for row in offers]
    total = GATEWAY_PAGES * GATEWAY_PAGE_SIZE
    items = [{**rows[k % len(rows)], "id": f"{rows[k % len(rows)]['id']}~{k // len(rows)}"} for k in range(total)]

    def internet(changed: bool) -> FakeInternet:
        fake = FakeInternet({HUB_HOST: hub(changed), GATEWAY_HOST: _gateway_handler(items)})
        for gateway, offers in catalogs.items():
            fake.add(f"api.{gateway}.bench.test", _provider_handler(gateway, offers))
        return fake

    plan = Plan(internet, source=source)
    plan.cassettes["hub/likes"] = [HUB_START]  # the next pages come from Link while recording
    for gateway in catalogs:
        plan.cassettes[f"providers/{gateway}"] = [f"https://api.{gateway}.bench.test/v1/models"]
    per_walk = GATEWAY_PAGES // GATEWAY_WALKS
    for walk in range(GATEWAY_WALKS):
        plan.cassettes[f"gateway/walk-{walk + 1}"] = [
            f"https://{GATEWAY_HOST}/v1/models?gateway=all&limit={GATEWAY_PAGE_SIZE}&offset={page * GATEWAY_PAGE_SIZE}"
            for page in range(walk * per_walk, (walk + 1) * per_walk)
        ]
    plan.items = len(items) + sum(len(offers) for offers in catalogs.values())
    return plan


# ------------------------------------------------------------------------------------------ the two formats


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str
    persister: Any
    serializer: Any

    def recorder(self, directory: Path, record_mode: str, *, project: bool = True) -> vcr.VCR:
        """The same vcrpy configuration for both formats; only serializer, persister and suffix differ.

        ``project``: the configuration of :func:`make_vcr` (scrub hooks, cached ``query`` matcher); otherwise
        vcrpy's defaults.
        """
        if self.name == "catalog-guard" and project:
            return make_vcr(record_mode=record_mode, cassette_dir=directory, policy=POLICY)
        recorder = vcr.VCR(
            serializer="bench",
            cassette_library_dir=str(directory),
            path_transformer=vcr.VCR.ensure_suffix(self.suffix),
            record_mode=record_mode,
            match_on=MATCH_ON,
            decode_compressed_response=True,
            before_record_request=POLICY.before_record_request if project else None,
            before_record_response=POLICY.before_record_response if project else None,
        )
        recorder.register_serializer("bench", self.serializer)
        recorder.register_persister(self.persister)
        if project:
            recorder.register_matcher("query", query)
        return recorder


FORMATS = (
    Format("yaml (vcrpy default)", ".yaml", FilesystemPersister, yamlserializer),
    Format("catalog-guard", cassette_format.SUFFIX, AtomicPersister, cassette_format),
)


def record(plan: Plan, fmt: Format, directory: Path, *, changed: bool = False, only: str | None = None) -> float:
    """Record the plan's traffic; returns the seconds it took. Fills in the Hub's page URLs."""
    internet = plan.internet(changed)
    recorder = fmt.recorder(directory, "once")
    started = time.perf_counter()
    with internet.client() as client:
        for name, urls in plan.cassettes.items():
            if only and name != only:
                continue
            with recorder.use_cassette(name):
                if name.startswith("hub/"):
                    urls[:] = _walk_links(client, HUB_START)
                else:
                    for url in urls:
                        client.get(url).raise_for_status()
    return time.perf_counter() - started


def _walk_links(client: httpx.Client, url: str) -> list[str]:
    visited = []
    next_url: str | None = url
    while next_url:
        visited.append(next_url)
        response = client.get(next_url)
        response.raise_for_status()
        next_url = response.links.get("next", {}).get("url")
    return visited


def replay(plan: Plan, fmt: Format, directory: Path, *, project: bool = True) -> float:
    """Load every cassette and play every interaction through vcrpy with a plain client; returns seconds."""
    recorder = fmt.recorder(directory, "none", project=project)
    started = time.perf_counter()
    with httpx.Client() as client:
        for name, urls in plan.cassettes.items():
            with recorder.use_cassette(name) as cassette:
                for url in urls:
                    response = client.get(url)
                    if response.status_code != 200 or not response.content:
                        raise RuntimeError(f"{fmt.name}: bad replay of {url}")
                if not cassette.all_played:
                    raise RuntimeError(f"{fmt.name}: {name} not fully played")
    return time.perf_counter() - started


def replay_as_shipped(plan: Plan, fmt: Format, directory: Path) -> float:
    """Each format the way its users replay it: catalog-guard cassettes through the project's ``use_cassette``
    (make_vcr's config plus the indexed lookup), YAML through vcrpy with its defaults."""
    if fmt.name != "catalog-guard":
        return replay(plan, fmt, directory, project=False)
    started = time.perf_counter()
    with httpx.Client() as client:
        for name, urls in plan.cassettes.items():
            with use_cassette(directory / name, record_mode="none", cassette_dir=directory, policy=POLICY):
                for url in urls:
                    response = client.get(url)
                    if response.status_code != 200 or not response.content:
                        raise RuntimeError(f"{fmt.name}: bad replay of {url}")
    return time.perf_counter() - started


def load_only(fmt: Format, directory: Path) -> float:
    files = sorted(directory.rglob(f"*{fmt.suffix}"))
    started = time.perf_counter()
    for file in files:
        fmt.persister.load_cassette(file, fmt.serializer)
    return time.perf_counter() - started


def diff_size(old: str, new: str) -> tuple[int, int]:
    """(changed lines, changed bytes) of a unified diff without context."""
    lines = [
        line
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    return len(lines), sum(len(line.encode()) for line in lines)


# ------------------------------------------------------------------------------------------ the report


@contextmanager
def _quiet_vcr() -> Iterator[None]:
    import logging

    logger = logging.getLogger("vcr")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def machine() -> str:
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("vcrpy", "httpx", "PyYAML"))
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{versions}, libyaml: {yaml.__with_libyaml__}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5, help="best of how many replays (default 5)")
    args = parser.parse_args(argv)
    if not yaml.__with_libyaml__:
        print("warning: PyYAML without libyaml; the YAML figures are not the ones to compare against")
    plan = build_plan()
    rows: dict[str, dict[str, str]] = {}
    figures: dict[str, dict[str, float]] = {fmt.name: {} for fmt in FORMATS}
    with tempfile.TemporaryDirectory(prefix="bench-cassettes-") as temporary, _quiet_vcr():
        root = Path(temporary)
        directories = {fmt.name: root / f"{fmt.suffix.strip('.')}-0" for fmt in FORMATS}
        for n in range(3):  # record three times each, alternating, and keep the best (the first run warms up)
            for fmt in FORMATS:
                seconds = record(plan, fmt, root / f"{fmt.suffix.strip('.')}-{n}")
                figures[fmt.name]["record"] = min(seconds, figures[fmt.name].get("record", seconds))
        # Alternate the formats in every round, so that a change in machine load hits both alike.
        measures: dict[str, Callable[[Format, Path], float]] = {
            "replay": functools.partial(replay, plan),
            "bare": functools.partial(replay, plan, project=False),
            "shipped": functools.partial(replay_as_shipped, plan),
            "load": load_only,
        }
        for _ in range(args.repeat):
            for key, measure in measures.items():
                for fmt in FORMATS:
                    seconds = measure(fmt, directories[fmt.name])
                    figures[fmt.name][key] = min(seconds, figures[fmt.name].get(key, seconds))
        for fmt in FORMATS:
            directory = directories[fmt.name]
            files = sorted(directory.rglob(f"*{fmt.suffix}"))
            sizes = [file.stat().st_size for file in files]
            changed_dir = root / f"{fmt.suffix.strip('.')}-changed"
            record(plan, fmt, changed_dir, changed=True, only="hub/likes")
            hub_file = f"hub/likes{fmt.suffix}"
            lines, changed_bytes = diff_size((directory / hub_file).read_text(), (changed_dir / hub_file).read_text())
            measured = figures[fmt.name]
            rows[fmt.name] = {
                "files": f"{len(files)}",
                "total size": f"{sum(sizes) / 1e6:.2f} MB",
                "largest file": f"{max(sizes) / 1e6:.2f} MB",
                "record (best of 3)": f"{measured['record']:.3f} s",
                f"load only (best of {args.repeat})": f"{measured['load']:.3f} s",
                f"replay, make_vcr config (best of {args.repeat})": f"{measured['replay']:.3f} s",
                f"replay, vcrpy defaults (best of {args.repeat})": f"{measured['bare']:.3f} s",
                f"replay as shipped (best of {args.repeat})": f"{measured['shipped']:.3f} s",
                "1 model changed: diff lines (+/-)": f"{lines}",
                "1 model changed: diff bytes": f"{changed_bytes:,}",
            }
    interactions = sum(len(urls) for urls in plan.cassettes.values())
    print(f"machine: {machine()}")
    print(f"corpus: {len(plan.cassettes)} cassettes, {interactions} interactions, {plan.items:,} list items")
    print(f"hub: {plan.source}")
    names = [fmt.name for fmt in FORMATS]
    width = max(len(label) for label in rows[names[0]])
    print(f"| {'':{width}} | {names[0]:>22} | {names[1]:>22} |")
    print(f"|{'-' * (width + 2)}|{'-' * 24}:|{'-' * 24}:|".replace("-:|", "-:|"))
    for label in rows[names[0]]:
        print(f"| {label:{width}} | {rows[names[0]][label]:>22} | {rows[names[1]][label]:>22} |")
    yaml_figures, ours = figures[names[0]], figures[names[1]]
    print(
        f"replay ratio yaml / catalog-guard: {yaml_figures['replay'] / ours['replay']:.2f}x (make_vcr config), "
        f"{yaml_figures['bare'] / ours['bare']:.2f}x (vcrpy defaults), {yaml_figures['load'] / ours['load']:.2f}x "
        "(load only)"
    )
    print(
        f"replay as each is used, yaml with vcrpy defaults / catalog-guard through use_cassette: "
        f"{yaml_figures['shipped'] / ours['shipped']:.2f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
