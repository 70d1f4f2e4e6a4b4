"""An OpenAI-compatible HTTP API (FastAPI) over Hearth's own engines.

`GET /v1/models`, `POST /v1/chat/completions` (JSON or server-sent events) and
`POST /v1/audio/transcriptions` (multipart). The engine is asked through
`ChatEngine.ask`, so requests queue on the engine thread exactly like the window's;
a client that hangs up mid-stream cancels its answer. Errors have OpenAI's shape.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import anyio
import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from desktop.core.audio import read_wav_bytes
from desktop.core.errors import AudioError, ContextTooLongError, HearthError
from desktop.core.openai_schema import (
    ApiRequestError,
    completion_chunk,
    completion_response,
    error_body,
    parse_chat_request,
)
from desktop.services.answer_stream import AnswerStream, ChatEngine
from desktop.services.transcriber import Transcriber

__all__ = ["ApiBackend", "create_api"]

log = logging.getLogger(__name__)
WHISPER_ALIASES = ("whisper-1",)  # what clients send by habit


@dataclass(frozen=True)
class ApiBackend:
    """What the API serves: the current engine and Whisper (they change with settings)."""

    engine: Callable[[], ChatEngine]
    transcriber: Callable[[], Transcriber | None]
    api_key: str | None = None
    report: Callable[[str], None] = lambda _line: None  # one line per answered request


def create_api(backend: ApiBackend) -> FastAPI:
    app = FastAPI(title="Hearth", docs_url=None, redoc_url=None, openapi_url=None)
    transcribing = threading.Lock()  # one Whisper run at a time from the API

    @app.middleware("http")
    async def authorise(request: Request, call_next: Callable) -> Response:
        if backend.api_key is not None:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not secrets.compare_digest(given.encode(), backend.api_key.encode()):
                return _error(401, "Incorrect API key provided.", code="invalid_api_key")
        return await call_next(request)

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
    async def chat(request: Request) -> JSONResponse | StreamingResponse:
        body = await _json(request)
        engine = backend.engine()
        info = await _ready(engine)
        parsed = parse_chat_request(body, max_image_side=info.image_max_side)
        if parsed.model not in (info.model_path.stem, info.model_path.name, "hearth"):
            raise ApiRequestError(f"The model '{parsed.model}' does not exist; this server has "
                                  f"'{info.model_path.stem}'.", status=404, param="model", code="model_not_found")
        if any(m.images for m in parsed.history) and not info.vision:
            raise ApiRequestError(f"{info.model_path.stem} has no vision projector: it cannot read images.",
                                  param="messages", code="model_not_vision_capable")
        stream = engine.ask(parsed.history, system_prompt=parsed.system_prompt, options=parsed.options)
        if parsed.stream:
            return StreamingResponse(_events(stream, parsed.model, backend.report),
                                     media_type="text/event-stream")
        try:
            answer = await anyio.to_thread.run_sync(stream.result, abandon_on_cancel=True)
        except HearthError as error:
            raise _as_request_error(error) from error
        finally:
            stream.cancel()  # the client left: stop generating (a no-op once finished)
        backend.report(f"chat {answer.stats.completion_tokens} tokens, {answer.stats.finish_reason}")
        return JSONResponse(completion_response(answer, model=parsed.model))

    @app.post("/v1/audio/transcriptions", response_model=None)
    async def transcriptions(request: Request) -> JSONResponse | PlainTextResponse:
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ApiRequestError("'file' (the audio, as a multipart upload) is required.", param="file")
        whisper = backend.transcriber()
        model = str(form.get("model") or "")
        if whisper is None:
            raise ApiRequestError("No Whisper model is installed on this server.", status=404, param="model",
                                  code="model_not_found")
        if model not in (whisper.model_dir.name, *WHISPER_ALIASES):
            raise ApiRequestError(f"The model '{model}' does not exist; this server has '{whisper.model_dir.name}'.",
                                  status=404, param="model", code="model_not_found")
        response_format = str(form.get("response_format") or "json")
        if response_format not in ("json", "text"):
            raise ApiRequestError("response_format must be 'json' or 'text'.", param="response_format")
        data = await upload.read()
        language = str(form.get("language") or "") or None

        def run() -> str:
            samples = _decode_audio(data, upload.filename or "audio")
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
    deltas = iter(stream)
    finished = False
    try:
        yield _sse(completion_chunk(chunk_id, model=model, delta={"role": "assistant", "content": ""}))
        while (delta := await anyio.to_thread.run_sync(next, deltas, None, abandon_on_cancel=True)) is not None:
            yield _sse(completion_chunk(chunk_id, model=model, delta={"content": delta}))
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


async def _json(request: Request) -> object:
    try:
        return json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ApiRequestError(f"The request body is not valid JSON ({error.__class__.__name__}).") from error


def _as_request_error(error: HearthError) -> ApiRequestError:
    if isinstance(error, ContextTooLongError):
        return ApiRequestError(str(error), param="messages", code="context_length_exceeded")
    return ApiRequestError(str(error), status=500, kind="server_error")


def _error(status: int, message: str, *, kind: str = "invalid_request_error", param: str | None = None,
           code: str | None = None) -> JSONResponse:
    return JSONResponse(error_body(message, kind=kind, param=param, code=code), status_code=status)


def _sse(payload: dict) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"
