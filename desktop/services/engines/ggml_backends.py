"""Load llama.cpp's compute backends: the best CPU code for this machine, and any GPU.

Hearth's llama.cpp is built as llama.cpp's own releases and Ollama build theirs
(`GGML_BACKEND_DL` + `GGML_CPU_ALL_VARIANTS`): the CPU code is a set of modules,
`libggml-cpu-<variant>.so` (x64, sse42, haswell, skylakex, icelake, zen4, ...), each of
which scores how well it fits the CPU it runs on. One cached wheel then runs at native
speed on every machine. llama-cpp-python loads none of them
(abetlen/llama-cpp-python#2069), so Hearth does, once, before the first model: for each
backend, the module with the best score, from llama-cpp-python's own `lib` folder only
(never the working directory, never `GGML_BACKEND_PATH`).

The Sapphire Rapids variant (AMX) is left out unless named: virtual machines that
advertise AMX without granting it crash in its kernels (llama.cpp#20824, ollama#17205;
Ollama leaves it out too). `HEARTH_CPU_VARIANT=<name>` picks a variant by name, for
comparisons; a name this CPU cannot run is refused (its score is 0).
"""

from __future__ import annotations

import _ctypes
import ctypes
import logging
import os
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import llama_cpp

from desktop.core.errors import HearthError

__all__ = ["LEFT_OUT", "VARIANT_ENV", "BackendLoadError", "LoadedBackends", "choose_cpu_variant", "load_backends",
           "module_kind"]

log = logging.getLogger(__name__)
VARIANT_ENV = "HEARTH_CPU_VARIANT"
LEFT_OUT = frozenset({"sapphirerapids"})  # AMX: see the module's docstring
# The order llama.cpp's ggml_backend_load_all() uses: accelerators first, the CPU last.
_ACCELERATORS = ("blas", "cuda", "hip", "metal", "sycl", "vulkan", "opencl", "musa")
_MODULE = re.compile(r"^(?:lib)?ggml-(?P<kind>[a-z0-9]+)(?:-(?P<variant>[A-Za-z0-9_.]+))?\.(?:so|dll|dylib)$")


@dataclass(frozen=True)
class LoadedBackends:
    """What `load_backends` found and loaded."""

    cpu_variant: str | None  # e.g. "icelake"; None: the CPU code is built into libggml
    runnable: tuple[str, ...] = ()  # the CPU variants this machine can run, best first
    asked: bool = False  # chosen by HEARTH_CPU_VARIANT, not by score
    accelerators: tuple[str, ...] = ()  # e.g. ("cuda",)
    registered: tuple[str, ...] = ()  # ggml's own names for what it can run on, e.g. ("Vulkan", "CPU")


class BackendLoadError(HearthError):
    """llama.cpp's CPU code is missing or cannot run here."""


def module_kind(file_name: str) -> tuple[str, str] | None:
    """("cpu", "haswell") for libggml-cpu-haswell.so, ("cuda", "") for libggml-cuda.so;
    None for anything that is not a backend module (libggml.so, libggml-base.so)."""
    match = _MODULE.match(file_name)
    if match is None or match["kind"] == "base":
        return None
    return match["kind"], match["variant"] or ""


def choose_cpu_variant(scores: dict[str, int], wanted: str | None = None) -> str | None:
    """The variant to load: `wanted` if this CPU can run it, else the best scored one
    that is not left out. None when none can run here."""
    if wanted:
        return wanted if scores.get(wanted, 0) > 0 else None
    usable = {name: score for name, score in scores.items() if score > 0 and name not in LEFT_OUT}
    return max(usable, key=lambda name: (usable[name], name)) if usable else None


_lock = threading.Lock()
_loaded: LoadedBackends | None = None


def load_backends(lib_dir: Path | None = None) -> LoadedBackends:
    """Load the backends once per process (later calls return the first result)."""
    global _loaded  # one process, one set of loaded libraries: this mirrors ggml's own registry
    with _lock:
        if _loaded is None:
            _loaded = _load(lib_dir or Path(llama_cpp.__file__).parent / "lib")
        return _loaded


