"""Helpers shared by tests (not a test module)."""

from __future__ import annotations

import contextlib
import logging
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from desktop.core.word_errors import word_error_rate


class HubServer:
    """A loopback HTTP server that answers as the Hugging Face hub does for
    `hf_hub_download`: HEAD and GET on /{repo}/resolve/{revision}/{file}, with
    X-Repo-Commit, ETag/X-Linked-Etag (the sha256) and X-Linked-Size, and Range (206).

    `drop_after` cuts the connection after that many bytes of the next GET (once);
    `down` answers every request with 503 (a hub that is down), and `down_after_drop`
    sets it when the connection is cut (a network that went away mid-file);
    `corrupt` announces the right size and sha256 but serves other bytes.

    It also answers the two listing calls of the hub's API as the hub does:
    /api/models?search=… (repos whose id holds every word; `tags` give their licence) and
    /api/models/{repo}/tree/main?recursive=true (files with size, and `lfs` with the
    sha256 for .gguf files). `slow_s` delays those answers (a slow hub).
    """

    def __init__(self, files: dict[str, bytes]) -> None:
        import hashlib
        import http.server
        import threading

        self.files = files  # "owner/repo/filename" -> bytes
        self.drop_after: int | None = None
        self.down = False
        self.down_after_drop = False
        self.corrupt = False
        self.slow_s = 0.0
        self.requests: list[tuple[str, str, str]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args) -> None:
                pass

            def _lookup(self):
                parts = self.path.split("?")[0].strip("/").split("/")
                if len(parts) < 5 or parts[2] != "resolve":
                    return None, None
                key = "/".join([parts[0], parts[1], *parts[4:]])
                return key, server.files.get(key)

            def _headers(self, data: bytes, status: int, start: int = 0) -> None:
                digest = hashlib.sha256(data).hexdigest()
                self.send_response(status)
                self.send_header("X-Repo-Commit", "a" * 40)
                self.send_header("ETag", f'"{digest}"')
                self.send_header("X-Linked-Etag", f'"{digest}"')
                self.send_header("X-Linked-Size", str(len(data)))
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(len(data) - start))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.end_headers()

            def _empty(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _refused(self, data: bytes | None) -> bool:
                """Answer 503 when the hub is down, 404 for a missing file."""
                if server.down or data is None:
                    self._empty(503 if server.down else 404)
                    return True
                return False

            def do_HEAD(self) -> None:
                key, data = self._lookup()
                server.requests.append(("HEAD", key or self.path, self.headers.get("Range", "")))
                if not self._refused(data):
                    self._headers(data, 200)

            def _api(self) -> None:
                import json
                import time
                from urllib.parse import parse_qs, urlsplit

                time.sleep(server.slow_s)
                url = urlsplit(self.path)
                repos = sorted({"/".join(key.split("/")[:2]) for key in server.files})
                if url.path == "/api/models":
                    words = parse_qs(url.query).get("search", [""])[0].lower().split()
                    answer = [{"id": r, "downloads": 1000 - i, "likes": i, "tags": ["gguf", "license:apache-2.0"]}
                              for i, r in enumerate(repos) if all(w in r.lower() for w in words)]
                else:
                    parts = url.path.split("/")  # /api/models/owner/repo/tree/main
                    repo = "/".join(parts[3:5])
                    if repo not in repos or parts[5:7] != ["tree", "main"]:
                        self._empty(404)
                        return
                    answer = []
                    for key, data in server.files.items():
                        if key.startswith(repo + "/"):
                            item = {"type": "file", "path": key[len(repo) + 1:], "size": len(data), "oid": "0" * 40}
                            if key.endswith(".gguf"):
                                item["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data)}
                            answer.append(item)
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path.startswith("/api/"):
                    server.requests.append(("GET", self.path, ""))
                    if server.down:
                        self._empty(503)
                    else:
                        self._api()
                    return
                key, data = self._lookup()
                ranged = self.headers.get("Range", "")
                server.requests.append(("GET", key or self.path, ranged))
                if self._refused(data):
                    return
                start = int(ranged.split("=")[1].split("-")[0]) if ranged.startswith("bytes=") else 0
                self._headers(data, 206 if start else 200, start)
                body = data[start:]
                if server.corrupt:
                    body = bytes(255 - b for b in body[:64]) + body[64:]
                if server.drop_after is not None:
                    cut, server.drop_after = server.drop_after, None
                    server.down = server.down_after_drop
                    self.wfile.write(body[:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda *_args: None  # a client that hung up is expected here
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="test-hub", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


def write_tiny_language_model(path, *, arch: str = "qwen2", width: int = 640, name: str = "Tiny test model"):
    """A small but whole GGUF language-model file (header and tensors) for the model
    manager's checks. Its weights are zeros: it is never meant to be loaded."""
    from gguf import GGUFWriter

    writer = GGUFWriter(str(path), arch=arch)
    writer.add_name(name)
    writer.add_uint32(f"{arch}.embedding_length", width)
    writer.add_uint32(f"{arch}.context_length", 2048)
    writer.add_uint32(f"{arch}.block_count", 1)
    writer.add_tensor("token_embd.weight", np.zeros((64, width), dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return Path(path)


def write_test_catalog(path, entries: list[dict]) -> None:
    """A catalog.toml with `entries` (dicts of catalog fields), written as TOML."""
    import json

    lines = []
    for entry in entries:
        lines.append("[[model]]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in entry.items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


class ProcessLines:
    """Collects a subprocess's output lines on a thread; `wait_for(text)` blocks (on a
    condition, not by polling) until a line containing `text` arrives."""

    def __init__(self, stream) -> None:
        import threading

        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), name="test-output", daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self.lines.append("<EOF>")
            self._changed.notify_all()

    def close(self, stream) -> None:
        """After the process ended: wait for the last line, then close the pipe."""
        self._thread.join(30)
        stream.close()

    def wait_for(self, text: str, timeout: float = 120) -> str:
        def found():
            return next((line for line in self.lines if text in line or line == "<EOF>"), None)

        with self._changed:
            line = self._changed.wait_for(found, timeout)
        if line is None or line == "<EOF>":
            raise AssertionError(f"{text!r} never appeared; output so far: {self.lines[-20:]}")
        return line


def wait_for(condition, timeout: float, what: str):
    """Poll `condition` (another process's state: a window, a file) until it is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


def assistant_answers(database: Path) -> list[str]:
    """The answers saved in a history database, oldest first ([] before it exists)."""
    if not database.exists():
        return []
    with sqlite3.connect(database) as db:
        return [row[0] for row in db.execute("SELECT text FROM messages WHERE role = 'assistant' ORDER BY id")]


@contextlib.contextmanager
def started_process(command: list[str], *, env: dict, log: Path) -> Iterator[subprocess.Popen]:
    """Run `command` with its output in `log`; kill it on the way out if it is still running."""
    with log.open("w") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def visible_window(env: dict, pattern: str) -> str | None:
    """The id of a mapped X window whose title matches `pattern` (a regex), if any."""
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", pattern], env=env,
                           capture_output=True, text=True).stdout.split()
    return found[0] if found else None


# A system prompt that drives the starter Qwen2.5-Coder (no reasoning model) into the
# format reasoning models write; it follows the example, greedily.
THINK_FIRST = ("You think before you answer. Always reply in exactly this format:\n<think>\nyour reasoning\n"
               "</think>\nyour answer\n\nExample:\nUser: What is 2+3?\nAssistant: <think>\n2 plus 3 makes 5.\n"
               "</think>\n5")


class ErrorLogs(logging.Handler):
    """ERROR records of Hearth's own loggers while in the `with` block. Worker loops turn
    a bug into a log line and a sentence for the person, so a test that passes beside one
    would hide the bug (qutebrowser's logfail does the same). llama.cpp's own lines are
    left out: an aborted decode is an error there, and cancelling is normal."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def __enter__(self) -> ErrorLogs:
        logging.getLogger("desktop").addHandler(self)
        return self

    def __exit__(self, *_exc) -> None:
        logging.getLogger("desktop").removeHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def unexpected(self) -> list[str]:
        return [f"{r.name}: {r.getMessage()}" for r in self.records if not r.name.startswith("desktop.llama_cpp")]


def write_settings_home(root: Path, starter) -> Path:
    """A HEARTH_HOME at `root` whose settings point at the starter models (no copy of the
    files), made owner-only as Hearth makes it (else Hearth says it fixed it)."""
    import json

    config = root / "config"
    config.mkdir(parents=True, exist_ok=True, mode=0o700)
    (config / "settings.json").write_text(json.dumps({
        "model_path": str(starter.chat), "mmproj_path": str(starter.mmproj), "whisper_path": str(starter.whisper),
    }))
    (config / "settings.json").chmod(0o600)
    return root


def heard_answer(transcript: str, answer: str) -> bool:
    """Whether a Whisper transcript of the answer read aloud is that answer: at most one
    word in three wrong (Whisper tiny hears a synthetic "Paris" as "Harris" now and then,
    and "France is" as "Francis"), and its last content word there."""
    words = [w for w in _words(answer) if len(w) > 3]
    return word_error_rate(answer, transcript) <= 0.34 and bool(words) and words[-1] in _words(transcript)


def _words(text: str) -> list[str]:
    import re

    return re.findall(r"[a-z']+", text.lower())


@dataclass(frozen=True)
class SpeakerSink:
    """A PulseAudio null sink of this test session's own (set PULSE_SINK to `name`), so
    nothing else on the machine plays into what a test records."""

    name: str

    def recording(self, path: Path) -> subprocess.Popen:
        """parecord, recording the sink to a 16 kHz WAV until it is ended; returns once
        it records (its WAV header is written), so nothing played after is missed."""
        subprocess.run(["pactl", "suspend-sink", self.name, "0"], check=True, capture_output=True)  # awake
        recorder = subprocess.Popen(["parecord", f"--device={self.name}.monitor", "--file-format=wav",
                                     "--rate=16000", "--channels=1", "--latency-msec=20", str(path)])
        wait_for(lambda: path.exists() and path.stat().st_size >= 44, 10, "parecord to start")
        return recorder

    @staticmethod
    def finish(recorder: subprocess.Popen) -> None:
        """End a recording, its last audio written (SIGINT: parecord flushes; SIGTERM lost some)."""
        time.sleep(0.3)  # the sink's last buffer reaches the recorder
        recorder.send_signal(signal.SIGINT)
        recorder.wait(10)

    @classmethod
    def heard(cls, transcriber, recorder: subprocess.Popen, path: Path) -> str:
        """End the recording and give what Whisper hears in it, lower-cased."""
        from desktop.core.audio import read_wav

        cls.finish(recorder)
        return transcriber.transcribe(read_wav(path)).text.lower()
