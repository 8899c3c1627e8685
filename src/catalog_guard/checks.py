"""The contract checks: pure functions from an :class:`~catalog_guard.observe.Observation` to named violations.

One function per invariant of docs/contract.md §1. Each returns a list of :class:`Violation` (empty when the
gateway keeps the promise), each with a message a person can act on and the evidence behind it. The pytest
suite, the reusable contract classes, the pytest plugin and ``catalog-guard audit`` all call :func:`run_checks`
or a single check from :data:`CHECKS`; none of them re-implements a rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from catalog_guard import paging
from catalog_guard.gateway_client import Envelope, GatewayResponse, GatewayWalk
from catalog_guard.gateways import ALL, KNOWN
from catalog_guard.observe import Observation, describe_error
from catalog_guard.skew import Skew, SkewAllowance


@dataclass(frozen=True)
class Violation:
    """One broken promise: which check, what went wrong in words, and the evidence."""

    check: str
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ContractConfig:
    """The knobs a team sets for its own gateway."""

    coverage_floor: float = 1.0
    count_tolerance: float = 0.0
    max_examples: int = 5
    skew: SkewAllowance = field(default_factory=SkewAllowance)  # ids a listing may differ from its upstream by


@dataclass(frozen=True)
class Context:
    """What a check may consult besides the observation: the upstream truth, the baseline counts, the config."""

    truth: Mapping[str, frozenset[str]] = field(default_factory=dict)
    baseline: Mapping[str, int] = field(default_factory=dict)
    config: ContractConfig = field(default_factory=ContractConfig)
    #: per check, the gateways it cannot judge and why (an upstream whose truth could not be fetched, no
    #: baseline): reported as "not judged", never as passed (:mod:`catalog_guard.truth` fills it)
    not_judged: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    name: str
    title: str
    violations: tuple[Violation, ...]
    not_judged: tuple[tuple[str, str], ...] = ()  # (gateway, reason) this check could not judge

    @property
    def passed(self) -> bool:
        """No violation among what was judged (see :attr:`not_judged` for what was not)."""
        return not self.violations

    def unjudged(self) -> str:
        """What this check could not judge, gateways grouped by reason: ``a, b (reason); c (other reason)``."""
        by_reason: dict[str, list[str]] = {}
        for name, why in self.not_judged:
            by_reason.setdefault(why, []).append(name)
        return "; ".join(f"{', '.join(names)} ({why})" for why, names in by_reason.items())

    def summary(self) -> str:
        if self.passed and self.not_judged:
            return f"not judged: {self.unjudged()}"
        if self.passed:
            return "pass"
        first = self.violations[0].message
        more = f" (+{len(self.violations) - 1} more)" if len(self.violations) > 1 else ""
        return f"{first}{more}"


CheckFunction = Callable[[Observation, Context], list[Violation]]


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    run: CheckFunction


CHECKS: dict[str, Check] = {}
"""Every contract check by name, in the documented order: the order in which they are defined below."""


def contract_check(name: str, title: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function as the check ``name``, so that a check's name and title are written once,
    beside its rule."""

    def register(run: CheckFunction) -> CheckFunction:
        if name in CHECKS:
            raise ValueError(f"two contract checks are named {name!r}")
        CHECKS[name] = Check(name, title, run)
        return run

    return register


def _examples(values: Iterable[Any], context: Context) -> list[Any]:
    return sorted(values, key=str)[: context.config.max_examples]


def _walk_story(walk: GatewayWalk) -> str:
    """How a walk went, as evidence: ``offset 0 gave 100, offset 100 gave 1, offset 200 gave 0 (last: GET url)``
    (the first three pages and the last), and how it ended when it did not end well."""
    told = [f"offset {offset} gave {len(page.items)}" for offset, page in zip(walk.offsets(), walk.pages, strict=True)]
    if len(told) > 4:
        told = [*told[:3], "...", told[-1]]
    story = ", ".join(told) if told else "no page"
    if walk.pages:
        story += f" (last: GET {walk.pages[-1].url})"
    if not walk.complete and walk.error is not None:
        story += f"; then {describe_error(walk.error)}"
    return f"its walk: {story}"


