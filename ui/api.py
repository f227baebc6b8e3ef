"""The product as an OpenAI-compatible HTTP API (`rag api`, or `rag serve --api` beside the web chat).

- `POST /v1/chat/completions`: the cited RAG answer to the last user message, streamed (SSE
  `chat.completion.chunk`s ending with `data: [DONE]`) or not. Earlier user/assistant turns are
  the history used to rewrite follow-ups. `model` is a profile name (`default`, `lite`).
  Citations are in the text (`[n]`) and in an extra top-level `rag` field (on the last chunk when
  streaming). The streamed tokens are the model's raw text; `rag.answer` is the checked final text
  (citation markers repaired), which clients should show in its place.
- `GET /v1/models`, `POST /v1/search` (scored passages, no generation), `GET /healthz`.
- `Config.api_key` (RAG_API_KEY) set: `/v1/*` needs `Authorization: Bearer <key>`.
- One model answers one question at a time (`--backend openai`: `Config.api_concurrency`, 4); up to
  `Config.api_max_queue` (20) more wait, the rest get 429.
Every error is an OpenAI-style body `{"error": {"message", "type", "param", "code"}}`.
"""
from __future__ import annotations

import hmac
import json
import threading
import time
import uuid
from typing import Callable, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.answering import Answerer, clean_question
from rag.config import PROFILES, Config
from rag.errors import BadInput, IndexMissing, LLMUnavailable, ModelMissing, RagError
from rag.schema import ReportFilter, ReportInfo, passage_json
from rag.selection import chosen_reports, conflict, narrow, searched

from .limits import RequestLimits
from .service import AnswerService, history_pairs

KEEPALIVE_S = 10.0  # an SSE comment this often while a streamed request waits its turn


# ---------------------------------------------------------------- errors


class ApiError(Exception):
    def __init__(self, status: int, message: str, type_: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None):
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type_, code, param

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status)


def from_rag_error(e: RagError) -> ApiError:
    if isinstance(e, BadInput):
        return ApiError(400, str(e), code="bad_input")
    if isinstance(e, LLMUnavailable):
        return ApiError(502, str(e), "server_error", "llm_unavailable")
    if isinstance(e, ModelMissing):
        return ApiError(503, str(e), "server_error", "model_unavailable")
    if isinstance(e, IndexMissing):
        return ApiError(503, str(e), "server_error", "index_unavailable")
    return ApiError(500, str(e), "server_error", "rag_error")


_TYPE_TAGS = {"str", "int", "float", "bool", "none", "dict", "list"}


def _validation_error(exc: RequestValidationError) -> ApiError:
    errors = exc.errors()
    first = errors[0] if errors else {}
    # pydantic names the branch of a union it tried ('str', 'list[ContentPart]'): not a parameter
    loc = [str(x) for x in first.get("loc", ()) if x != "body" and str(x) not in _TYPE_TAGS and "[" not in str(x)]
    if first.get("type") == "json_invalid":
        return ApiError(400, "The request body is not valid JSON.", code="invalid_json")
    param = ".".join(loc) or None
    if param is None and first.get("type") == "missing":
        return ApiError(400, "The request has no body: send a JSON object with 'messages'.", code="invalid_json")
    if first.get("type") == "missing":
        message = f"Missing required parameter: '{param}'."
        return ApiError(400, message, param=param, code="missing_required_parameter")
    message = f"Invalid value for '{param}': {first.get('msg', 'invalid')}." if param else \
        f"Invalid request body: {first.get('msg', 'invalid')}."
    return ApiError(400, message, param=param, code="invalid_value")


class ApiKeyMiddleware:
    """`/v1/*` needs `Authorization: Bearer <key>` when a key is set (checked before the body is read)."""

    def __init__(self, app, key: str):
        self.app, self.key = app, key.encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith("/v1"):
            header = dict(scope["headers"]).get(b"authorization", b"")
            scheme, _, token = header.partition(b" ")
            if scheme.lower() != b"bearer" or not hmac.compare_digest(token.strip(), self.key):
                await ApiError(401, "Missing or wrong API key: send the header 'Authorization: Bearer <key>' "
                                    "with the key the server was started with (RAG_API_KEY).",
                               code="invalid_api_key").response()(scope, receive, send)
                return
        await self.app(scope, receive, send)


# ---------------------------------------------------------------- request shapes


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None


