"""`hearth ask` (one question, streamed) and `hearth chat` (a conversation in the terminal)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from desktop.cli.context import CliContext
from desktop.core.audio import read_wav
from desktop.core.conversation import Attachment, Message
from desktop.core.engine_types import Answer
from desktop.core.errors import AudioError, EngineError, HearthError
from desktop.core.gguf_info import GgufInfo, check_pair, read_gguf_info
from desktop.core.images import load_image
from desktop.core.safe_files import printable
from desktop.core.speech_text import SpokenSentences
from desktop.services.engines.answer_stream import AnswerStream
from desktop.services.speech.speaker import Speaker
from desktop.services.speech.transcriber import Transcriber, Transcript
from desktop.services.speech.voice import find_voices, voice_problem

__all__ = ["register"]


_LONGEST_SPEECH_S = 600  # `--speak` waits at most this long for the answer to be read

def register(commands: argparse._SubParsersAction) -> None:
    ask = commands.add_parser("ask", help="ask one question and stream the answer")
    ask.add_argument("question", nargs="?", default="", help="the question (may be empty with --audio)")
    ask.add_argument("--image", action="append", default=[], metavar="PATH", help="attach an image (repeatable)")
    ask.add_argument("--audio", metavar="WAV", help="transcribe a spoken question with Whisper")
    _add_model_flags(ask)
    ask.add_argument("--json", action="store_true", help="print answer and timings as one JSON object")
    ask.add_argument("--speak", action="store_true",
                     help="read the answer aloud on the default output device (from its first sentence)")
    ask.set_defaults(run=run_ask)

    chat = commands.add_parser("chat", help="chat in the terminal (/image PATH, /reset, /quit)")
    _add_model_flags(chat)
    chat.set_defaults(run=run_chat)


def _add_model_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--system", help="system prompt (default: from settings)")
    parser.add_argument("--model", help="chat model GGUF (default: the installed one)")
    parser.add_argument("--mmproj", help="vision projector GGUF for --image")
    parser.add_argument("--ctx", type=int, help="context length in tokens")
    parser.add_argument("--temperature", type=float, help="sampling temperature (0: deterministic)")
    parser.add_argument("--max-tokens", type=int, help="longest answer in tokens")
    parser.add_argument("--seed", type=int, help="random seed for sampling")
    parser.add_argument("--remote", metavar="URL",
                        help="ask an OpenAI-compatible server instead, e.g. http://127.0.0.1:8080/v1")
    parser.add_argument("--remote-model", metavar="NAME", help="model on the --remote server (default: its first)")
    parser.add_argument("--api-key", help=argparse.SUPPRESS)  # refused: a command line is public (context.py)


def run_ask(args: argparse.Namespace) -> int:
    ctx = CliContext.create()
    # The audio first: a bad file (a FIFO, /dev/zero, a 1 Hz header) is refused in one
    # line before any model is opened; read_wav reads only bounded regular files.
    samples = read_wav(args.audio) if args.audio else None
    choice = ctx.engine(args, vision=bool(args.image))
    if choice.local is None:  # a remote engine: it checks what it can read
        images = tuple(load_image(p) for p in args.image)
        remote = choice.remote
        model_name, mmproj = (remote.model or remote.base_url) if remote else "", None
    else:
        model_info = read_gguf_info(choice.local.model_path)  # a bad model file fails here, before anything else
        mmproj = choice.local.mmproj_path
        images = _load_images(args.image, mmproj, model_info)
        model_name = choice.local.model_path.name
    question = args.question.strip()
    if not question and samples is None:
        raise EngineError("Nothing to ask: give a question, --audio WAV, or both.")

    transcript = None
    if samples is not None:
        transcriber = Transcriber(ctx.whisper_model())
        try:
            transcript = transcriber.transcribe(samples)
        finally:
            transcriber.close()
        if not transcript.text and not question:
            raise AudioError(f"No speech was heard in {Path(args.audio).name} and no question was typed.")
        question = " ".join(part for part in (question, transcript.text) if part)
        if not args.json:
            print(f"(heard: {transcript.text or '(no speech)'})", file=sys.stderr)

    note = ctx.projector_note(mmproj)
    if note and not args.json:
        print(note, file=sys.stderr)
    speaker = _speaker(ctx) if args.speak else None  # no voice: one line, before any model loads
    engine = choice.make()
    try:
        info = engine.wait_ready()
        stream = engine.ask(
            [Message.user(question, images)],
            system_prompt=ctx.settings.system_prompt if args.system is None else args.system,
            options=ctx.generation_options(
                temperature=args.temperature, max_tokens=args.max_tokens, seed=args.seed
            ),
        )
        spoken = SpokenSentences()
        if args.json:
            answer = stream.result()
            if speaker is not None:
                speaker.say(spoken.feed(answer.text))
            print(json.dumps(_as_json(answer, info.backend, model_name, question, transcript, note)))
        else:
            _print_stream(stream, on_text=(lambda text: speaker.say(spoken.feed(text))) if speaker else None)
        if speaker is not None:
            speaker.say(spoken.finish())
            speaker.wait_idle(_LONGEST_SPEECH_S)
    finally:
        engine.close()
        if speaker is not None:
            speaker.shutdown()
    return 0


def run_chat(args: argparse.Namespace) -> int:
    ctx = CliContext.create()
    choice = ctx.engine(args)
    model_info = read_gguf_info(choice.local.model_path) if choice.local else None
    mmproj = choice.local.mmproj_path if choice.local else None
    engine = choice.make()
    history: list[Message] = []
    pending: list[Attachment] = []
    system = ctx.settings.system_prompt if args.system is None else args.system
    options = ctx.generation_options(temperature=args.temperature, max_tokens=args.max_tokens, seed=args.seed)
    try:
        info = engine.wait_ready()
        print(f"Hearth chat: {printable(info.model_name)} on {info.backend}. /image PATH, /reset, /quit.",
              file=sys.stderr)
        while True:
            try:
                line = input("you> ").strip()
            except EOFError:
                print(file=sys.stderr)
                return 0
            if not line:
                continue
            if line in ("/quit", "/exit"):
                return 0
            if line == "/reset":
                history.clear()
                pending.clear()
                print("(conversation cleared)", file=sys.stderr)
                continue
            if line.startswith("/image "):
                try:
                    pending.extend(_load_images([line[7:].strip()], mmproj, model_info))
                    print(f"(image attached; {len(pending)} waiting for your next message)", file=sys.stderr)
                    note = ctx.projector_note(mmproj)
                    if note:
                        print(note, file=sys.stderr)
                except HearthError as error:
                    print(f"hearth: {printable(str(error))}", file=sys.stderr)
                continue
            history.append(Message.user(line, tuple(pending)))
            pending.clear()
            stream = engine.ask(history, system_prompt=system, options=options)
            try:
                answer = _print_stream(stream)
            except KeyboardInterrupt:
                stream.cancel()
                answer = stream.result()
                print("\n(stopped)", file=sys.stderr)
            except HearthError as error:
                history.pop()
                print(f"hearth: {printable(str(error))}", file=sys.stderr)
                continue
            history.append(Message.assistant(answer.text))
    finally:
        engine.close()


def _load_images(paths: list[str], mmproj: Path | None, model_info: GgufInfo | None) -> tuple[Attachment, ...]:
    if not paths:
        return ()
    if model_info is None:  # a remote engine: it checks what it can read
        return tuple(load_image(p) for p in paths)
    if mmproj is None:
        raise EngineError(
            "This model has no vision projector (mmproj): images need a vision model "
            "(pass --mmproj, or install one with `hearth models`)."
        )
    projector = read_gguf_info(mmproj)
    check_pair(model_info, projector)
    return tuple(load_image(p, max_side=projector.max_image_side) for p in paths)


def _speaker(ctx: CliContext) -> Speaker:
    problem = voice_problem(ctx.paths.models_dir / "voices")
    if problem:
        raise AudioError(problem)
    voices = find_voices(ctx.paths.models_dir / "voices")
    return Speaker(next((v for v in voices if v.name == ctx.settings.voice), voices[0]))


def _print_stream(stream: AnswerStream, *, on_text: Callable[[str], None] | None = None) -> Answer:
    """The answer on stdout as it comes (and to `on_text`); a reasoning model's thinking
    on stderr, so that stdout holds the answer alone."""
    thinking = False
    for part in stream.parts():
        if part.kind == "thought":
            if not thinking:
                sys.stderr.write("(thinking) ")
                thinking = True
            sys.stderr.write(part.text)
            sys.stderr.flush()
            continue
        if thinking and part.text:
            sys.stderr.write("\n(end of thinking)\n")
            sys.stderr.flush()
            thinking = False
        sys.stdout.write(part.text)
        sys.stdout.flush()
        if on_text is not None:
            on_text(part.text)
    sys.stdout.write("\n")
    sys.stdout.flush()
    return stream.result()


def _as_json(
    answer: Answer, backend: str, model: str, question: str, transcript: Transcript | None,
    note: str | None,
) -> dict[str, Any]:
    stats = asdict(answer.stats)
    stats["prefill_tps"] = answer.stats.prefill_tps
    stats["decode_tps"] = answer.stats.decode_tps
    result: dict[str, Any] = {
        "answer": answer.text,
        "reasoning": answer.reasoning,  # a reasoning model's thinking ("" for others)
        "thinking_s": answer.thinking_s,
        "question": question,
        "model": model,
        "backend": backend,
        "stats": stats,
    }
    if transcript is not None:
        result["transcript"] = {
            "text": transcript.text,
            "language": transcript.language,
            "audio_s": transcript.audio_s,
            "transcribe_s": transcript.transcribe_s,
        }
    if note:
        result["note"] = note
    return result
