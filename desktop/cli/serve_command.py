"""`hearth serve`: the OpenAI-compatible API over the same models as the window."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from desktop.cli.context import CliContext
from desktop.core.errors import HearthError
from desktop.core.gguf_info import read_gguf_info
from desktop.services.api_server import ApiServer, check_bind_address
from desktop.services.llm_engine import LlmEngine
from desktop.services.openai_api import ApiBackend, create_api
from desktop.services.transcriber import Transcriber

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="serve an OpenAI-compatible API on this computer")
    serve.add_argument("--port", type=int, help="port (default: the settings' api_port, 8765); 0 = any free")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--expose", action="store_true", help="allow an address other computers can reach")
    serve.add_argument("--api-key", help="require this key (Authorization: Bearer); or HEARTH_API_KEY")
    serve.add_argument("--model", help="GGUF chat model (default: as in the window)")
    serve.add_argument("--mmproj", help="vision projector for --model")
    serve.add_argument("--ctx", type=int, help="context length in tokens")
    serve.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    ctx = CliContext.create()
    key = args.api_key or os.environ.get("HEARTH_API_KEY") or None
    check_bind_address(args.host, expose=args.expose, api_key=key)
    model = ctx.chat_model(args.model)
    read_gguf_info(model)  # a bad model file fails here, before anything listens
    engine = LlmEngine(ctx.engine_config(model, ctx.mmproj(model, args.mmproj), args.ctx))
    transcriber = _whisper(ctx)
    report = lambda line: print(f"hearth serve: {line}", file=sys.stderr, flush=True)  # noqa: E731
    app = create_api(ApiBackend(engine=lambda: engine, transcriber=lambda: transcriber, api_key=key, report=report))
    port = ctx.settings.api_port if args.port is None else args.port
    server = ApiServer(app, host=args.host, port=port)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stopping.set())
    try:
        address = server.start()
        info = engine.wait_ready()
        print(f"Serving {info.model_path.stem} on {address} (Ctrl+C stops)", flush=True)
        print(f'  from openai import OpenAI; client = OpenAI(base_url="{address}", api_key="{key or "none"}")',
              flush=True)
        stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        engine.close()
        if transcriber is not None:
            transcriber.close()
    return 0


def _whisper(ctx: CliContext) -> Transcriber | None:
    try:
        return Transcriber(ctx.whisper_model())
    except HearthError as error:
        print(f"hearth serve: transcription is off: {error}", file=sys.stderr)
        return None