def _first_repeat(walk: GatewayWalk) -> str:
    """The first page holding an id an earlier page listed: where a walk starts repeating itself."""
    first_seen: dict[str, int | None] = {}
    for offset, page in zip(walk.offsets(), walk.pages, strict=True):
        for item in page.items:
            model = item.get("id")
            if isinstance(model, str) and model in first_seen:
                earlier = first_seen[model]
                return f"the page at offset {offset} (GET {page.url}) repeats {model}, first listed at offset {earlier}"
            if isinstance(model, str):
                first_seen[model] = offset
    return ""


def _requested(url: str, name: str) -> int | None:
    """The integer query parameter ``name`` the page was requested with (``None`` if absent)."""
    return paging.int_param(httpx.URL(url), name, None)


# ---------------------------------------------------------------------------------------------------------------


@contract_check("schema", "responses match the schema; every model has an id")
def check_schema(seen: Observation, context: Context) -> list[Violation]:
    """Every 200 matches the response schema; every model has a non-empty string id."""
    from catalog_guard import schemas

    found: list[Violation] = []
    walks = seen.every_walk()
    bodies: list[tuple[str, Any]] = [(page.url, page.body) for walk in walks.values() for page in walk.pages]
    bodies += [(r.url, r.body) for r in seen.singles.values() if r.status == 200]
    for url, body in bodies:
        problems = schemas.validate(body, "gateway/models-response.json")
        if problems:
            found.append(Violation("schema", f"{url}: {problems[0]}", {"url": url, "problems": problems[:5]}))
    for name, walk in walks.items():
        if walk.missing_ids:
            found.append(
                Violation(
                    "schema",
                    f"{name}: {walk.missing_ids} models without a non-empty string id",
                    {"gateway": name, "missing_ids": walk.missing_ids},
                )
            )
    return found


@contract_check("page-bounds", "returned == len(data) <= limit; offsets echoed")
def check_page_bounds(seen: Observation, context: Context) -> list[Violation]:
    """``returned == len(data) <= limit``, ``offset >= 0``, and the echoed offset/limit are the requested ones."""
    found: list[Violation] = []
    walks = seen.every_walk()
    pages = [(name, page.url, page.body, len(page.items)) for name, walk in walks.items() for page in walk.pages]
    pages += [(name, r.url, r.body, len(r.items)) for name, r in seen.singles.items() if r.status == 200]
    for name, url, body, count in pages:
        envelope = Envelope.of(body)
        limit = _requested(url, "limit")
        offset = _requested(url, "offset")
        if limit is not None and count > limit:
            found.append(
                Violation(
                    "page-bounds",
                    f"{name}: limit={limit} answered {count} models (limit ignored)",
                    {"url": url, "limit": limit, "returned": count},
                )
            )
        if envelope.returned is not None and envelope.returned != count:
            found.append(
                Violation(
                    "page-bounds",
                    f"{name}: returned={envelope.returned} but data has {count}",
                    {"url": url, "returned": envelope.returned, "len_data": count},
                )
            )
        if envelope.limit is not None and limit is not None and envelope.limit != limit:
            found.append(
                Violation(
                    "page-bounds",
                    f"{name}: asked limit={limit}, answered limit={envelope.limit}",
                    {"url": url, "limit": envelope.limit},
                )
            )
        if envelope.offset is not None and (envelope.offset < 0 or (offset is not None and envelope.offset != offset)):
            found.append(
                Violation(
                    "page-bounds",
                    f"{name}: asked offset={offset}, answered offset={envelope.offset}",
                    {"url": url, "offset": envelope.offset},
                )
            )
        if envelope.malformed:
            found.append(
                Violation(
                    "page-bounds",
                    f"{name}: envelope fields of the wrong type: {envelope.malformed}",
                    {"url": url, "malformed": list(envelope.malformed)},
                )
            )
    return found


