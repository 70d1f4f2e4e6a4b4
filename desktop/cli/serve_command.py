"""`hearth serve`: the OpenAI-compatible API over the same models as the window.

The API key never goes on the command line (every user of the computer can read a
process's arguments): it comes from HEARTH_API_KEY or a private file, or, when the API
is exposed without one, a key is made and shown once on stderr. The banner never
repeats a key.
"""

from __future__ import annotations

import argparse
import os
import signal
import stat
import sys
import threading
from pathlib import Path

from desktop.cli.context import CliContext
from desktop.core.api_policy import new_api_key
from desktop.core.errors import HearthError
from desktop.core.gguf_info import read_gguf_info
from desktop.services.engines.llm_engine import LlmEngine
from desktop.services.speech.transcriber import Transcriber

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="serve an OpenAI-compatible API on this computer")
    serve.add_argument("--port", type=int, help="port (default: the settings' api_port, 8765); 0 = any free")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--expose", action="store_true", help="allow an address other computers can reach")
    serve.add_argument("--api-key-file", metavar="PATH",
                       help="require the key in this file (mode 600); or set HEARTH_API_KEY")
    serve.add_argument("--api-key", help=argparse.SUPPRESS)  # refused: see _api_key
    serve.add_argument("--model", help="GGUF chat model (default: as in the window)")
    serve.add_argument("--mmproj", help="vision projector for --model")
    serve.add_argument("--ctx", type=int, help="context length in tokens")
    serve.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    # FastAPI and uvicorn are imported here: every `hearth` start (the window's too) builds this parser
    from desktop.services.api.api_server import ApiServer, accepted_hosts, check_bind_address, is_loopback
    from desktop.services.api.openai_api import ApiBackend, create_api

    key = _api_key(args)
    made = key is None and args.expose and not is_loopback(args.host)
    if made:
        key = new_api_key()
    check_bind_address(args.host, expose=args.expose, api_key=key)
    ctx = CliContext.create()
    config = ctx.local_engine(args)  # serves this computer's llama.cpp, whatever remote engine the window uses
    read_gguf_info(config.model_path)  # a bad model file fails here, before anything listens
    engine = LlmEngine(config)
    transcriber = _whisper(ctx)
    report = lambda line: print(f"hearth serve: {line}", file=sys.stderr, flush=True)  # noqa: E731
    hosts, any_address = accepted_hosts(args.host)
    app = create_api(ApiBackend(engine=lambda: engine, transcriber=lambda: transcriber, api_key=key, report=report,
                                hosts=hosts, any_address=any_address))
    port = ctx.settings.api_port if args.port is None else args.port
    server = ApiServer(app, host=args.host, port=port)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stopping.set())
    try:
        address = server.start()
        info = engine.wait_ready()
        if made:
            print(f"hearth serve: no API key was given, so this run made one (shown only now): {key}",
                  file=sys.stderr, flush=True)
        print(f"Serving {info.model_path.stem} on {address} (Ctrl+C stops)", flush=True)
        secret = 'os.environ["HEARTH_API_KEY"]' if key else '"none"'
        imports = "import os; from openai import OpenAI" if key else "from openai import OpenAI"
        print(f'  {imports}; client = OpenAI(base_url="{address}", api_key={secret})', flush=True)
        stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        engine.close()
        if transcriber is not None:
            transcriber.close()
    return 0


def _api_key(args: argparse.Namespace) -> str | None:
    """--api-key-file, else HEARTH_API_KEY, else None."""
    if args.api_key is not None:
        raise HearthError("--api-key is refused: every user of this computer can read a command line. "
                          "Set HEARTH_API_KEY, or put the key in a file only you can read and pass --api-key-file.")
    if args.api_key_file:
        return _checked_key(_read_private(Path(args.api_key_file)), f"The key in {args.api_key_file}")
    key = os.environ.get("HEARTH_API_KEY") or None
    return None if key is None else _checked_key(key, "HEARTH_API_KEY")


def _read_private(path: Path) -> str:
    """A small regular file that only its owner can read (no FIFO, device or shared file)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as error:
        raise HearthError(f"Cannot read the API key file {path}: {error.strerror}.") from error
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise HearthError(f"The API key file {path} is not a regular file.")
        if mode & 0o077:
            raise HearthError(f"The API key file {path} can be read by other users (mode "
                              f"{stat.S_IMODE(mode):o}); run `chmod 600 {path}` first.")
        data = os.read(fd, 4097)
    finally:
        os.close(fd)
    if len(data) > 4096:
        raise HearthError(f"The API key file {path} is too long for a key.")
    return data.decode("utf-8", errors="replace").strip()


def _checked_key(key: str, where: str) -> str:
    if not key or not key.isascii() or not key.isprintable() or " " in key:
        raise HearthError(f"{where} is not usable as an API key: use printable ASCII without spaces.")
    return key


def _whisper(ctx: CliContext) -> Transcriber | None:
    try:
        return Transcriber(ctx.whisper_model())
    except HearthError as error:
        print(f"hearth serve: transcription is off: {error}", file=sys.stderr)
        return None
