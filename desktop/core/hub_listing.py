"""What a Hugging Face repo offers, read from the hub's JSON: GGUF files grouped by
quantisation, projectors (mmproj) recognised, split GGUFs kept whole, and the chosen
files turned into a catalog entry so they install through the catalog's verified,
resumable, pair-checked pipeline.

Everything here is the hub's word, so untrusted: repo ids and paths are checked, sizes
bounded, lists capped. No network here (`services/hub_search` fetches).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from desktop.core.catalog import CatalogEntry, RemoteFile

__all__ = ["MAX_FILES", "RECOMMENDATION_RULE", "HubChoice", "HubFiles", "HubRepo", "hub_entry", "parse_reference",
           "parse_repos", "parse_tree", "pick", "quant_of", "recommended", "smallest_first"]

MAX_FILES = 5000  # a repo listing longer than this is cut (the biggest GGUF repos hold a few hundred)
MAX_REPOS = 50
_MAX_SIZE = 2**46  # 64 TiB: a larger "size" is nonsense
_REPO = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[\w.-]{1,96}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_QUANT = re.compile(r"(?<![A-Za-z0-9])((?:I?Q)\d(?:_[A-Za-z0-9]+)*|BF16|F16|F32|FP16|MXFP4)(?![A-Za-z0-9])",
                    re.IGNORECASE)
_SHARD = re.compile(r"^(?P<base>.+)-(?P<part>\d{5})-of-(?P<total>\d{5})\.gguf$", re.IGNORECASE)
_PREFERRED = ("Q4_K_M", "Q4_K_S", "Q5_K_M", "Q4_0", "Q8_0")  # the usual default first
# llama.cpp's quantisations from the fewest bits per weight to the most: smaller and
# rougher first, larger and closer to the original last.
_LADDER = ("IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ2_M", "Q2_K_S", "Q2_K", "IQ3_XXS", "IQ3_XS",
           "IQ3_S", "Q3_K_S", "IQ3_M", "Q3_K_M", "Q3_K_L", "IQ4_XS", "IQ4_NL", "Q4_0", "Q4_1", "Q4_K_S", "Q4_K_M",
           "Q5_0", "Q5_1", "Q5_K_S", "Q5_K_M", "Q6_K", "Q8_0", "MXFP4", "BF16", "F16", "FP16", "F32")
RECOMMENDATION_RULE = ("Hearth recommends the usual default quantisation (Q4_K_M, else Q4_K_S, Q5_K_M, Q4_0 "
                       "or Q8_0) that fits this machine; when none of those fits, the largest file that does.")


@dataclass(frozen=True)
class HubRepo:
    repo_id: str
    downloads: int
    likes: int
    license: str  # from the repo's tags; "" when it has none


@dataclass(frozen=True)
class HubFile:
    path: str
    size: int
    sha256: str  # the LFS sha256, "" when the hub gave none


@dataclass(frozen=True)
class HubChoice:
    """One model to install: a GGUF, or every shard of a split one (first first)."""

    quant: str
    files: tuple[HubFile, ...]

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def label(self) -> str:
        return PurePosixPath(self.files[0].path).name


@dataclass(frozen=True)
class HubFiles:
    repo_id: str
    choices: tuple[HubChoice, ...]  # language models, the usual default quantisation first
    projectors: tuple[HubFile, ...]  # mmproj files, F16 first


def quant_of(path: str) -> str:
    """The quantisation a file name states ("Q4_K_M", "F16", ...), or "other"."""
    found = _QUANT.findall(PurePosixPath(path).name)
    return found[-1].upper() if found else "other"


def parse_repos(payload: Any) -> list[HubRepo]:
    """The hub's /api/models answer; entries of the wrong shape are skipped."""
    repos = []
    for item in payload[:MAX_REPOS] if isinstance(payload, list) else []:
        repo_id = item.get("id") or item.get("modelId") if isinstance(item, dict) else None
        if not isinstance(repo_id, str) or not _REPO.match(repo_id):
            continue
        tags = item.get("tags") if isinstance(item.get("tags"), list) else []
        license_tag = next((t[8:] for t in tags if isinstance(t, str) and t.startswith("license:")), "")
        repos.append(HubRepo(repo_id, _count(item.get("downloads")), _count(item.get("likes")), license_tag[:64]))
    return repos


def parse_tree(repo_id: str, payload: Any) -> HubFiles:
    """The hub's recursive file tree of `repo_id`, as what can be installed from it."""
    files = [f for f in (_file(item) for item in (payload[:MAX_FILES] if isinstance(payload, list) else []))
             if f is not None and f.path.lower().endswith(".gguf")]
    projectors = sorted((f for f in files if "mmproj" in f.path.lower()),
                        key=lambda f: (quant_of(f.path) not in ("F16", "BF16"), f.path))
    models = [f for f in files if "mmproj" not in f.path.lower()]
    return HubFiles(repo_id, tuple(sorted(_choices(models), key=_default_first)), tuple(projectors))


