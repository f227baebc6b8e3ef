"""Bounds on what one HTTP request may bring, before any route reads it.

One answer slot serves everybody (one model answers one question at a time), so a request's size
must not decide how long it holds that slot: a 1.5 MB body held it for minutes, a 50 MB one was
parsed and answered. Every route gets a body limit (Config.max_request_kb): a declared length over
it is refused before the body is read, a chunked body as soon as it passes it. File uploads to the
chat (gradio's upload route) have their own limits, since anyone who can open the page can post
to that route, password or not: MAX_UPLOAD_MB a file (gradio's max_file_size), UPLOAD_REQUEST_MB a
request, UPLOADS_PER_MINUTE, and UPLOAD_STORE_MB in the upload folder at once (uploads are deleted
once added or refused, and gradio's delete_cache removes any left after UPLOAD_KEEP_S).
"""
from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections import deque
from pathlib import Path

from starlette.exceptions import HTTPException

UPLOAD_PATH = "/gradio_api/upload"
MAX_UPLOAD_MB = 20
UPLOAD_REQUEST_MB = 50
UPLOADS_PER_MINUTE = 10
UPLOAD_STORE_MB = 200
UPLOAD_KEEP_S = 3600


def upload_dir() -> Path:
    """Where gradio keeps uploads (GRADIO_TEMP_DIR): a folder of this product's own, so its size is ours to bound."""
    path = Path(os.environ.setdefault("GRADIO_TEMP_DIR", str(Path(tempfile.gettempdir()) / "baogao-rag-uploads")))
    path.mkdir(parents=True, exist_ok=True)
    return path


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


class _TooLarge(HTTPException):
    """Raised from the body's reader: frameworks that wrap reading errors into a 400 re-raise HTTP
    exceptions (FastAPI does), so the route answers 413; anything else reaching here gets it too."""

    def __init__(self, limit: int):
        super().__init__(413, RequestLimits.too_large(limit))


def _error(status: int, message: str, code: str) -> bytes:
    # the API's OpenAI-style error body; the chat's client shows `message`
    return json.dumps({"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}},
                      ensure_ascii=False).encode()


async def _reply(send, status: int, message: str, code: str) -> None:
    body = _error(status, message, code)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class RequestLimits:
    """ASGI middleware: 413 for a body over `max_bytes` (uploads: over their own limit), 429 for
    uploads beyond UPLOADS_PER_MINUTE."""

    def __init__(self, app, max_bytes: int, upload_bytes: int = UPLOAD_REQUEST_MB * 2**20,
                 uploads_per_minute: int = UPLOADS_PER_MINUTE, store_bytes: int = UPLOAD_STORE_MB * 2**20):
        self.app, self.max_bytes, self.upload_bytes = app, max_bytes, upload_bytes
        self.uploads_per_minute, self.store_bytes = uploads_per_minute, store_bytes
        self._uploads: deque[float] = deque()
        self._lock = threading.Lock()

    def _upload_allowed(self) -> bool:
        now = time.monotonic()
        with self._lock:
            while self._uploads and now - self._uploads[0] > 60:
                self._uploads.popleft()
            if len(self._uploads) >= self.uploads_per_minute:
                return False
            self._uploads.append(now)
            return True

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        upload = scope["path"].endswith(UPLOAD_PATH)
        limit = self.upload_bytes if upload else self.max_bytes
        if upload and not self._upload_allowed():
            return await _reply(send, 429, f"Too many uploads: at most {self.uploads_per_minute} a minute. "
                                           "Retry in a minute.", "too_many_uploads")
        if upload and folder_bytes(upload_dir()) >= self.store_bytes:
            return await _reply(send, 507, f"The upload folder holds {self.store_bytes // 2**20} MB already, the most "
                                           "it keeps: add or remove the reports waiting there, or retry later.",
                                "upload_store_full")
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.strip().isdigit() or int(length) > limit):
            return await _reply(send, 413, self.too_large(limit), "request_too_large")
        started, seen = False, 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit)
            return message

        async def watched_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except _TooLarge:
            if not started:
                await _reply(send, 413, self.too_large(limit), "request_too_large")

    @staticmethod
    def too_large(limit: int) -> str:
        return (f"The request body is over {limit // 1024} KB, the most this server reads: send one question "
                "(at most a few hundred characters) and a short history.")
