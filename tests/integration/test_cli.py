"""The real `hearth` console script in a subprocess, as a person runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tests_helpers import THINK_FIRST


def one_clear_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1, stderr
    assert lines[0].startswith("hearth: ")
    return lines[0]


def test_ask_capital_of_france(run_hearth, cli_home):
    result = run_hearth("ask", "What is the capital of France? Answer with one word.", "--temperature", "0")
    assert result.returncode == 0, result.stderr
    assert "paris" in result.stdout.lower()
    assert result.stderr.strip() == ""  # llama.cpp's logs are routed away from the terminal


def test_ask_json_reports_answer_and_timings(run_hearth, cli_home):
    result = run_hearth("ask", "What is 2 + 2? Answer with a number.", "--temperature", "0", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert "4" in data["answer"]
    assert data["backend"] == "CPU"
    for key in ("ttft_s", "prefill_tps", "decode_tps", "prompt_tokens", "completion_tokens",
                "image_encode_s", "finish_reason"):
        assert key in data["stats"]
    assert data["stats"]["ttft_s"] > 0


def test_ask_keeps_a_reasoning_answer_s_thinking_apart(run_hearth, cli_home):
    """--json has the thinking apart; in the terminal it goes to stderr, so stdout holds
    the answer alone."""
    question = ("ask", "What is 7 times 6?", "--system", THINK_FIRST, "--temperature", "0", "--max-tokens", "80")
    data = json.loads(run_hearth(*question, "--json").stdout)
    assert "42" in data["reasoning"] and "think>" not in data["answer"] and data["thinking_s"] > 0
    shown = run_hearth(*question)
    assert shown.stdout.strip() == data["answer"].strip()
    assert data["reasoning"].strip() in shown.stderr


def test_ask_spoken_question(run_hearth, cli_home, speak):
    wav = speak("What is the capital of France? Answer with one word.", name="question.wav")
    result = run_hearth("ask", "--audio", str(wav), "--temperature", "0", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert "capital of france" in data["transcript"]["text"].lower()
    assert "paris" in data["answer"].lower()


def test_ask_typed_and_spoken_together(run_hearth, cli_home, speak):
    wav = speak("Answer with one word.", name="suffix.wav")
    result = run_hearth("ask", "What is the capital of Spain?", "--audio", str(wav), "--temperature", "0", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["question"].startswith("What is the capital of Spain?")
    assert "madrid" in data["answer"].lower()


def test_ask_with_image_reports_image_tokens(run_hearth, cli_home, tmp_path):
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (800, 600), (30, 120, 200)).save(path)
    result = run_hearth("ask", "What is in this picture?", "--image", str(path), "--json", "--max-tokens", "8")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["stats"]["image_count"] == 1
    assert data["stats"]["image_tokens"] == 196
    assert data["stats"]["image_encode_s"] > 0
    assert "meaningless" in data["note"]


def test_image_note_is_said_plainly(run_hearth, cli_home, tmp_path):
    path = tmp_path / "p.png"
    Image.new("RGB", (50, 50)).save(path)
    result = run_hearth("ask", "What is it?", "--image", str(path), "--max-tokens", "4")
    assert result.returncode == 0, result.stderr
    assert "random-weight" in result.stderr and "meaningless" in result.stderr


def write_silence(path, seconds=3.0, rate=16000):
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.zeros(int(seconds * rate), dtype="<i2").tobytes())
    return path


def bad_inputs(tmp_path, starter):
    text_png = tmp_path / "notes.png"
    text_png.write_text("not an image")
    broken = tmp_path / "broken.jpg"
    Image.effect_noise((300, 300), 40).convert("RGB").save(tmp_path / "full.jpg")
    broken.write_bytes((tmp_path / "full.jpg").read_bytes()[:400])
    truncated = tmp_path / "truncated.gguf"
    with starter.plumbing.open("rb") as src:
        truncated.write_bytes(src.read(5_000_000))
    not_gguf = tmp_path / "model.gguf"
    not_gguf.write_text("hello")
    empty_wav = tmp_path / "empty.wav"
    empty_wav.write_bytes(b"")
    garbage_wav = tmp_path / "garbage.wav"
    garbage_wav.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage")
    good = tmp_path / "good.png"
    Image.new("RGB", (10, 10)).save(good)
    return {
        "missing image": (["ask", "hi", "--image", str(tmp_path / "none.png")], "not found"),
        "text named .png": (["ask", "hi", "--image", str(text_png)], "not an image"),
        "broken image": (["ask", "hi", "--image", str(broken)], "damaged or truncated"),
        "truncated model": (["ask", "hi", "--model", str(truncated)], "truncated"),
        "not a gguf": (["ask", "hi", "--model", str(not_gguf)], "not a GGUF"),
        "wrong mmproj": (["ask", "hi", "--image", str(good), "--mmproj", str(starter.plumbing)], "not a projector"),
        "empty wav": (["ask", "--audio", str(empty_wav)], "empty"),
        "unreadable wav": (["ask", "--audio", str(garbage_wav)], "not a PCM WAV"),
        "silent wav, no question": (["ask", "--audio", str(write_silence(tmp_path / "s.wav"))], "No speech was heard"),
        "nothing to ask": (["ask"], "Nothing to ask"),
    }


@pytest.mark.parametrize(
    "case",
    ["missing image", "text named .png", "broken image", "truncated model", "not a gguf",
     "wrong mmproj", "empty wav", "unreadable wav", "silent wav, no question", "nothing to ask"],
)
def test_bad_input_is_one_clear_line_and_exit_2(run_hearth, cli_home, tmp_path, starter, case):
    args, expected = bad_inputs(tmp_path, starter)[case]
    result = run_hearth(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert expected in one_clear_line(result.stderr)
    assert result.stdout == ""


@pytest.mark.parametrize("case", ["FIFO", "/dev/zero", "1 Hz header", "escapes in the name"])
def test_audio_is_bounded_one_line_and_exit_2(run_hearth, cli_home, tmp_path, case):
    """Today's main blocked for ever on a FIFO, read /dev/zero without end and died of a
    119 GiB allocation ("internal error: MemoryError") on a WAV claiming 1 Hz."""
    (cli_home / "config").chmod(0o700)  # owner-only, as Hearth makes it: no warning line about modes
    (cli_home / "config" / "settings.json").chmod(0o600)
    path = tmp_path / ("pipe\n\x1b[31m.wav" if case == "escapes in the name" else "question.wav")
    if case in ("FIFO", "escapes in the name"):
        os.mkfifo(path)
    elif case == "/dev/zero":
        path = Path("/dev/zero")
    else:
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(1)
            wav.writeframes(bytes(2_000_000))
    result = run_hearth("ask", "--audio", str(path), timeout=60)
    assert result.returncode == 2, (result.stdout, result.stderr)
    line = one_clear_line(result.stderr)
    expected = {"FIFO": "question.wav is a named pipe (FIFO), not a WAV file.",
                "/dev/zero": "zero is a device, not a WAV file.",
                "1 Hz header": "question.wav claims a sample rate of 1 Hz",
                "escapes in the name": "pipe\\n\\x1b[31m.wav is a named pipe"}[case]
    assert expected in line and "\x1b" not in result.stderr
    assert result.stdout == ""


def test_mmproj_for_another_model_is_refused(run_hearth, cli_home, tmp_path, starter):
    from desktop.services.models.projector_factory import write_test_projector

    other = write_test_projector(tmp_path / "p640.gguf", text_width=640)
    image = tmp_path / "i.png"
    Image.new("RGB", (10, 10)).save(image)
    result = run_hearth("ask", "hi", "--image", str(image), "--mmproj", str(other))
    assert result.returncode == 2
    assert "does not belong" in one_clear_line(result.stderr)


def test_chat_keeps_the_conversation(run_hearth, cli_home):
    script = "My favourite colour is green. Reply with OK.\nWhat is my favourite colour? Answer with one word.\n/quit\n"
    result = run_hearth("chat", "--temperature", "0", "--max-tokens", "16", stdin=script)
    assert result.returncode == 0, result.stderr
    answers = result.stdout.lower().split("you>")  # prompt, answer 1, answer 2, final prompt
    assert "green" in answers[2], result.stdout


def test_models_lists_installed_models(run_hearth, starter, isolated_home):
    environment_models = isolated_home / "data" / "models"
    environment_models.parent.mkdir(parents=True)
    environment_models.symlink_to(starter.folder, target_is_directory=True)
    result = run_hearth("models")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in (starter.chat.name, starter.whisper.name, starter.mmproj.name):
        assert name in result.stdout
    assert "FAILED" not in result.stdout


def test_doctor_passes_then_names_a_damaged_model(run_hearth, starter, isolated_home, tmp_path):
    models = isolated_home / "data" / "models"
    models.mkdir(parents=True)
    for entry in starter.folder.iterdir():
        if entry.name.endswith(".part"):
            continue
        (models / entry.name).symlink_to(entry)
    (models / "installed.json").unlink()
    (models / "installed.json").write_text((starter.folder / "installed.json").read_text())
    result = run_hearth("doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "backend      CPU" in result.stdout
    kernels = next(line for line in result.stdout.splitlines() if line.startswith("cpu kernels  "))
    assert "variant(s) this CPU can run" in kernels or "one portable build" in kernels  # per-CPU modules, or one
    assert "sha256 ok" in result.stdout
    assert "all checks passed" in result.stdout

    projector = models / starter.mmproj.name
    projector.unlink()
    damaged = starter.mmproj.read_bytes()
    middle = len(damaged) // 2
    projector.write_bytes(damaged[:middle] + bytes(255 - b for b in damaged[middle : middle + 64]) + damaged[middle + 64 :])
    result = run_hearth("doctor")
    assert result.returncode == 1
    assert f"problem: {starter.mmproj.name}: {starter.mmproj.name} fails its sha256 check." in result.stderr


def test_llama_cpp_loads_before_numpy():
    """`hearth` loads llama.cpp's libraries before anything loads numpy's: in the other
    order a CUDA build crashed in llama_model_load (seen on an H100, CUDA 13, GCC 13;
    the crash cannot happen on this CPU build, so the order itself is checked)."""
    script = (
        "import sys\n"
        "from desktop.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "order = list(sys.modules)\n"
        "print(order.index('llama_cpp.llama_cpp'), order.index('numpy'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    llama_position, numpy_position = map(int, done.stdout.split()[-2:])
    assert llama_position < numpy_position


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="only ELF's flat symbol lookup lets one library bind to another's libstdc++ copies: "
                           "macOS (two-level names) and Windows (per-DLL imports) have no such crash to prevent")
def test_the_cpp_runtime_is_global_before_llama_cpp_loads():
    """A CUDA wheel built on the H100 machine exports its own copies of libstdc++ code,
    and libllama's C++ calls bound to them crashed model loading there (CPU and GPU
    alike). `hearth` puts the real libstdc++ in the global symbol scope first, so every
    lookup finds it. Checked here by a lookup in that scope (RTLD_DEFAULT) after start."""
    script = (
        "import ctypes, sys\n"
        "from desktop.cli import load_llama_cpp_first\n"
        "load_llama_cpp_first()\n"
        "scope = ctypes.CDLL(None)\n"
        "print(hasattr(scope, '_ZNSo9_M_insertIlEERSoT_'))\n"  # std::ostream::_M_insert<long>
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "True"