def hub_entry(listing: HubFiles, choice: HubChoice, projector: HubFile | None, *, license_tag: str = "",
              revision: str = "main") -> CatalogEntry:
    """A catalog entry for files chosen from the hub: pulled like any catalog model (sizes
    and sha256 as the hub lists them; the download checks them again)."""
    stem = _SHARD.sub(r"\g<base>", choice.label).removesuffix(".gguf").removesuffix(".GGUF")
    name = re.sub(r"[^a-z0-9._]+", "-", stem.lower()).strip("-._") or "hub-model"
    files = tuple(RemoteFile(repo=listing.repo_id, filename=f.path, size=f.size, sha256=f.sha256,
                             revision=revision) for f in choice.files)
    mmproj = None if projector is None else RemoteFile(repo=listing.repo_id, filename=projector.path,
                                                       size=projector.size, sha256=projector.sha256,
                                                       revision=revision)
    size = choice.size + (projector.size if projector else 0)
    return CatalogEntry(
        name=name, title=f"{listing.repo_id} · {choice.quant}", kind="llm", repo=listing.repo_id, files=files,
        mmproj=mmproj, quant=choice.quant, license=license_tag or "see the model card", context_length=None,
        capabilities=frozenset({"chat", "vision"} if mmproj else {"chat"}),
        memory_gb=round(size * 1.15 / 2**30 + 0.5, 1),  # the files, plus an estimate of an 8k KV cache
        notes="from the hub (not in Hearth's catalog)",
    )


def parse_reference(reference: str) -> tuple[str, str] | None:
    """`owner/repo` or `owner/repo:QUANT` (as Ollama and LM Studio take them) as (repo, quant);
    None when `reference` is not one (a catalog name, say)."""
    repo, _, quant = reference.strip().removeprefix("hf.co/").partition(":")
    return (repo, quant.upper()) if _REPO.match(repo) else None


def pick(listing: HubFiles, quant: str = "", projector: str | None = None) -> tuple[HubChoice, HubFile | None]:
    """The model to install from `listing` (of quantisation `quant`, else the usual default)
    and its projector (the file named `projector`; "" for none; None: the repo's first,
    F16 preferred). Raises ValueError with the sentence to show."""
    if not listing.choices:
        raise ValueError(f"{listing.repo_id} has no GGUF language model files.")
    chosen = [c for c in listing.choices if not quant or c.quant == quant.upper()]
    if not chosen:
        offered = ", ".join(dict.fromkeys(c.quant for c in listing.choices))
        raise ValueError(f"{listing.repo_id} has no {quant.upper()} file; it has {offered}.")
    if projector is None:
        return chosen[0], (listing.projectors[0] if listing.projectors else None)
    if not projector:
        return chosen[0], None
    named = [f for f in listing.projectors if f.path == projector or PurePosixPath(f.path).name == projector]
    if not named:
        offered = ", ".join(PurePosixPath(f.path).name for f in listing.projectors) or "none"
        raise ValueError(f"{listing.repo_id} has no projector {projector!r}; it has {offered}.")
    return chosen[0], named[0]


def smallest_first(choices: Sequence[HubChoice]) -> list[HubChoice]:
    """A repo's files in the order people weigh them: smallest (roughest) to largest
    (closest to the original); same-sized ones by their bits per weight."""
    return sorted(choices, key=lambda c: (c.size, _rung(c.quant)))


def recommended(choices: Sequence[HubChoice], fits: Callable[[HubChoice], bool]) -> HubChoice | None:
    """The one file of a repo Hearth suggests for this machine (`RECOMMENDATION_RULE`),
    None when nothing fits. Simple on purpose: it is explained in one tooltip."""
    fitting = [c for c in choices if fits(c)]
    usual = [c for c in fitting if c.quant in _PREFERRED]
    if usual:
        return min(usual, key=_default_first)
    return max(fitting, key=lambda c: c.size, default=None)


def _rung(quant: str) -> int:
    return _LADDER.index(quant) if quant in _LADDER else len(_LADDER)


def _file(item: Any) -> HubFile | None:
    if not isinstance(item, Mapping) or item.get("type") != "file":
        return None
    path = item.get("path")
    if not isinstance(path, str) or not path or path.startswith("/") or ".." in path.split("/") or "\\" in path:
        return None
    lfs = item.get("lfs") if isinstance(item.get("lfs"), Mapping) else {}
    size = lfs.get("size", item.get("size"))
    if not isinstance(size, int) or not 0 < size < _MAX_SIZE:
        return None
    sha256 = lfs.get("oid") or lfs.get("sha256") or ""
    return HubFile(path, size, sha256 if isinstance(sha256, str) and _SHA256.match(sha256) else "")


def _choices(models: Sequence[HubFile]) -> list[HubChoice]:
    """Single GGUFs as they are; split ones only when every shard is listed."""
    choices = [HubChoice(quant_of(f.path), (f,)) for f in models if not _SHARD.match(PurePosixPath(f.path).name)]
    sets: dict[tuple[str, str], list[tuple[int, HubFile]]] = {}
    totals: dict[tuple[str, str], int] = {}
    for f in models:
        match = _SHARD.match(PurePosixPath(f.path).name)
        if match:
            key = (str(PurePosixPath(f.path).parent), match["base"])
            sets.setdefault(key, []).append((int(match["part"]), f))
            totals[key] = int(match["total"])
    for key, parts in sets.items():
        parts.sort(key=lambda part: part[0])
        if [number for number, _ in parts] == list(range(1, totals[key] + 1)):
            choices.append(HubChoice(quant_of(parts[0][1].path), tuple(f for _, f in parts)))
    return choices


def _default_first(choice: HubChoice) -> tuple[int, int]:
    rank = _PREFERRED.index(choice.quant) if choice.quant in _PREFERRED else len(_PREFERRED)
    return rank, choice.size


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value >= 0 else 0