class ReportsField(BaseModel):
    """`reports`: the reports to ask, picked by hand (extra; the openai client sends it in extra_body).
    Each field narrows; any value within a field matches; a value no report has is a 400."""

    model_config = ConfigDict(extra="forbid")
    bodies: list[StrictStr] = Field(default_factory=list, max_length=50)
    years: list[StrictInt] = Field(default_factory=list, max_length=50)
    doc_ids: list[StrictStr] = Field(default_factory=list, max_length=200)

    def to_filter(self) -> ReportFilter:
        return ReportFilter(tuple(self.bodies), tuple(self.years), tuple(self.doc_ids))


class ChatRequest(BaseModel):
    """OpenAI's request; sampling fields (temperature, top_p, …) are accepted and ignored (greedy)."""

    model_config = ConfigDict(extra="allow")
    model: str | None = None
    messages: list[Message]
    # strict: "stream": "yes" or "top_k": "5" / true is a 400, not read as true or 5
    stream: StrictBool = False
    max_tokens: StrictInt | None = Field(None, ge=1)  # can only shorten the product's own limit
    max_completion_tokens: StrictInt | None = Field(None, ge=1)
    n: StrictInt | None = None
    top_k: StrictInt | None = Field(None, ge=1, le=20)  # passages to retrieve (extra; default the config's)
    reports: ReportsField | None = None  # the reports to ask (extra; default: all, scoped by the question)


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    query: str
    top_k: StrictInt = Field(4, ge=1, le=50)
    model: str | None = None
    reports: ReportsField | None = None


# ---------------------------------------------------------------- models, queue


class Gate:
    """`slots` answers at a time (1 for an in-process model); at most `max_waiting` more requests
    wait, the rest are told 429."""

    def __init__(self, max_waiting: int, slots: int = 1):
        self.max_waiting, self.slots = max_waiting, slots
        self.lock = threading.BoundedSemaphore(slots)  # released by whichever thread finishes the answer
        self._count = threading.Lock()
        self.pending = 0  # those answering + those waiting

    def reserve(self) -> "Ticket":
        with self._count:
            if self.pending >= self.slots + self.max_waiting:
                raise ApiError(429, f"The server is busy: {self.slots} question(s) are being answered and "
                                    f"{self.max_waiting} are waiting, the most it queues. Retry in a little while.",
                               "rate_limit_error", "server_busy")
            self.pending += 1
        return Ticket(self)


class Ticket:
    """A place in the gate's line; `release` is idempotent and may run on any thread."""

    def __init__(self, gate: Gate):
        self.gate, self.held, self.done = gate, False, False
        self._state = threading.Lock()

    def acquire(self, timeout: float = -1) -> bool:
        if self.gate.lock.acquire(timeout=timeout):
            with self._state:
                self.held = True
            return True
        return False

    def release(self) -> None:
        with self._state:
            if self.held:
                self.held = False
                self.gate.lock.release()
            if not self.done:
                self.done = True
                with self.gate._count:
                    self.gate.pending -= 1


def gate_for(config: Config) -> Gate:
    """Answers generated at once: 1 with an in-process model; a remote server (--backend openai)
    batches, so several may run."""
    return Gate(config.api_max_queue, config.api_concurrency if config.llm_backend == "openai" else 1)


def health(service: AnswerService) -> tuple[int, dict]:
    """/healthz: 200 once the config's profile is loaded; 503 with why not otherwise."""
    config = service.config
    answerer = service.loaded()
    status, error = service.state()
    body = {"status": status, "profile": config.profile, "models_loaded": answerer is not None,
            "profiles_loaded": service.loaded_profiles, "backend": config.llm_backend,
            "generator": getattr(answerer.generator, "id", None) if answerer else None,
            "index_version": None, "error": error}
    if answerer is not None:
        try:
            body["index_version"] = answerer.retriever.refresh().version
        except RagError as e:  # the index folder went away under the server
            body.update(status="error", error=str(e))
    else:
        from rag.store import current_version_path

        path = current_version_path(config.index_dir)
        body["index_version"] = path.name if path else None
    if body["status"] == "idle":
        body["error"] = "the models are not loaded yet; they load on the first request"
    return (200 if body["status"] == "ok" else 503), body


# ---------------------------------------------------------------- responses


def _message_text(m: Message) -> str:
    if m.content is None or isinstance(m.content, str):
        return m.content or ""
    parts = []
    for part in m.content:
        if part.type not in ("text", "input_text"):
            raise ApiError(400, f"Only text content is supported, not {part.type!r}.", param="messages",
                           code="unsupported_content")
        parts.append(part.text or "")
    return "".join(parts)


