"""`hearth bench`: measure this machine, Hearth against raw llama.cpp in the same run."""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from desktop.cli.context import CliContext
from desktop.core.audio import read_wav
from desktop.core.errors import HearthError
from desktop.core.images import normalise_image
from desktop.core.word_errors import word_error_rate
from desktop.services.bench.benchmark import measure_engine, measure_images, measure_speech
from desktop.services.bench.native_llama_bench import build_native_bench, native_bench_binary
from desktop.services.engines.llama_runtime import backend_info
from desktop.services.models.hardware import detect_hardware

__all__ = ["register"]

_SENTENCE = ("Please remind me to water the tomatoes tomorrow morning, and then tell me "
             "what the weather will be like in London this weekend.")


def register(commands: argparse._SubParsersAction) -> None:
    bench = commands.add_parser("bench", help="measure speed on this machine against raw llama.cpp")
    bench.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    bench.add_argument("--quick", action="store_true", help="one repetition, fewer tokens (a smoke run)")
    bench.add_argument("--audio", metavar="WAV", help="speech to time Whisper and push-to-talk on (default: espeak-ng)")
    bench.add_argument("--audio-text", metavar="TEXT",
                       help="what the --audio recording says, for the word error rate (default: compare the "
                            "push-to-talk text with the whole clip transcribed at once)")
    bench.add_argument("--voice-only", action="store_true", help="measure Whisper and push-to-talk only")
    bench.add_argument("--build-native", action="store_true",
                       help="first build llama.cpp's llama-bench for this CPU (downloads its source; "
                            "minutes, once), the peer the engine is compared with")
    bench.set_defaults(run=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    from desktop.app.gui_bench import gui_application, measure_cold_start, measure_stalls
    from desktop.app.window_bench import measure_window
    from desktop.services.engines.llm_engine import LlmEngine

    ctx = CliContext.create()
    application = gui_application()  # kept for the whole run: the window and the dictation need it
    whisper = _optional(ctx.whisper_model)
    say = (lambda line: None) if args.json else (lambda line: print(line, file=sys.stderr, flush=True))
    if args.voice_only:
        if whisper is None:
            raise HearthError("No Whisper model is installed: run `hearth models install-starter`.")
        voice = _voice(whisper, args, say)
        if voice is None:
            raise HearthError("No speech to measure: pass --audio WAV (or install espeak-ng).")
        figures = {"machine": _machine(), "command": "hearth bench --voice-only", "speech": voice[0]}
        print(json.dumps(figures, indent=2) if args.json else _voice_table(figures))
        return 0
    config = ctx.local_engine()
    model, mmproj = config.model_path, config.mmproj_path
    figures: dict[str, Any] = {"model": model.name, "machine": _machine(), "command": "hearth bench"}

    say("peak memory of a turn with an image…")
    figures["memory"] = _peak_rss(model, mmproj)
    native = _native_bench(args.build_native, say)
    say("engine against native llama-bench and raw llama.cpp (interleaved)…" if native else
        "engine against raw llama.cpp (interleaved)…")
    engine = measure_engine(model, repetitions=1 if args.quick else 3, decode_tokens=24 if args.quick else 64,
                            gpu=ctx.settings.gpu_offload, native=native)
    figures["prefill_tps"] = _ratio(engine.hearth_prefill_tps, engine.raw_prefill_tps, engine.native_prefill_tps)
    figures["decode_tps"] = _ratio(engine.hearth_decode_tps, engine.raw_decode_tps, engine.native_decode_tps)
    figures["prompt_tokens"], figures["decode_tokens"] = engine.prompt_tokens, engine.decode_tokens
    if mmproj is not None:
        say("image question and follow-up…")
        image = _test_image()
        images = measure_images(model, mmproj, image, gpu=ctx.settings.gpu_offload)
        figures["image"] = {
            "first_ttft_s": images.first_ttft_s, "follow_up_ttft_s": images.follow_up_ttft_s,
            "follow_up_share": images.follow_up_ttft_s / images.first_ttft_s, "target_share": 0.10,
            "at_once_ttft_s": images.at_once_ttft_s, "at_once_share": images.at_once_ttft_s / images.first_ttft_s,
            "image_tokens": images.image_tokens, "encode_s": images.encode_s,
        }
    voice = _voice(whisper, args, say) if whisper is not None else None
    transcribing = None
    if voice is not None:
        figures["speech"], transcribing = voice
    say("GUI thread while an answer streams…")
    with tempfile.TemporaryDirectory() as scratch:
        gui_engine = LlmEngine(replace(config, mmproj_path=None))
        try:
            streaming = measure_stalls(gui_engine, Path(scratch) / "bench.sqlite3")
        finally:
            gui_engine.close()
    figures["gui_stall_ms"] = {"while_streaming": vars(streaming), "target_p99_ms": 16.0,
                               "while_dictating": vars(transcribing) if transcribing else None}
    say("opening a 1,000-message conversation, rendering a streamed answer…")
    with tempfile.TemporaryDirectory() as scratch:
        window = measure_window(Path(scratch), messages=1000, answer_kb=6 if args.quick else 18)
    figures["window"] = {"open_messages": window.open_messages, "open_ms": window.open_ms, "target_open_ms": 300.0,
                         "stream_kb": window.stream_kb, "stream_ms_per_kb": window.stream_ms_per_kb}
    say("cold start…")
    figures["cold_start_s"] = {"seconds": measure_cold_start(runs=1 if args.quick else 3), "target_s": 1.5}
    application.processEvents()
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        _print_table(figures)
    return 0


def _voice(whisper: Path, args: argparse.Namespace, say: Any) -> tuple[dict[str, Any], Any] | None:
    """Whisper on the whole clip, then push-to-talk through the real dictation pipeline
    with the clip replayed in real time; the word error rate of both against the
    reference (the text given, the espeak-ng sentence, or else the whole-clip text)."""
    from desktop.app.gui_bench import measure_dictation

    speech = _speech(args.audio)
    if speech is None:
        return None
    say("Whisper, and push-to-talk through the real dictation pipeline…")
    heard = measure_speech(whisper, speech)
    dictated = measure_dictation(whisper, speech, runs=1 if args.quick else 3)
    reference, against = ((args.audio_text, "the text given") if args.audio_text
                          else (_SENTENCE, "the spoken sentence") if not args.audio
                          else (heard.text, "the whole-clip transcript"))
    figures = {"whisper": whisper.name, "audio_s": heard.audio_s,
               "real_time_factor": heard.transcribe_s / heard.audio_s,
               "release_to_text_s": dictated.release_to_text_s, "target_release_to_text_s": 0.3,
               "release_to_text_runs_s": list(dictated.release_to_text_all_s), "replay_speed": 1.0,
               "final_read_s": dictated.final_read_s, "read_before_close": dictated.read_before_close,
               "passes": dictated.passes,
               "heard": dictated.text, "whole_clip": heard.text,
               "wer": {"push_to_talk": word_error_rate(reference, dictated.text),
                       "whole_clip": word_error_rate(reference, heard.text), "against": against}}
    return figures, dictated.stalls


def _voice_rows(speech: dict[str, Any]) -> list[tuple[str, str, str]]:
    runs = speech["release_to_text_runs_s"]
    spread = f"median of {len(runs)}, {min(runs) * 1000:.0f}-{max(runs) * 1000:.0f} ms; " if len(runs) > 1 else ""
    wer = speech["wer"]
    return [
        ("Whisper real-time factor", f"{speech['real_time_factor']:.2f} ({speech['whisper']})", ""),
        ("push-to-talk release to text", f"{speech['release_to_text_s'] * 1000:.0f} ms after {speech['audio_s']:.1f} s "
         f"of speech ({spread}1x replay; last read {speech['final_read_s']:.1f} s, made before the microphone "
         f"closed in {speech['read_before_close']} of {len(runs)})", "≤ 300 ms"),
        ("push-to-talk word error rate", f"{wer['push_to_talk']:.1%} (whole clip at once: {wer['whole_clip']:.1%}; "
         f"against {wer['against']})", "≤ whole clip"),
    ]


def _voice_table(f: dict[str, Any]) -> str:
    rows = _voice_rows(f["speech"])
    width = max(len(r[0]) for r in rows)
    lines = [f"hearth bench --voice-only on {f['machine']['description']} ({f['machine']['cpu']}, "
             f"{f['machine']['cores']} cores)"]
    lines += [f"  {name:<{width}}  {value:<52} {target}" for name, value, target in rows]
    lines.append(f"  heard: {f['speech']['heard']}")
    return "\n".join(lines)


def _ratio(hearth: float, raw: float, native: float | None) -> dict[str, float | None]:
    """Hearth against the best peer measured: native llama-bench when built, else raw."""
    return {"hearth": hearth, "raw": raw, "raw_ratio": hearth / raw if raw else 0.0, "native": native,
            "native_ratio": hearth / native if native else None, "target_ratio": 0.97}


def _native_bench(build: bool, say: Any) -> Path | None:
    binary = native_bench_binary()
    if build and not binary.exists():
        say(f"building llama-bench for this CPU into {binary.parent} (once; several minutes)…")
        build_native_bench(binary, log=binary.parent.with_name(binary.parent.name + ".log"))
    if binary.exists():
        return binary
    say("no native llama-bench yet: only the portable build is compared (`hearth bench --build-native`)")
    return None


def _machine() -> dict[str, Any]:
    hardware = detect_hardware()
    return {"description": hardware.describe(), "cpu": platform.processor() or platform.machine(),
            "cores": __import__("os").cpu_count(), "backend": hardware.backend, "python": platform.python_version(),
            "cpu_kernels": backend_info().cpu_kernels}


def _optional(find: Any) -> Path | None:
    try:
        return find()
    except HearthError:
        return None


def _test_image() -> Any:
    rng = np.random.default_rng(7)
    picture = Image.fromarray(rng.integers(0, 255, (480, 640, 3), dtype=np.uint8))
    from io import BytesIO

    buffer = BytesIO()
    picture.save(buffer, format="PNG")
    return normalise_image(buffer.getvalue(), name="bench.png")


def _speech(path: str | None) -> np.ndarray | None:
    if path:
        return read_wav(path)
    if shutil.which("espeak-ng") is None:
        return None
    with tempfile.TemporaryDirectory() as scratch:
        wav = Path(scratch) / "speech.wav"
        subprocess.run(["espeak-ng", "-s", "150", "-w", str(wav), _SENTENCE], check=True, capture_output=True)
        return read_wav(wav)


def _peak_rss(model: Path, mmproj: Path | None) -> dict[str, float]:
    """Peak RSS of `hearth ask` answering about an image, against the model files' size."""
    with tempfile.TemporaryDirectory() as scratch:
        picture = Path(scratch) / "bench.png"
        Image.fromarray(np.random.default_rng(3).integers(0, 255, (480, 640, 3), dtype=np.uint8)).save(picture)
        command = [str(Path(sys.executable).with_name("hearth")), "ask", "--max-tokens", "16", "--json",
                   "Describe this picture."]
        if mmproj is not None:
            command += ["--image", str(picture)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        subprocess.run(command, check=True, capture_output=True, timeout=600)
        peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) * 1024
    files = model.stat().st_size + (mmproj.stat().st_size if mmproj else 0)
    return {"peak_rss_mb": peak / 2**20, "model_files_mb": files / 2**20,
            "over_files_mb": (peak - files) / 2**20, "target_over_files_mb": 400.0}


def _print_table(f: dict[str, Any]) -> None:
    rows: list[tuple[str, str, str]] = []

    def ratio_row(name: str, figure: dict[str, Any]) -> None:
        raw = f"raw {figure['raw']:.1f} = {figure['raw_ratio']:.2f}×"
        if figure["native"]:
            rows.append((name, f"{figure['hearth']:.1f} tok/s vs native llama-bench {figure['native']:.1f} = "
                         f"{figure['native_ratio']:.2f}× ({raw})", f"≥ {figure['target_ratio']:.2f}× native"))
        else:
            rows.append((name, f"{figure['hearth']:.1f} tok/s vs {raw} (portable build; no native peer)",
                         f"≥ {figure['target_ratio']:.2f}× native"))

    ratio_row("prefill", f["prefill_tps"])
    ratio_row("decode", f["decode_tps"])
    if "image" in f:
        image = f["image"]
        rows.append(("image TTFT first / follow-up",
                     f"{image['first_ttft_s']:.2f} s / {image['follow_up_ttft_s']:.2f} s = "
                     f"{image['follow_up_share']:.0%}", "≤ 10%"))
        rows.append(("  follow-up typed ahead (asked at once)",
                     f"{image['at_once_ttft_s']:.2f} s = {image['at_once_share']:.0%}", ""))
    if "speech" in f:
        rows += _voice_rows(f["speech"])
    stall = f["gui_stall_ms"]
    rows.append(("GUI stall while streaming", f"p50 {stall['while_streaming']['p50_ms']:.1f} ms, "
                 f"p99 {stall['while_streaming']['p99_ms']:.1f} ms", "p99 ≤ 16 ms"))
    if stall["while_dictating"]:
        rows.append(("GUI stall while dictating", f"p50 {stall['while_dictating']['p50_ms']:.1f} ms, "
                     f"p99 {stall['while_dictating']['p99_ms']:.1f} ms", "p99 ≤ 16 ms"))
    window = f["window"]
    rows.append((f"open {window['open_messages']:,} messages", f"{window['open_ms']:.0f} ms to the newest, drawn",
                 "≤ 300 ms"))
    rows.append(("render a streamed answer", f"{window['stream_ms_per_kb']:.1f} ms of GUI time per KB "
                 f"({window['stream_kb']:.0f} KB, code-heavy)", ""))
    rows.append(("cold start to window", f"{f['cold_start_s']['seconds']:.2f} s", "≤ 1.5 s"))
    memory = f["memory"]
    rows.append(("peak RSS over model files", f"{memory['peak_rss_mb']:.0f} MB - {memory['model_files_mb']:.0f} MB"
                 f" = {memory['over_files_mb']:.0f} MB", "≤ 400 MB"))
    print(f"hearth bench: {f['model']} on {f['machine']['description']} ({f['machine']['cpu']}, "
          f"{f['machine']['cores']} cores; CPU kernels {f['machine']['cpu_kernels']})")
    width = max(len(r[0]) for r in rows)
    for name, value, target in rows:
        print(f"  {name:<{width}}  {value:<52} {target}")
