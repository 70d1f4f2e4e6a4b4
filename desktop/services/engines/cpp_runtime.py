"""Loading llama.cpp's shared libraries the one safe way, before anything else loads.

Kept apart from the modules that import llama_cpp (and with it numpy): it must run first,
in every process that will run llama.cpp (`hearth` itself, the bench's raw peer).
"""

from __future__ import annotations

import contextlib
import ctypes
import sys

__all__ = ["load_llama_cpp_first"]


def load_llama_cpp_first() -> None:
    """Load llama.cpp's shared libraries before anything loads numpy's, with the C++
    runtime in the global symbol scope first.

    A CUDA build of llama-cpp-python 0.3.36 made on an H100 machine (Ubuntu, GCC 13,
    CUDA 13) exports about 2,000 libstdc++ symbols from its own libraries; libllama's
    C++ calls then bound to those copies and crashed in `llama_model_load` (in
    `llama_model::print_info`, on `std::ostream` code in libggml). Loaded first and
    global, the real libstdc++ wins every such lookup: the crash is gone, CPU or GPU.
    A missing or broken build is reported where it is used (`hearth doctor`), not here."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            ctypes.CDLL("libstdc++.so.6", mode=ctypes.RTLD_GLOBAL)
    with contextlib.suppress(ImportError, OSError, RuntimeError):
        import llama_cpp.llama_cpp  # noqa: F401 - the libraries load on import