def _sse(obj) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"


class ChatTurn:
    """A validated chat request: which profile, the question, the earlier turns."""

    def __init__(self, body: ChatRequest, config: Config):
        self.profile = resolve_model(body.model, config)
        if body.n not in (None, 1):
            raise ApiError(400, "Only n=1 is supported.", param="n", code="invalid_value")
        turns = [m for m in body.messages if m.role in ("user", "assistant")]
        if not any(m.role == "user" for m in turns):
            raise ApiError(400, "The messages hold no user message: the last message must be the question, "
                                "with role 'user'.", param="messages", code="no_user_message")
        if turns[-1].role != "user":
            raise ApiError(400, "The last message must be the user's question (role 'user').", param="messages",
                           code="invalid_value")
        raw = _message_text(turns[-1])
        if len(raw) > config.max_question_chars:
            raise ApiError(400, f"The question is {len(raw)} characters long; at most {config.max_question_chars} "
                                "are accepted.", param="messages", code="question_too_long")
        self.question = clean_question(raw, config.max_question_chars)  # BadInput (400) when empty
        self.history = history_pairs((m.role, _message_text(m)) for m in turns[:-1])
        limits = [x for x in (body.max_tokens, body.max_completion_tokens) if x]
        self.max_tokens = min([config.max_new_tokens, *limits])
        self.top_k = body.top_k
        self.stream = body.stream
        self.reports = body.reports.to_filter() if body.reports else None


def resolve_model(model: str | None, config: Config) -> str:
    if not model:
        return config.profile
    if model not in PROFILES:
        raise ApiError(404, f"The model {model!r} does not exist; use one of: {', '.join(PROFILES)} "
                            "(GET /v1/models).", param="model", code="model_not_found")
    return model


def _for_turn(answerer: Answerer, turn: ChatTurn) -> Answerer:
    if turn.max_tokens == answerer.config.max_new_tokens:
        return answerer
    return Answerer(answerer.config.with_(max_new_tokens=turn.max_tokens), answerer.retriever, answerer.generator)


# ---------------------------------------------------------------- the app


