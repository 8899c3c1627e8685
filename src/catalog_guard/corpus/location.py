"""Where the recorded corpus is, the names in it, and where each upstream it records really lives.

The lowest module of :mod:`catalog_guard.corpus`: paths and names only, no replay. The directory is found once by
the caller (:func:`find_cassettes_dir`: the ``--cassettes`` option, else ``$CATALOG_GUARD_CASSETTES``, else the
checkout's or the wheel's corpus) and passed down from there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from catalog_guard.cassettes import format as cassette_format
from catalog_guard.errors import CatalogGuardError
from catalog_guard.gateways import GATEWAY_URL, HUB_URL, HUGGINGFACE
from catalog_guard.providers import GATEWAY_SPECS

CASSETTES_ENV = "CATALOG_GUARD_CASSETTES"
GATEWAY = "gateway"
PROVIDERS = "providers"
GROUPS = (HUGGINGFACE, PROVIDERS, GATEWAY)
CURRENT = "current"
BASELINE = "gateway/baseline"
BASELINE_FORMAT = "catalog-guard-baseline/1"


class UnknownRecordingError(CatalogGuardError, LookupError):
    """A name given to ``--only`` (or to a replay) that the manifest does not hold."""


def find_cassettes_dir(package_dir: Path | None = None, *, environ: Mapping[str, str] | None = None) -> Path:
    """The corpus directory: ``$CATALOG_GUARD_CASSETTES`` if set, else ``cassettes/`` next to the nearest
    ``pyproject.toml`` above the package (a checkout or an editable install), found the way
    :func:`catalog_guard.schemas.find_schemas_dir` finds ``schemas/``.

    The directory need not exist yet (a first recording creates it); a replay of a missing cassette fails with the
    command that records it.
    """
    env = os.environ if environ is None else environ
    override = env.get(CASSETTES_ENV)
    if override:
        return Path(override).expanduser().resolve()
    here = (package_dir if package_dir is not None else Path(__file__).parent.parent).resolve()
    packaged = here / "_cassettes"  # a wheel carries the shipped corpus (pyproject's force-include)
    if packaged.is_dir():
        return packaged
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file():
            return parent / "cassettes"
    raise CatalogGuardError(
        f"no cassettes directory for the package at {here}: no pyproject.toml above it; set {CASSETTES_ENV}"
    )


def cassette_path(name: str, cassettes_dir: str | os.PathLike[str] | None = None) -> Path:
    """The file of recording ``name``."""
    directory = Path(cassettes_dir) if cassettes_dir is not None else find_cassettes_dir()
    return directory / f"{name}{cassette_format.SUFFIX}"


def cassette_files(cassettes_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Every cassette file under the directory, sorted (``gateway/baseline.json`` is not a cassette)."""
    directory = Path(cassettes_dir) if cassettes_dir is not None else find_cassettes_dir()
    baseline = cassette_path(BASELINE, directory)
    return sorted(p for p in directory.rglob(f"*{cassette_format.SUFFIX}") if p != baseline and _visible(p, directory))


def _visible(path: Path, directory: Path) -> bool:
    """Hidden files and folders (a recorder's temporary directory, an editor's swap file) are not the corpus."""
    return not any(part.startswith(".") for part in path.relative_to(directory).parts)


def canonical_base_url(upstream: str) -> str:
    """Where ``upstream`` really is: the address every cassette is stored under, whatever it was recorded from."""
    if upstream == HUGGINGFACE:
        return HUB_URL
    if upstream == GATEWAY:
        return GATEWAY_URL
    if upstream in GATEWAY_SPECS:
        return GATEWAY_SPECS[upstream].base_url
    raise UnknownRecordingError(f"no upstream {upstream!r}; known: {', '.join(upstreams())}")


#: Where each upstream's credentials are read from: ``HF_TOKEN`` for the Hub, each provider spec's ``token_env``.
HF_TOKEN_ENV = "HF_TOKEN"


def upstream_tokens(environ: Mapping[str, str]) -> dict[str, str]:
    """The upstreams' tokens found in ``environ``, keyed by upstream (unset or empty variables are left out).

    One reading of the environment for ``catalog-guard record`` and for live truth (``audit --truth live``), so
    both authenticate with the same keys; the gateway's own token is read apart (it is the gateway's, not an
    upstream's)."""
    found: dict[str, str] = {}
    if environ.get(HF_TOKEN_ENV):
        found[HUGGINGFACE] = environ[HF_TOKEN_ENV]
    for name, spec in GATEWAY_SPECS.items():
        value = environ.get(spec.token_env) if spec.token_env else None
        if value:
            found[name] = value
    return found


def key_missing(upstream: str, tokens: Mapping[str, str]) -> str:
    """Why ``upstream`` cannot be listed with ``tokens`` (its listing needs a key that is not there), or ``""``."""
    spec = GATEWAY_SPECS.get(upstream)
    if spec is not None and spec.auth_required and upstream not in tokens:
        return f"{spec.token_env} is not set and {spec.name} requires a key"
    return ""


def provider_names() -> list[str]:
    """The gateways with a ``providers/<name>`` recording (the twelve of the seed reports), in manifest order."""
    return list(GATEWAY_SPECS)


def upstreams() -> tuple[str, ...]:
    """Every upstream a base URL can be given for."""
    return (HUGGINGFACE, *GATEWAY_SPECS, GATEWAY)
