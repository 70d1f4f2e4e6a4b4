"""The window's and `hearth ask`'s engine can be another server: a real third-party one
(llama-cpp-python's `llama_cpp.server`) and another Hearth, on loopback."""

from __future__ import annotations

import http.server
import socket
import threading

import pytest
from tests_helpers import THINK_FIRST

from desktop.core.conversation import Message
from desktop.core.engine_types import GenerationOptions
from desktop.core.errors import EngineError
from desktop.core.images import load_image
from desktop.services.engines.remote_engine import RemoteConfig, RemoteEngine

QUESTION = [Message(role="user", text="What is the capital of France? Answer with one word.")]
GREEDY = GenerationOptions(temperature=0, max_tokens=8)


@pytest.fixture
def remote():
    engines = []

    def make(**config) -> RemoteEngine:
        engine = RemoteEngine(RemoteConfig(**config))
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


def test_a_third_party_server_answers(remote, llama_cpp_server):
    engine = remote(base_url=llama_cpp_server)
    info = engine.wait_ready()
    assert info.model_name == "qwen-0.5b" and info.backend == f"remote {llama_cpp_server}"
    stream = engine.ask(QUESTION, options=GREEDY)
    deltas = list(stream)
    assert "Paris" in "".join(deltas) and stream.result().text == "".join(deltas)


def test_cancel_stops_a_remote_answer(remote, llama_cpp_server):
    engine = remote(base_url=llama_cpp_server)
    stream = engine.ask([Message(role="user", text="Write a long story about the sea.")],
                        options=GenerationOptions(temperature=0, max_tokens=1500))
    for received, _delta in enumerate(stream, 1):
        if received == 3:
            stream.cancel()
    answer = stream.result()
    assert answer.stats.finish_reason == "cancelled" and answer.stats.completion_tokens < 20
    assert "Paris" in engine.ask(QUESTION, options=GREEDY).result().text  # and the next one works


def test_another_hearth_with_a_key_and_an_image(remote, served_hearth, tmp_path):
    from PIL import Image

    Image.new("RGB", (40, 30), "green").save(tmp_path / "green.png")
    engine = remote(base_url=served_hearth.url, api_key=served_hearth.api_key)
    image = load_image(tmp_path / "green.png")
    answer = engine.ask([Message(role="user", text="Describe it in one word.", images=(image,))],
                        options=GenerationOptions(temperature=0, max_tokens=4)).result()
    assert answer.stats.completion_tokens >= 1 and answer.stats.image_count == 1
    wrong = remote(base_url=served_hearth.url, api_key="wrong")
    with pytest.raises(EngineError, match="refused the API key"):
        wrong.wait_ready()


def test_an_unknown_remote_model_is_named(remote, llama_cpp_server):
    with pytest.raises(EngineError, match=r"no model 'gpt-9'; it has qwen-0\.5b"):
        remote(base_url=llama_cpp_server, model="gpt-9").wait_ready()


def test_down_slow_and_garbage_servers_are_one_sentence(remote):
    with pytest.raises(EngineError, match="Could not reach the remote engine"):
        remote(base_url="http://127.0.0.1:9/v1").wait_ready()

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts connections, never answers
    try:
        port = silent.getsockname()[1]
        with pytest.raises(EngineError, match="did not answer in time"):
            remote(base_url=f"http://127.0.0.1:{port}/v1", timeout_s=1).wait_ready()
    finally:
        silent.close()

    class Html(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html><body>Welcome to my router</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Html)
    thread = threading.Thread(target=server.serve_forever, name="test-html", daemon=True)
    thread.start()
    try:
        with pytest.raises(EngineError, match="not an OpenAI-compatible reply"):
            remote(base_url=f"http://127.0.0.1:{server.server_address[1]}/v1").wait_ready()
    finally:
        server.shutdown()
        server.server_close()


def test_hearth_ask_remote(run_hearth, llama_cpp_server, isolated_home):
    result = run_hearth("ask", "--remote", llama_cpp_server, "--temperature", "0", "--max-tokens", "8",
                        "What is the capital of France? Answer with one word.")
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout
    chat = run_hearth("chat", "--remote", llama_cpp_server, "--temperature", "0", "--max-tokens", "8",
                      stdin="What is the capital of France? Answer with one word.\n/quit\n")
    assert chat.returncode == 0 and "Paris" in chat.stdout, chat.stderr
    down = run_hearth("ask", "--remote", "http://127.0.0.1:9/v1", "Hello")
    assert down.returncode == 2 and "Could not reach the remote engine" in down.stderr


def test_a_remote_key_is_never_taken_from_the_command_line(run_hearth):
    """Every user of the computer can read /proc/PID/cmdline: `--api-key` is refused
    before anything is sent, and the env var (or Settings) carries the key instead."""
    result = run_hearth("ask", "--remote", "http://127.0.0.1:9/v1", "--api-key", "sk-visible", "Hello")
    assert result.returncode == 2
    assert "--api-key is refused" in result.stderr and "HEARTH_REMOTE_API_KEY" in result.stderr
    assert result.stderr.count("\n") == 1 and "sk-visible" not in result.stderr


def test_thinking_from_a_server_stays_apart(remote, served_hearth, llama_cpp_server):
    """Another Hearth sends a reasoning answer's thinking as `reasoning_content`; a server
    that sends it inline (`<think>` in the content, llama-cpp-python's) is split too."""
    engine = remote(base_url=served_hearth.url, api_key=served_hearth.api_key)
    question = [Message(role="user", text="What is 7 times 6?")]
    answer = engine.ask(question, system_prompt=THINK_FIRST,
                        options=GenerationOptions(temperature=0, max_tokens=80)).result()
    assert "42" in answer.reasoning and "think>" not in answer.text and answer.thinking_s > 0
    inline = remote(base_url=llama_cpp_server).ask(question, system_prompt=THINK_FIRST,
                                                   options=GenerationOptions(temperature=0, max_tokens=80)).result()
    assert "42" in inline.reasoning and "think>" not in inline.text