@contract_check("no-duplicates", "no id twice in a page, a walk or unique_models")
def check_no_duplicates(seen: Observation, context: Context) -> list[Violation]:
    """No id twice in a page, across the pages of a walk, or in the ``unique_models`` listing."""
    found: list[Violation] = []
    for name, response in seen.singles.items():
        ids = [i for i in response.ids() if i]
        if len(ids) != len(set(ids)):
            found.append(
                Violation(
                    "no-duplicates",
                    f"{name}: one request of limit={_requested(response.url, 'limit')} "
                    f"holds {len(ids):,} rows but {len(set(ids)):,} unique ids",
                    {"gateway": name, "entries": len(ids), "unique": len(set(ids))},
                )
            )
    for name, walk in seen.every_walk().items():
        if name == ALL:
            # one row per (provider, model): the same id from two providers is legitimate, twice from one is not
            pairs = Counter((item.get("source_gateway"), item.get("id")) for page in walk.pages for item in page.items)
            twice = [pair for pair, n in pairs.items() if n > 1]
            if twice:
                found.append(
                    Violation(
                        "no-duplicates",
                        f"{name}: {len(twice):,} (gateway, model) rows listed more than once",
                        {"gateway": name, "examples": _examples(map(str, twice), context)},
                    )
                )
            continue
        counts = Counter(walk.ids)
        repeated = {model: n for model, n in counts.items() if n > 1}
        if repeated:
            unique = len(counts)
            factor = len(walk.ids) / unique if unique else 0.0
            where = _first_repeat(walk)
            shown = _ids_said(tuple(sorted(repeated)), context)
            found.append(
                Violation(
                    "no-duplicates",
                    f"{name}: {len(walk.ids):,} entries but {unique:,} unique ids "
                    f"({len(repeated):,} repeated: {shown}; duplication factor {factor:.1f}x)"
                    + (f": {where}" if where else ""),
                    {
                        "gateway": name,
                        "entries": len(walk.ids),
                        "unique": unique,
                        "examples": _examples(repeated, context),
                    },
                )
            )
    return found


@contract_check("offset-progression", "pages contiguous, disjoint, end properly, no early stop or loop")
def check_offset_progression(seen: Observation, context: Context) -> list[Violation]:
    """Pages are disjoint and contiguous, equal the single-request listing, end on a short or empty page, and
    neither stop early nor loop."""
    found: list[Violation] = []
    for name, walk in seen.every_walk().items():
        if not walk.pages:
            continue  # nothing was served at all: known-gateways reports that
        if not walk.complete:
            found.append(
                Violation(
                    "offset-progression",
                    f"{name}: walk did not end: {describe_error(walk.error)}",
                    {"gateway": name, "stop": walk.stop_reason, "pages": len(walk.pages)},
                )
            )
        sizes = walk.page_sizes()
        for index, size in enumerate(sizes[:-1]):
            if size < walk.limit and any(sizes[index + 1 :]):
                found.append(
                    Violation(
                        "offset-progression",
                        f"{name}: page at offset {walk.offsets()[index]} had {size} < limit {walk.limit} models, "
                        "yet later pages had more (early stop for any client that trusts short pages)",
                        {"gateway": name, "page_sizes": sizes[: index + 3]},
                    )
                )
                break
        single = seen.singles.get(name)
        if walk.complete and single is not None and single.status == 200:
            expected = [i for i in single.ids() if i]
            walked = walk.ids[: len(expected)]  # the single request may be capped below the catalog size
            if walked != expected:
                mismatch = next(
                    (n for n, (a, b) in enumerate(zip(walked, expected, strict=False)) if a != b),
                    min(len(walked), len(expected)),
                )
                found.append(
                    Violation(
                        "offset-progression",
                        f"{name}: the offset walk and the single limit={_requested(single.url, 'limit')} listing "
                        f"differ from position {mismatch} ({len(walk.ids)} walked, {len(expected)} in one request)",
                        {"gateway": name, "position": mismatch},
                    )
                )
    return found


