"""Shared fixtures: an isolated HEARTH_HOME per test, the real starter models once per
session, and each real model loaded once per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import; e2e tests use Xvfb
# llama.cpp's libraries before numpy's, as `hearth` does (desktop.cli.load_llama_cpp_first): a
# CUDA build crashed in llama_model_load when numpy came first.
import llama_cpp.llama_cpp  # noqa: F401, I001

from tests_helpers import ErrorLogs, ProcessLines, SpeakerSink, write_settings_home

from desktop.core.engine_types import EngineConfig
from desktop.core.paths import HearthPaths
from desktop.services.engines.llm_engine import LlmEngine
from desktop.services.models.model_store import ModelStore
from desktop.services.models.starter_models import (
    CHAT_MODEL,
    PLUMBING_MODEL,
    TEST_PROJECTOR,
    WHISPER_MODEL,
    install_starter_models,
)
from desktop.services.speech.transcriber import Transcriber

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class StarterModels:
    folder: Path
    chat: Path
    plumbing: Path
    whisper: Path
    mmproj: Path


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own HEARTH_HOME: no test touches the person's real data."""
    home = tmp_path / "hearth-home"
    monkeypatch.setenv("HEARTH_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def logfail(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test during which Hearth logged an error it did not expect. A test that
    means to cause one says so with `caplog` or `@pytest.mark.allow_error_log`. llama.cpp's
    own lines (an aborted decode is an error there) are left out."""
    with ErrorLogs() as errors:
        yield
    if "caplog" in request.fixturenames or request.node.get_closest_marker("allow_error_log"):
        return
    assert not errors.unexpected(), f"unexpected ERROR log lines: {errors.unexpected()}"


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Fail a test that leaves a thread of its own running (engines must be closed)."""
    before = set(threading.enumerate())
    yield
    leaked = [
        t for t in threading.enumerate()
        if t not in before and t.is_alive() and t.name.startswith("hearth")
    ]
    assert not leaked, f"threads left running: {[t.name for t in leaked]}"


@pytest.fixture(scope="session")
def starter() -> StarterModels:
    """The starter models, installed (once, idempotently) where `make` puts them."""
    override = os.environ.get("HEARTH_TEST_MODELS_DIR")
    if override:
        folder = Path(override)
    else:
        environ = {k: v for k, v in os.environ.items() if k != "HEARTH_HOME"}
        folder = HearthPaths.from_environment(environ).models_dir
    install_starter_models(ModelStore(folder))
    return StarterModels(
        folder=folder,
        chat=folder / CHAT_MODEL,
        plumbing=folder / PLUMBING_MODEL,
        whisper=folder / WHISPER_MODEL,
        mmproj=folder / TEST_PROJECTOR,
    )


@pytest.fixture(scope="session")
def qwen_vision(starter: StarterModels) -> Iterator[LlmEngine]:
    """Qwen2.5-Coder 0.5B with the generated projector: right answers, real image path."""
    engine = LlmEngine(EngineConfig(model_path=starter.chat, mmproj_path=starter.mmproj, n_ctx=4096))
    engine.wait_ready()
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def gemma(starter: StarterModels) -> Iterator[LlmEngine]:
    """Gemma 3 270M, a base model without chat template: the fast plumbing model."""
    engine = LlmEngine(EngineConfig(model_path=starter.plumbing, n_ctx=2048))
    engine.wait_ready()
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def transcriber(starter: StarterModels) -> Iterator[Transcriber]:
    model = Transcriber(starter.whisper)
    yield model
    model.close()


@pytest.fixture(scope="session")
def speak(tmp_path_factory: pytest.TempPathFactory):
    """speak(text) -> WAV path: real speech synthesised by espeak-ng."""
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is not installed (the CI script installs it)")
    folder = tmp_path_factory.mktemp("speech")

    def make(text: str, *, name: str = "speech.wav", rate: int = 150) -> Path:
        path = folder / name
        subprocess.run(["espeak-ng", "-s", str(rate), "-w", str(path), text], check=True)
        return path

    return make


@pytest.fixture
def cli_home(isolated_home: Path, starter: StarterModels) -> Path:
    """A HEARTH_HOME whose settings point at the starter models (no copy of the files)."""
    return write_settings_home(isolated_home, starter)


@pytest.fixture(scope="session")
def virtual_microphone() -> Iterator[Callable[[Path], None]]:
    """A PulseAudio null sink and a virtual source recording it: a microphone that hears
    whatever `play(wav)` plays. Starts a private PulseAudio daemon when none runs."""
    for tool in ("pulseaudio", "pactl", "paplay", "pacat"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed (the CI script installs PulseAudio)")
    if subprocess.run(["pactl", "info"], capture_output=True).returncode != 0:
        subprocess.run(["pulseaudio", "-D", "--exit-idle-time=-1"], check=True, capture_output=True)
        subprocess.run(["pactl", "info"], check=True, capture_output=True)
    sources = subprocess.run(["pactl", "list", "short", "sources"], capture_output=True, text=True).stdout
    if "hearth_mic" not in sources:
        subprocess.run(["pactl", "load-module", "module-null-sink", "sink_name=hearth_sink"], check=True,
                       capture_output=True)
        subprocess.run(["pactl", "load-module", "module-virtual-source", "source_name=hearth_mic",
                        "master=hearth_sink.monitor"], check=True, capture_output=True)
    os.environ["PULSE_SOURCE"] = "hearth_mic"
    # An idle null sink is suspended, or renders in blocks of up to 2 s, and so does its
    # monitor, the microphone: a stream that starts recording it got its first audio 0.05
    # to 2 s later, and what was said meanwhile was lost ("What is the capital..." was
    # heard as "the capital..."). A real microphone starts at once: a silent stream asking
    # for 20 ms of latency keeps this one running, in small blocks, all session.
    keeper = subprocess.Popen(["pacat", "--playback", "--device=hearth_sink", "--raw", "--format=s16le",
                               "--rate=16000", "--channels=1", "--latency-msec=20", "/dev/zero"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def play(wav: Path) -> None:
        subprocess.run(["paplay", "--device=hearth_sink", str(wav)], check=True)

    yield play
    keeper.terminate()
    keeper.wait(10)


@pytest.fixture(scope="session")
def speaker_sink(virtual_microphone) -> Iterator[SpeakerSink]:
    """Where Hearth's own sound goes in the tests that listen to it."""
    name = f"hearth_speaker_{os.getpid()}"
    module = subprocess.run(["pactl", "load-module", "module-null-sink", f"sink_name={name}"], check=True,
                            capture_output=True, text=True).stdout.strip()
    yield SpeakerSink(name)
    subprocess.run(["pactl", "unload-module", module], capture_output=True)


@pytest.fixture(scope="session")
def llama_cpp_server(starter: StarterModels) -> Iterator[str]:
    """llama-cpp-python's own OpenAI-compatible server with the starter chat model: a
    third-party engine, as a person would run it. Yields its base URL."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # llama-cpp-python loads none of llama.cpp's backend modules (abetlen/llama-cpp-python#2069),
    # and Hearth's wheel has its CPU code in them: load them as Hearth does, then run the server
    server = ("from desktop.services.engines.ggml_backends import load_backends; load_backends(); import runpy; "
              "runpy.run_module('llama_cpp.server', run_name='__main__', alter_sys=True)")
    process = subprocess.Popen(
        [sys.executable, "-c", server, "--model", str(starter.chat), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048", "--model_alias", "qwen-0.5b"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    log = ProcessLines(process.stderr)
    try:
        log.wait_for("Uvicorn running on")
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait(30)
        log.close(process.stderr)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 128 MB filesystem (tmpfs), so the disk truly fills up (or can be made
    read-only with `remount_read_only`)."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    if shutil.which("mount") is None or subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=128m", "tmpfs", str(mount)], capture_output=True
    ).returncode != 0:
        pytest.skip("mounting a tmpfs needs root; the CI machine runs the tests as root")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def remount_read_only(mount: Path) -> None:
    """Read-only for everyone, root included (file modes do not stop root)."""
    subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)


@pytest.fixture
def xserver():
    """A real X server (Xvfb) on a free display; yields the environment to run apps on it."""
    for tool in ("Xvfb", "xdotool", "xclip", "import"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed (the CI script installs it)")
    read_end, write_end = os.pipe()  # Xvfb picks a free display and writes its number here
    # -ardelay: no key autorepeat. Xvfb's autorepeat is not the XKB "detectable" kind a
    # desktop X server gives Qt, so a held key would arrive as many press/release pairs.
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1600x1000x24",
                               "-nolisten", "tcp", "-ardelay", "600000"], pass_fds=(write_end,),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    with os.fdopen(read_end) as numbers:
        display = ":" + numbers.readline().strip()
    env = dict(os.environ, DISPLAY=display)
    env.pop("QT_QPA_PLATFORM", None)
    deadline = time.monotonic() + 20
    while subprocess.run(["xdotool", "getdisplaygeometry"], env=env, capture_output=True).returncode != 0:
        assert time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.2)
    yield env
    server.terminate()
    server.wait(10)


# What makes a test slow or needs the sound system, read from the fixtures it uses:
# `pytest -m "not model and not audio"` is then the quick loop (no model is loaded).
_MODEL_FIXTURES = frozenset({"starter", "qwen_vision", "gemma", "transcriber", "cli_home", "served_hearth",
                             "llama_cpp_server", "xserver"})  # xserver: the real app, its models and all
_AUDIO_FIXTURES = frozenset({"speak", "virtual_microphone", "speaker_sink"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & _MODEL_FIXTURES:
            item.add_marker(pytest.mark.model)
        if used & _AUDIO_FIXTURES:
            item.add_marker(pytest.mark.audio)