def _load(lib_dir: Path) -> LoadedBackends:
    modules: dict[str, dict[str, Path]] = {}
    for path in sorted(lib_dir.iterdir()):
        kind = module_kind(path.name)
        if kind is not None and path.is_file() and not path.is_symlink():
            modules.setdefault(kind[0], {})[kind[1]] = path
    library = _bind(_libllamas_ggml(lib_dir))
    accelerators = tuple(name for name in _ACCELERATORS
                         if name in modules and _load_module(library, modules[name].get("") or
                                                             next(iter(modules[name].values()))))
    variants = modules.get("cpu", {})
    if library.ggml_backend_reg_by_name(b"CPU") or not variants:  # a build with the CPU code inside
        return LoadedBackends(None, (), accelerators=accelerators, registered=_registered(library))
    scores = {name: _score(path) for name, path in variants.items()}
    runnable = tuple(sorted((n for n, s in scores.items() if s > 0), key=lambda n: -scores[n]))
    wanted = os.environ.get(VARIANT_ENV, "").strip() or None
    chosen = choose_cpu_variant(scores, wanted)
    if chosen is None:
        if wanted:
            raise BackendLoadError(f"{VARIANT_ENV}={wanted} cannot run on this CPU; it can run: "
                                   f"{', '.join(runnable) or 'none'}.")
        raise BackendLoadError(f"None of llama.cpp's CPU variants in {lib_dir} can run on this CPU.")
    if not _load_module(library, variants[chosen]):
        raise BackendLoadError(f"llama.cpp's CPU code {variants[chosen].name} could not be loaded.")
    log.info("CPU code: %s (this CPU can run: %s)", chosen, ", ".join(runnable))
    return LoadedBackends(chosen, runnable, asked=wanted is not None, accelerators=accelerators,
                          registered=_registered(library))


def _libllamas_ggml(lib_dir: Path) -> ctypes.CDLL:
    """The libggml that libllama itself uses. The wheel holds libggml.so, .so.0 and
    .so.0.x as separate copies (wheels keep no links): opening one by path can load a
    second libggml, whose backend registry libllama never sees. By its soname, with
    RTLD_NOLOAD, dlopen returns the copy already loaded for libllama."""
    if sys.platform == "win32":
        return ctypes.CDLL(str(lib_dir / "ggml.dll"))  # Windows loads one ggml.dll per name
    pattern = "libggml.so.*" if sys.platform != "darwin" else "libggml.*.dylib"
    for candidate in sorted(lib_dir.glob(pattern), key=lambda path: len(path.name)):
        name = candidate.name if sys.platform != "darwin" else str(candidate)
        try:
            return ctypes.CDLL(name, mode=os.RTLD_NOLOAD)
        except OSError:
            continue
    plain = lib_dir / ("libggml.dylib" if sys.platform == "darwin" else "libggml.so")
    return ctypes.CDLL(str(plain))


def _bind(library: ctypes.CDLL) -> ctypes.CDLL:
    library.ggml_backend_load.argtypes = [ctypes.c_char_p]
    library.ggml_backend_load.restype = ctypes.c_void_p
    library.ggml_backend_reg_by_name.argtypes = [ctypes.c_char_p]
    library.ggml_backend_reg_by_name.restype = ctypes.c_void_p
    library.ggml_backend_reg_count.restype = ctypes.c_size_t
    library.ggml_backend_reg_get.argtypes = [ctypes.c_size_t]
    library.ggml_backend_reg_get.restype = ctypes.c_void_p
    library.ggml_backend_reg_name.argtypes = [ctypes.c_void_p]
    library.ggml_backend_reg_name.restype = ctypes.c_char_p
    return library


def _registered(library: ctypes.CDLL) -> tuple[str, ...]:
    """The backends ggml registered, by its own names ("CUDA", "Vulkan", "Metal", "CPU")."""
    names = []
    for index in range(library.ggml_backend_reg_count()):
        name = library.ggml_backend_reg_name(library.ggml_backend_reg_get(index))
        names.append(name.decode("utf-8", errors="replace") if name else "")
    return tuple(n for n in names if n)


def _load_module(library: ctypes.CDLL, path: Path) -> bool:
    """ggml's own loader: it checks the module's score and API version, then registers it."""
    loaded = bool(library.ggml_backend_load(os.fsencode(path)))
    if not loaded:
        log.info("llama.cpp backend %s cannot run here", path.name)
    return loaded


def _score(path: Path) -> int:
    """The module's own `ggml_backend_score()`: 0 when this CPU lacks an instruction it
    needs. The module is opened just to ask, then closed, as ggml itself does."""
    try:
        module = ctypes.CDLL(str(path))
    except OSError as error:
        log.info("llama.cpp backend %s cannot be opened: %s", path.name, error)
        return 0
    try:
        function = getattr(module, "ggml_backend_score", None)
        if function is None:
            return 0
        function.restype = ctypes.c_int
        return int(function())
    finally:
        _close(module)


def _close(module: ctypes.CDLL) -> None:
    if sys.platform == "win32":
        _ctypes.FreeLibrary(module._handle)  # type: ignore[attr-defined]
    else:
        _ctypes.dlclose(module._handle)  # type: ignore[attr-defined]