def _int(value: int | None, default: int) -> int:
    return value if value is not None else default


@contract_check("paging-arithmetic", "total, has_more and next_offset add up")
def check_paging_arithmetic(seen: Observation, context: Context) -> list[Violation]:
    """``total`` equals what the walk collects; ``has_more == (offset + returned < total)``;
    ``next_offset == offset + returned`` while ``has_more``. Each kind of error is reported once per walk."""
    found: list[Violation] = []
    for name, walk in seen.every_walk().items():
        kinds: dict[str, Violation] = {}
        for page in walk.pages:
            envelope = Envelope.of(page.body)
            offset = _int(envelope.offset, _requested(page.url, "offset") or 0)
            returned = len(page.items)
            total = envelope.total
            if total is not None and walk.complete and total != len(walk.ids):
                kinds.setdefault(
                    "total",
                    Violation(
                        "paging-arithmetic",
                        f"{name}: total={total} but the walk collected {len(walk.ids)}",
                        {"gateway": name, "total": total, "collected": len(walk.ids)},
                    ),
                )
            if total is not None and envelope.has_more is not None and envelope.has_more != (offset + returned < total):
                kinds.setdefault(
                    "has_more",
                    Violation(
                        "paging-arithmetic",
                        f"{name}: has_more={envelope.has_more} at offset {offset} with {returned} returned "
                        f"of total {total}",
                        {"gateway": name, "url": page.url},
                    ),
                )
            if envelope.has_more and envelope.next_offset is not None and envelope.next_offset != offset + returned:
                kinds.setdefault(
                    "next_offset",
                    Violation(
                        "paging-arithmetic",
                        f"{name}: next_offset={envelope.next_offset} at offset {offset} with {returned} returned "
                        f"(expected {offset + returned})",
                        {"gateway": name, "url": page.url},
                    ),
                )
        found.extend(kinds.values())
    return found


@contract_check("bad-parameters", "bad parameters get a 4xx with a message")
def check_bad_parameters(seen: Observation, context: Context) -> list[Violation]:
    """Negative offset, out-of-range or non-integer limit and unknown gateways get a 4xx with a message."""
    found: list[Violation] = []
    for name, response in seen.probes.items():
        if not 400 <= response.status < 500:
            found.append(
                Violation(
                    "bad-parameters",
                    f"{name}: {response.url} answered {response.status}, "
                    f"not a 4xx ({len(response.items)} models returned)",
                    {"probe": name, "url": response.url, "status": response.status, "returned": len(response.items)},
                )
            )
        elif not _has_message(response):
            found.append(
                Violation(
                    "bad-parameters",
                    f"{name}: {response.status} without an error message",
                    {"probe": name, "url": response.url},
                )
            )
    return found


