"""An OpenAI-compatible HTTP API (FastAPI) over Hearth's own engines.

`GET /v1/models`, `POST /v1/chat/completions` (JSON or server-sent events) and
`POST /v1/audio/transcriptions` (multipart). The engine is asked through
`ChatEngine.ask`, so requests queue on the engine thread exactly like the window's;
a client that hangs up, streaming or not, cancels its answer. Errors have OpenAI's
shape. `RequestGuard` (api_guards) checks Host, key, content type and size first;
JSON parsing and image decoding run off the event loop, after the cheap checks.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from functools import partial

import anyio
import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from desktop.core.api_policy import MAX_AUDIO_BYTES, MiB
from desktop.core.audio import read_wav_bytes
from desktop.core.engine_types import Answer
from desktop.core.errors import AudioError, ContextTooLongError, HearthError
from desktop.core.openai_schema import (
    ApiRequestError,
    ChatRequestHead,
    check_chat_request,
    completion_chunk,
    completion_response,
    decode_chat_request,
    error_body,
)
from desktop.services.api.api_guards import RequestGuard
from desktop.services.engines.answer_stream import AnswerStream, ChatEngine
from desktop.services.speech.transcriber import Transcriber

__all__ = ["ApiBackend", "create_api"]

log = logging.getLogger(__name__)
WHISPER_ALIASES = ("whisper-1",)  # what clients send by habit


@dataclass(frozen=True)
class ApiBackend:
    """What the API serves: the current engine and Whisper (they change with settings)."""

    engine: Callable[[], ChatEngine]
    transcriber: Callable[[], Transcriber | None]
    api_key: str | None = None  # None: no key asked (`hearth serve` on loopback only)
    report: Callable[[str], None] = lambda _line: None  # one line per answered request
    hosts: frozenset[str] = field(default_factory=frozenset)  # Host names accepted besides loopback's
    any_address: bool = False  # listening on every address: any IP literal as Host too


def create_api(backend: ApiBackend) -> FastAPI:
    app = FastAPI(title="Hearth", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(RequestGuard, api_key=backend.api_key, hosts=backend.hosts, any_address=backend.any_address)
    transcribing = threading.Lock()  # one Whisper run at a time from the API

    @app.exception_handler(ApiRequestError)
    async def refused(_request: Request, error: ApiRequestError) -> JSONResponse:
        return _error(error.status, str(error), kind=error.kind, param=error.param, code=error.code)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        return _error(error.status_code, str(error.detail), kind="invalid_request_error")

    @app.get("/v1/models")
    async def models() -> dict:
        info = await _ready(backend.engine())
        data = [{"id": info.model_path.stem, "object": "model", "created": 0, "owned_by": "hearth"}]
        whisper = backend.transcriber()
        if whisper is not None:
            data.append({"id": whisper.model_dir.name, "object": "model", "created": 0, "owned_by": "hearth"})
        return {"object": "list", "data": data}

    @app.post("/v1/chat/completions", response_model=None)
    async def chat(request: Request) -> Response:
        head = await anyio.to_thread.run_sync(_checked, await request.body())  # cheap checks first
        engine = backend.engine()
        info = await _ready(engine)
        if head.model not in (info.model_path.stem, info.model_path.name, "hearth"):
            raise ApiRequestError(f"The model '{head.model}' does not exist; this server has "
                                  f"'{info.model_path.stem}'.", status=404, param="model", code="model_not_found")
        head = head.limited(info.n_ctx)
        if head.image_count and not info.vision:
            raise ApiRequestError(f"{info.model_path.stem} has no vision projector: it cannot read images.",
                                  param="messages", code="model_not_vision_capable")
        parsed = await anyio.to_thread.run_sync(partial(decode_chat_request, head, max_image_side=info.image_max_side))
        stream = engine.ask(parsed.history, system_prompt=parsed.system_prompt, options=parsed.options)
        if parsed.stream:
            return StreamingResponse(_events(stream, parsed.model, backend.report),
                                     media_type="text/event-stream")
        answer = await _answer_unless_hung_up(request, stream)
        if answer is None:
            backend.report("chat cancelled: the client disconnected")
            return Response(status_code=499)  # nobody reads it
        backend.report(f"chat {answer.stats.completion_tokens} tokens, {answer.stats.finish_reason}")
        return JSONResponse(completion_response(answer, model=parsed.model))

    @app.post("/v1/audio/transcriptions", response_model=None)
    async def transcriptions(request: Request) -> JSONResponse | PlainTextResponse:
        async with request.form(max_files=4, max_fields=32) as form:  # closes the upload's temporary file
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise ApiRequestError("'file' (the audio, as a multipart upload) is required.", param="file")
            if upload.size is not None and upload.size > MAX_AUDIO_BYTES:
                raise ApiRequestError(f"The audio file is larger than {MAX_AUDIO_BYTES // MiB} MiB.", status=413,
                                      param="file", code="file_too_large")
            whisper = backend.transcriber()
            model = str(form.get("model") or "")
            if whisper is None:
                raise ApiRequestError("No Whisper model is installed on this server.", status=404, param="model",
                                      code="model_not_found")
            if model not in (whisper.model_dir.name, *WHISPER_ALIASES):
                raise ApiRequestError(f"The model '{model}' does not exist; this server has "
                                      f"'{whisper.model_dir.name}'.", status=404, param="model",
                                      code="model_not_found")
            response_format = str(form.get("response_format") or "json")
            if response_format not in ("json", "text"):
                raise ApiRequestError("response_format must be 'json' or 'text'.", param="response_format")
            data = await upload.read()
            language = str(form.get("language") or "") or None
            name = upload.filename or "audio"

        def run() -> str:
            samples = _decode_audio(data, name)
            with transcribing:
                return whisper.transcribe(samples, language=language).text

        try:
            text = await anyio.to_thread.run_sync(run)
        except AudioError as error:
            raise ApiRequestError(str(error), param="file", code="invalid_audio") from error
        backend.report(f"transcription {len(text)} characters")
        return PlainTextResponse(text) if response_format == "text" else JSONResponse({"text": text})

    return app


async def _events(stream: AnswerStream, model: str, report: Callable[[str], None]) -> AsyncIterator[str]:
    """Server-sent events; a client that hangs up cancels the task, and so the answer."""
    chunk_id = f"chatcmpl-{uuid.uuid4().hex}"
    parts = stream.parts()
    finished = False
    try:
        yield _sse(completion_chunk(chunk_id, model=model, delta={"role": "assistant", "content": ""}))
        while (part := await anyio.to_thread.run_sync(next, parts, None, abandon_on_cancel=True)) is not None:
            if part.text:  # thinking goes as `reasoning_content`, as llama.cpp's server sends it
                field = "reasoning_content" if part.kind == "thought" else "content"
                yield _sse(completion_chunk(chunk_id, model=model, delta={field: part.text}))
        answer = stream.result()
        finished = True
        finish = "length" if answer.stats.finish_reason == "length" else "stop"
        yield _sse(completion_chunk(chunk_id, model=model, delta={}, finish_reason=finish))
        yield "data: [DONE]\n\n"
        report(f"chat (streamed) {answer.stats.completion_tokens} tokens, {answer.stats.finish_reason}")
    except HearthError as error:
        finished = True
        failure = _as_request_error(error)
        yield _sse(error_body(str(failure), code=failure.code))
    finally:
        if not finished:
            stream.cancel()
            report("chat (streamed) cancelled: the client disconnected")


def _decode_audio(data: bytes, name: str) -> np.ndarray:
    if data[:4] == b"RIFF":
        return read_wav_bytes(data, name=name)
    from faster_whisper.audio import decode_audio  # PyAV: mp3, m4a, ogg, webm, flac, ...

    try:
        return decode_audio(io.BytesIO(data), sampling_rate=16_000)
    except Exception as error:  # PyAV raises its own error types for non-audio input
        raise AudioError(f"{name} is not an audio file this server can read.") from error


async def _ready(engine: ChatEngine):
    try:
        return await anyio.to_thread.run_sync(engine.wait_ready, abandon_on_cancel=True)
    except HearthError as error:
        raise ApiRequestError(f"The model could not be loaded: {error}", status=503, kind="server_error") from error


def _checked(body: bytes) -> ChatRequestHead:
    """JSON and the cheap checks (run off the event loop: a body may be 64 MiB)."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ApiRequestError(f"The request body is not valid JSON ({error.__class__.__name__}).") from error
    except RecursionError as error:
        raise ApiRequestError("The request body is nested too deeply.") from error
    return check_chat_request(data)


