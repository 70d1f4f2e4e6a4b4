"""`hearth`: the command line, and the composition root for everything without a window.

Every `HearthError` becomes one line on stderr and exit status 2; an unexpected error
is one line too (the traceback only with --debug). Nothing here is imported by the
lower layers.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from desktop.core.errors import HearthError
from desktop.core.private_files import PRIVATE_UMASK
from desktop.core.safe_files import printable
from desktop.services.engines.cpp_runtime import load_llama_cpp_first

__all__ = ["load_llama_cpp_first", "main"]

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    from desktop.cli import ask_command, bench_command, doctor_command, models_command, serve_command

    parser = argparse.ArgumentParser(
        prog="hearth", description="Hearth: a private, offline assistant on your own computer."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show llama.cpp and Whisper logs")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    ask_command.register(commands)
    models_command.register(commands)
    doctor_command.register(commands)
    serve_command.register(commands)
    bench_command.register(commands)
    return parser


def configure_logging(*, verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not verbose:  # llama.cpp reports much at WARN level during a normal load, and its
        # errors (e.g. an aborted decode on cancel) come back as exceptions Hearth explains
        logging.getLogger("desktop.llama_cpp").setLevel(logging.CRITICAL)
        logging.getLogger("faster_whisper").setLevel(logging.ERROR)


def _has_display() -> bool:
    if sys.platform in ("darwin", "win32") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    load_llama_cpp_first()
    parser = build_parser()
    args = parser.parse_args(arguments)
    configure_logging(verbose=args.verbose)
    os.umask(PRIVATE_UMASK)  # everything Hearth writes (history, models, exports, logs) is the person's alone
    if args.command is None:
        if _has_display():
            from desktop.app import run_app

            return run_app()
        print("hearth: no display found; starting the terminal chat instead.", file=sys.stderr)
        args = parser.parse_args([*arguments, "chat"])
    try:
        return int(args.run(args) or 0)
    except HearthError as error:
        print(f"hearth: {printable(str(error))}", file=sys.stderr)  # names in it may hold escapes
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("hearth: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        if args.debug:
            raise
        print(f"hearth: internal error: {error!r} (run with --debug for details)", file=sys.stderr)
        return 1