def _has_message(response: GatewayResponse) -> bool:
    body = response.body
    if isinstance(body, dict):
        for key in ("error", "detail", "message"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return True
            if isinstance(value, dict) and str(value.get("message", "")).strip():
                return True
    return bool(response.headers.get("x-error-message"))


def unserved_gateways(seen: Observation) -> dict[str, str]:
    """The gateways asked for that gave no usable page (a 404, an error), in plan order, each with what it
    answered. The other checks skip them: :func:`check_known_gateways` reports them once, together."""
    unserved: dict[str, str] = {}
    for name, _ in _in_plan_order(seen, dict.fromkeys(seen.plan.gateways)):
        walk = seen.walks.get(name)
        if walk is None or walk.pages:
            continue
        status = getattr(walk.error, "status", None)
        unserved[name] = f"{status}" if status is not None else describe_error(walk.error)[:80] or "no page"
    return unserved


@contract_check("known-gateways", "every known gateway (and alias) serves models")
def check_known_gateways(seen: Observation, context: Context) -> list[Violation]:
    """Every known gateway answers 200 with models: a 404, an error, or a quiet ``200 []`` is a lost catalog.
    Gateways without a usable page are one finding, listed together with the fix if serving fewer is intended."""
    found: list[Violation] = []
    unserved = unserved_gateways(seen)
    if unserved:
        served = [name for name in seen.plan.gateways if name not in unserved]
        listed = ", ".join(f"{name} ({answer})" for name, answer in unserved.items())
        found.append(
            Violation(
                "known-gateways",
                f"serves {len(served)} of the {len(seen.plan.gateways)} gateways asked for; not served: {listed}. "
                + (
                    "Is the base URL right?"
                    if not served
                    else f"If the deployment serves only {', '.join(served)} on purpose, judge it on those: "
                    f"plan = ObservePlan(gateways={tuple(served)!r})"
                    if all(answer.startswith("4") for answer in unserved.values())
                    else "A 5xx or a failed request is an outage of that gateway, not a choice"
                ),
                {"unserved": dict(unserved), "served": served},
            )
        )
    for name, _ in _in_plan_order(seen, dict.fromkeys(seen.plan.gateways)):
        walk = seen.walks.get(name)
        if walk is not None and walk.pages and not walk.pages[0].items:
            found.append(
                Violation(
                    "known-gateways",
                    f"{name}: answered {walk.pages[0].status} with no models ({walk.pages[0].url})",
                    {"gateway": name, "url": walk.pages[0].url},
                )
            )
    for alias, walk in seen.aliases.items():
        if seen.plan.aliases.get(alias) in unserved:
            continue  # its target is reported above
        if not walk.pages or not walk.pages[0].items:
            found.append(
                Violation(
                    "known-gateways", f"alias {alias}: no models: {describe_error(walk.error)}", {"gateway": alias}
                )
            )
    return found


@contract_check("alias", "aliases list what their targets list")
def check_alias(seen: Observation, context: Context) -> list[Violation]:
    """An alias lists exactly what its target lists: ``hug`` = ``huggingface``, and the documented flag
    ``unique=true`` = ``unique_models=true``."""
    found: list[Violation] = []
    for alias, target in seen.plan.aliases.items():
        walk, target_walk = seen.aliases.get(alias), seen.walks.get(target)
        if walk is None or target_walk is None:
            continue
        if walk.ids != target_walk.ids:
            found.append(
                Violation(
                    "alias",
                    f"{alias} lists {len(walk.ids)} models, {target} lists {len(target_walk.ids)}; the listings differ",
                    {"alias": alias, "target": target},
                )
            )
    for flag, target in seen.plan.flag_aliases.items():
        probe, target_walk = seen.flag_probes.get(flag), seen.unique_walks.get(target)
        if probe is None or target_walk is None:
            continue
        rows = probe.items  # whole rows: a one-row-per-model listing also carries each model's providers
        expected = [item for page in target_walk.pages for item in page.items][: len(rows)]
        if probe.status != 200 or rows != expected:
            position = next(
                (n for n, (a, b) in enumerate(zip(rows, expected, strict=False)) if a != b),
                min(len(rows), len(expected)),
            )
            found.append(
                Violation(
                    "alias",
                    f"gateway=all&{flag}=true (the documented flag) answered {probe.status} with a listing that "
                    f"differs from {target}=true from position {position}: the flag is ignored",
                    {"flag": flag, "target": target, "status": probe.status, "position": position},
                )
            )
    return found


@contract_check("all-completeness", "gateway=all holds every gateway's models")
def check_all_completeness(seen: Observation, context: Context) -> list[Violation]:
    """``gateway=all`` (plain and ``unique_models``) holds every gateway's ids."""
    found: list[Violation] = []
    listings = [(ALL, seen.all_walk), *((f"all ({param})", walk) for param, walk in seen.unique_walks.items())]
    for label, walk in listings:
        if walk is None:
            continue
        listed = set(walk.ids)
        left_out: dict[str, int] = {}
        examples: list[str] = []
        for name, gateway_walk in seen.walks.items():
            missing = set(gateway_walk.ids) - listed
            if missing:
                left_out[name] = len(missing)
                examples += _examples(missing, context)[:2]
        if left_out:
            note = Envelope.of(walk.pages[0].body).fields.get("note") if walk.pages else None
            said = f" while its note says {note!r}" if note else ""
            found.append(
                Violation(
                    "all-completeness",
                    f"{label} leaves out models of {len(left_out)} gateways{said}: "
                    + ", ".join(f"{g} {n}" for g, n in sorted(left_out.items()))
                    + f" (e.g. {_ids_said(tuple(examples), context)}; {_walk_story(walk)})",
                    {"listing": label, "left_out": left_out, "examples": examples},
                )
            )
    return found


def _in_plan_order(seen: Observation, values: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The contract's gateway order (Hugging Face first), then any others alphabetically."""
    order = {name: index for index, name in enumerate(KNOWN)}
    return sorted(values.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


MAX_IDS_SHOWN = 100


def _ids_shown(ids: tuple[str, ...]) -> list[str]:
    """The differing ids a violation carries: all of them for a skew-sized difference, the first 100 of a loss."""
    return list(ids[:MAX_IDS_SHOWN])


def _ids_said(ids: tuple[str, ...], context: Context) -> str:
    """The first few differing ids, for a message: ``a, b, c (+12 more)``."""
    shown = context.config.max_examples
    more = f" (+{len(ids) - shown:,} more)" if len(ids) > shown else ""
    return ", ".join(ids[:shown]) + more


@contract_check("coverage", "each gateway covers its upstream's listing")
def check_coverage(seen: Observation, context: Context) -> list[Violation]:
    """Each gateway lists its upstream's listing: it fails when it lists less than ``coverage_floor`` of it *and*
    misses more ids than the skew allowance forgives (:mod:`catalog_guard.skew`)."""
    found: list[Violation] = []
    allowance = context.config.skew
    unserved = unserved_gateways(seen)
    for name, truth in _in_plan_order(seen, context.truth):
        if name not in seen.walks or not truth or name in unserved:
            continue  # not asked, nothing to cover, or not served at all (known-gateways reports that)
        skew = Skew.measure(seen.walks[name].ids, truth)
        covered = len(truth) - len(skew.missing)
        ratio = covered / len(truth)
        if ratio < context.config.coverage_floor and skew.missing_exceeds(allowance):
            found.append(
                Violation(
                    "coverage",
                    f"{name}: lists {covered:,} of the {len(truth):,} models its upstream lists ({ratio:.1%}, "
                    f"floor {context.config.coverage_floor:.1%}, {allowance.describe(len(truth))}); missing "
                    + _ids_said(skew.missing, context)
                    + f": {_walk_story(seen.walks[name])}",
                    {
                        "gateway": name,
                        "covered": covered,
                        "upstream": len(truth),
                        "ratio": round(ratio, 4),
                        "allowed": allowance.allowed(len(truth)),
                        "missing_count": len(skew.missing),
                        "missing": _ids_shown(skew.missing),
                        "missing_examples": list(skew.missing[: context.config.max_examples]),
                    },
                )
            )
    return found


@contract_check("phantom", "each gateway lists only what its upstream lists")
def check_phantom(seen: Observation, context: Context) -> list[Violation]:
    """Each gateway lists only what its upstream lists: ids only in the gateway beyond the skew allowance are
    phantoms (a stale cache, a hard-coded fallback list, another gateway's models)."""
    found: list[Violation] = []
    allowance = context.config.skew
    for name, truth in _in_plan_order(seen, context.truth):
        if name not in seen.walks or not truth:
            continue
        skew = Skew.measure(seen.walks[name].ids, truth)
        if skew.extra_exceeds(allowance):
            found.append(
                Violation(
                    "phantom",
                    f"{name}: lists {len(skew.extra):,} models its upstream does not list "
                    f"({allowance.describe(len(truth))}): " + _ids_said(skew.extra, context),
                    {
                        "gateway": name,
                        "upstream": len(truth),
                        "allowed": allowance.allowed(len(truth)),
                        "extra_count": len(skew.extra),
                        "extra": _ids_shown(skew.extra),
                    },
                )
            )
    return found


@contract_check("count-floor", "counts stay at or above the baseline")
def check_count_floor(seen: Observation, context: Context) -> list[Violation]:
    """No gateway's unique count drops below the recorded baseline by more than the tolerance."""
    found: list[Violation] = []
    unserved = unserved_gateways(seen)
    for name, baseline in _in_plan_order(seen, context.baseline):
        if name not in seen.walks or name in unserved:
            continue  # not asked, or not served at all (known-gateways reports that)
        count = len(set(seen.walks[name].ids))
        floor = baseline * (1 - context.config.count_tolerance)
        if count < floor:
            change = (count - baseline) / baseline if baseline else 0.0
            found.append(
                Violation(
                    "count-floor",
                    f"{name}: {count:,} models, baseline {baseline:,} ({change:+.1%}, "
                    f"tolerance {context.config.count_tolerance:.1%}): {_walk_story(seen.walks[name])}",
                    {"gateway": name, "count": count, "baseline": baseline},
                )
            )
    return found


@contract_check("stable-bodies", "identical requests, identical bodies and ETags")
def check_stable_bodies(seen: Observation, context: Context) -> list[Violation]:
    """Identical requests give identical bodies and the same ETag."""
    found: list[Violation] = []
    for first, second in seen.repeats:
        if first.text != second.text:
            found.append(
                Violation(
                    "stable-bodies", f"{first.url}: two identical requests got different bodies", {"url": first.url}
                )
            )
        etags = (first.headers.get("etag"), second.headers.get("etag"))
        if etags[0] != etags[1]:
            found.append(
                Violation(
                    "stable-bodies",
                    f"{first.url}: ETag changed between identical requests ({etags[0]} then {etags[1]})",
                    {"url": first.url, "etags": list(etags)},
                )
            )
    return found


@contract_check("routable", "a listed model can be routed (401 without a key, not 404)")
def check_routable(seen: Observation, context: Context) -> list[Violation]:
    """A listed model can be routed: without a key the completion is refused (401/403), not unknown (404)."""
    route = seen.route
    if route is None:
        if "route" in seen.errors:
            return [
                Violation(
                    "routable",
                    f"the chat-completion probe could not be sent: {seen.errors['route']}",
                    {"error": seen.errors["route"]},
                )
            ]
        return []  # not probed (plan.probe_routing off, or nothing listed: known-gateways reports that)
    if route.status in (401, 403):
        return []
    return [
        Violation(
            "routable",
            f"chat completion for listed model {route.model} without a key answered {route.status}, expected 401",
            {"model": route.model, "status": route.status},
        )
    ]


def run_checks(
    seen: Observation, context: Context | None = None, names: Iterable[str] | None = None
) -> list[CheckResult]:
    """Run the named checks (all by default) in their documented order."""
    context = context or Context()
    wanted = list(names) if names is not None else list(CHECKS)
    return [
        CheckResult(name, CHECKS[name].title, tuple(CHECKS[name].run(seen, context)), _not_judged(seen, context, name))
        for name in wanted
    ]


#: The checks that compare with the upstream truth, and the one that compares with the count baseline: what an
#: upstream whose truth could not be fetched, or a missing baseline, leaves unjudged.
TRUTH_CHECKS: tuple[str, ...] = ("coverage", "phantom")
BASELINE_CHECKS: tuple[str, ...] = ("count-floor",)


def _not_judged(seen: Observation, context: Context, name: str) -> tuple[tuple[str, str], ...]:
    """What ``name`` could not judge among the gateways this observation asked for."""
    reasons = context.not_judged.get(name, {})
    return tuple((gateway, why) for gateway, why in _in_plan_order(seen, reasons) if gateway in seen.walks)