def add_api(app: FastAPI, service: AnswerService) -> FastAPI:
    """Add the API routes, its error handlers and the optional key check to `app`."""
    config = service.config
    gate = app.state.gate = gate_for(config)
    router = APIRouter()
    if config.api_key:
        app.add_middleware(ApiKeyMiddleware, key=config.api_key)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return exc.response()

    @app.exception_handler(RagError)
    async def _rag_error(request: Request, exc: RagError):
        return from_rag_error(exc).response()

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        return _validation_error(exc).response()

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}.get(exc.status_code)
        return ApiError(exc.status_code, str(exc.detail), code=code).response()

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        return ApiError(500, f"Internal error ({type(exc).__name__}); see the server log.", "server_error",
                        "internal_error").response()

    @router.get("/healthz")
    def healthz():
        status, body = health(service)
        return JSONResponse(body, status_code=status)

    @router.get("/v1/models")
    def models():
        from rag.models import profile_spec

        return {"object": "list", "data": [
            {"id": p, "object": "model", "created": 0, "owned_by": "baogao-rag",
             "description": profile_spec(p).summary if config.llm_backend != "openai"
             else f"{profile_spec(p).summary.split(' + ')[0]} + {config.llm_url}",
             "loaded": service.loaded(p) is not None} for p in PROFILES]}

    @router.post("/v1/search")
    def search(body: SearchRequest):
        profile = resolve_model(body.model, config)
        if len(body.query) > config.max_question_chars:
            raise ApiError(400, f"The query is {len(body.query)} characters long; at most "
                                f"{config.max_question_chars} are accepted.", param="query", code="question_too_long")
        query = clean_question(body.query, config.max_question_chars)
        retriever = service.retriever(profile)
        chosen = _chosen(retriever.refresh().reports, body.reports.to_filter() if body.reports else None)
        scope = narrow(retriever.scope(query), chosen)  # as the answerer scopes it
        retrieval = retriever.search(query, body.top_k, searched(scope))
        reports = retriever.version.reports
        return {"object": "list", "model": profile, "query": query, "relevant": retrieval.relevant,
                "index_version": retrieval.index_version, "scope": {**scope.to_json(), "conflict": conflict(scope)},
                "timings_ms": {"retrieve": round(retrieval.seconds * 1000, 1)},
                "data": [{"object": "search.result", "rank": h.rank, **passage_json(h.passage),
                          "doc_ids": sorted(h.passage.doc_ids),
                          "report_info": _identity(reports.get(h.passage.doc_id, ReportInfo())),
                          "score": round(h.score, 4), "dense": round(h.dense, 4), "keyword": round(h.keyword, 4)}
                         for h in retrieval.hits]}

    @router.post("/v1/chat/completions")
    def chat_completions(body: ChatRequest):
        turn = ChatTurn(body, config)  # every 4xx before any model loads or any waiting
        ticket = gate.reserve()
        try:
            answerer = _for_turn(service.answerer(turn.profile), turn)
            if turn.reports is not None:  # an unknown report: 400 before any wait
                _chosen(answerer.retriever.refresh().reports, turn.reports)
        except BaseException:
            ticket.release()
            raise
        cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        if turn.stream:
            # The background release covers a client that leaves before the stream starts.
            return StreamingResponse(_stream(answerer, turn, ticket, cid, created), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
                                     background=BackgroundTask(ticket.release))
        try:
            ticket.acquire()
            ans = answerer.answer(turn.question, turn.history, turn.top_k, turn.reports)
        finally:
            ticket.release()
        return {"id": cid, "object": "chat.completion", "created": created, "model": turn.profile,
                "system_fingerprint": ans.index_version,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": ans.text},
                             "logprobs": None, "finish_reason": "stop"}],
                "rag": ans.to_json()}

    def _stream(answerer: Answerer, turn: ChatTurn, ticket: Ticket, cid: str, created: int):
        def chunk(delta: dict, finish: str | None = None, **extra) -> str:
            return _sse({"id": cid, "object": "chat.completion.chunk", "created": created, "model": turn.profile,
                         "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
                         **extra})

        try:
            yield chunk({"role": "assistant", "content": ""})
            while not ticket.acquire(timeout=KEEPALIVE_S):
                yield ": waiting for the model\n\n"  # an SSE comment: keeps proxies and clients from timing out
            streamed, ans = False, None
            for event in answerer.stream(turn.question, turn.history, turn.top_k, turn.reports):
                if event.kind == "evidence":  # the report's own sentence, before the model's first word
                    yield chunk({}, rag={"evidence": event.data.to_json()})
                elif event.kind == "token":
                    streamed = True
                    yield chunk({"content": event.data})
                elif event.kind == "answer":
                    ans = event.data
            ticket.release()
            if not streamed:  # refused before generating: the refusal is the whole text
                yield chunk({"content": ans.text})
            yield chunk({}, "stop", system_fingerprint=ans.index_version, rag=ans.to_json())
        except RagError as e:
            yield _sse(from_rag_error(e).body())
        except Exception as e:  # noqa: BLE001 - headers are sent: report in the stream, not as a 500
            yield _sse(ApiError(500, f"Internal error ({type(e).__name__}); see the server log.", "server_error",
                                "internal_error").body())
        finally:
            ticket.release()
        yield "data: [DONE]\n\n"

    app.include_router(router)
    return app


def with_limits(app: FastAPI, config: Config) -> FastAPI:
    """Every route behind the request limits: a body over Config.max_request_kb is refused (413)."""
    app.add_middleware(RequestLimits, max_bytes=config.max_request_kb * 1024)
    return app


def _chosen(reports: dict[str, ReportInfo], wanted: ReportFilter | None) -> frozenset[str] | None:
    """The doc ids `reports` picks, or a 400 naming the values no indexed report has."""
    try:
        return chosen_reports(wanted or ReportFilter(), reports)
    except BadInput as e:
        raise ApiError(400, str(e), param="reports", code="unknown_report") from None


def _identity(info: ReportInfo) -> dict:
    """A report's identity for clients: its fields, where each was read from, and one line with '?'
    for what was not read ("body: ?  place: ?  region: ?  years: 2024 (title)")."""
    return {**info.to_json(), "described": info.describe()}


def create_app(config: Config, service: AnswerService | None = None,
               answerer_for: Callable[[str], Answerer] | None = None, preload: bool = True) -> FastAPI:
    """The API alone; `service` shares the answerers of another front end (the web chat), else a
    pool of its own (`answerer_for`, `preload`: see AnswerService)."""
    app = FastAPI(title="报告问答 API", version="1", summary="OpenAI-compatible cited answers about the reports")
    service = service or AnswerService(config, answerer_for, preload)
    app.state.rag = service
    return add_api(with_limits(app, config), service)


def run(config: Config, host: str = "127.0.0.1", port: int = 8000) -> None:
    import uvicorn

    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")