async def _answer_unless_hung_up(request: Request, stream: AnswerStream) -> Answer | None:
    """The whole answer, or None when the client hung up first: its answer is then
    cancelled, so an abandoned request never keeps the engine busy."""
    hung_up = False
    outcome: Answer | HearthError

    async def watch() -> None:
        nonlocal hung_up
        while (await request.receive())["type"] != "http.disconnect":
            pass
        hung_up = True
        stream.cancel()

    async with anyio.create_task_group() as group:
        group.start_soon(watch)
        try:
            outcome = await anyio.to_thread.run_sync(stream.result, abandon_on_cancel=True)
        except HearthError as error:
            outcome = error
        finally:
            stream.cancel()  # a no-op once finished; stops the answer if this task is cancelled
            group.cancel_scope.cancel()
    if hung_up:
        return None
    if isinstance(outcome, HearthError):
        raise _as_request_error(outcome) from outcome
    return outcome


def _as_request_error(error: HearthError) -> ApiRequestError:
    if isinstance(error, ContextTooLongError):
        return ApiRequestError(str(error), param="messages", code="context_length_exceeded")
    return ApiRequestError(str(error), status=500, kind="server_error")


def _error(status: int, message: str, *, kind: str = "invalid_request_error", param: str | None = None,
           code: str | None = None) -> JSONResponse:
    return JSONResponse(error_body(message, kind=kind, param=param, code=code), status_code=status)


def _sse(payload: dict) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"
