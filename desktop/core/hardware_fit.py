"""Will a catalog model run well on this machine? "fits", "tight" or "too big".

The rule is deliberately simple and printed in the README: a model fits when its
memory need is within the fast memory (VRAM on a discrete GPU, ~70 % of unified
memory on Apple silicon, ~60 % of RAM on a CPU, leaving room for the OS and the
app); tight when it only fits by spilling into RAM (partial offload) or by taking
most of the RAM; too big otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from desktop.core.catalog import CatalogEntry

__all__ = ["PICKS", "Fit", "Hardware", "fit_of", "offers", "recommend", "recommendations"]

Fit = Literal["fits", "tight", "too big"]
GIB = 1024**3
# On a CPU, bigger than this is too slow to be the recommendation (a few words a second
# for a chat model; Whisper slower than speech for the larger sizes).
_CPU_QUICK_GB = {"vision": 6.0, "chat": 6.0, "text": 6.0, "reasoning": 6.0, "speech": 1.5}
PICKS = ("text", "vision", "speech")  # what a machine is recommended: one of each


@dataclass(frozen=True, kw_only=True)
class Hardware:
    ram_bytes: int
    backend: str  # "CPU", "CUDA", "Metal", "Vulkan", ...
    vram_bytes: int | None  # None: no discrete GPU, or the backend does not tell
    unified_memory: bool = False  # Apple silicon: the GPU shares the RAM

    @property
    def gpu(self) -> bool:
        return self.backend not in ("CPU", "")

    def describe(self) -> str:
        ram = f"{self.ram_bytes / GIB:.0f} GB RAM"
        if not self.gpu:
            return f"{ram}, CPU only"
        if self.unified_memory:
            return f"{ram} shared with the {self.backend} GPU"
        vram = f"{self.vram_bytes / GIB:.0f} GB VRAM" if self.vram_bytes else "VRAM unknown"
        return f"{ram}, {self.backend} GPU with {vram}"


def fit_of(entry: CatalogEntry, hardware: Hardware) -> Fit:
    need = entry.memory_gb * GIB
    ram = hardware.ram_bytes
    if hardware.gpu and hardware.unified_memory:
        fast, spill = 0.70 * ram, 0.85 * ram
    elif hardware.gpu and hardware.vram_bytes:
        fast, spill = 0.90 * hardware.vram_bytes, 0.90 * hardware.vram_bytes + 0.60 * ram
    else:
        fast, spill = 0.60 * ram, 0.85 * ram
    if need <= fast:
        return "fits"
    return "tight" if need <= spill else "too big"


def recommend(entries: tuple[CatalogEntry, ...] | list[CatalogEntry], hardware: Hardware,
              *, capability: str) -> CatalogEntry | None:
    """The most capable entry with `capability` that fits; on a CPU, the most capable
    that is also quick enough to be pleasant (else the smallest). None when nothing fits."""
    candidates = [e for e in entries if offers(e, capability) and fit_of(e, hardware) == "fits"]
    if not hardware.gpu:
        quick = [e for e in candidates if e.memory_gb <= _CPU_QUICK_GB.get(capability, 6.0)]
        if not quick:
            return min(candidates, key=lambda e: e.memory_gb, default=None)
        candidates = quick
    return max(candidates, key=lambda e: e.memory_gb, default=None)


def offers(entry: CatalogEntry, capability: str) -> bool:
    """Whether `entry` has `capability`; "text" is a language model without vision (a
    chat or reasoning model, recommended apart from the vision ones)."""
    if capability == "text":
        return "chat" in entry.capabilities and entry.mmproj is None
    return capability in entry.capabilities


def recommendations(entries: tuple[CatalogEntry, ...] | list[CatalogEntry], hardware: Hardware) -> list[CatalogEntry]:
    """The recommendation for this machine: a text model, a vision model and a Whisper
    model, each the most capable that runs well (fewer where nothing fits)."""
    return [e for capability in PICKS if (e := recommend(entries, hardware, capability=capability))]
