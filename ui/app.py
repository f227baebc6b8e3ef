"""The Gradio web chat: streaming cited answers, source cards beside them, report management.

Models load once, in the background, when the server starts; the page is usable at once and
says so while they load. Generation is serialised by the queue (one model, one answer at a time);
other visitors wait in line with a position shown, and a full queue answers "busy".
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from rag.config import PROFILES, Config, use_offline_hub

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
use_offline_hub()  # gradio imports huggingface_hub, which reads it once

import gradio as gr  # noqa: E402

from rag.embedding import get_embedder  # noqa: E402
from rag.errors import RagError  # noqa: E402
from rag.formats import SUPPORTED_SUFFIXES  # noqa: E402
from rag.indexing import add_reports, correct_report, remove_report  # noqa: E402
from rag.reportmeta import FIELD_ZH, origin_zh  # noqa: E402
from rag.schema import ReportFilter  # noqa: E402
from rag.store import Catalog, read_catalog  # noqa: E402

from .limits import MAX_UPLOAD_MB, UPLOAD_KEEP_S, upload_dir  # noqa: E402
from .render import CSS, JS, answer_html, esc, pending_html, sources_html  # noqa: E402
from .service import AnswerService, history_pairs  # noqa: E402

EXAMPLES = [
    "全市共聘任了多少名法治副校长？",
    "2024年新建了多少所中小学和幼儿园？",
    "“清膳E家”平台是做什么的？",
    "2025年在行政执法方面有什么安排？",
]
MAX_QUEUE = 20
MAX_TOP_K = 20  # as the API's top_k
# where an identity field was read from (ReportInfo.origin), as the 报告 tab says it
class ChatService:
    """The chat's side of the shared answer service: its status line, the reports and the admin password."""

    def __init__(self, config: Config, preload: bool = True):
        self.config = config
        self.password = config.admin_password
        self.answers = AnswerService(config, preload=preload)
        self._write_lock = threading.Lock()

    def status(self) -> str:
        state, error = self.answers.state()
        if state == "loading":
            return "模型加载中（首次启动还要建立索引）…可以先输入问题，加载完后自动回答。"
        if state == "error":
            return f"**模型或索引不可用**：{esc(error)}"
        return f"已就绪 · 配置 {self.config.profile}"

    def check_password(self, given: str) -> None:
        if self.password and given != self.password:
            raise gr.Error("管理密码不正确。")

    def catalog(self) -> Catalog | None:
        """What the index holds (documents, passage counts), read without loading it; None if none."""
        try:
            return read_catalog(self.config.index_dir)
        except RagError:
            return None

    def reports_table(self, catalog: Catalog | None = None) -> list[list]:
        catalog = catalog or self.catalog()
        rows = []
        for d in catalog.documents if catalog else []:
            info = d["info"]  # whose report it is: several of one genre read alike
            place = " ".join(x for x in (info.region, info.place) if x)
            origin = "；".join(f"{FIELD_ZH.get(k, k)}←{origin_zh(v)}" for k, v in info.origin)
            rows.append([d["doc_id"], info.title or d["title"], info.body or "?", place or "?",
                         "、".join(map(str, info.years)) or "?", origin or "未识别", info.published or d["published"],
                         d["source"], catalog.passage_counts.get(d["doc_id"], 0), d["added_at"]])
        return rows

    def report_choices(self, catalog: Catalog | None = None) -> list[tuple[str, str]]:
        """The chat filter's choices, (label, doc id), grouped by body and ordered by year:
        "杭州市教育局 · 2024年度"; a report whose author was not read shows its title."""
        catalog = catalog or self.catalog()
        reports = catalog.reports if catalog else {}
        order = sorted(reports.items(), key=lambda kv: (kv[1].body or "~", kv[1].years, kv[1].title))
        return [(info.label or doc_id, doc_id) for doc_id, info in order]

    def indexed(self, doc_id: str) -> bool:
        catalog = self.catalog()
        return bool(catalog) and doc_id in catalog.reports

    def add(self, paths: list[str], password: str, progress=None) -> str:
        self.check_password(password)
        if not paths:
            raise gr.Error("请先选择要上传的报告文件（" + " ".join(SUPPORTED_SUFFIXES) + "）。")
        outside = [p for p in paths if not _uploaded(p)]
        if outside:  # a crafted request naming a file on the server, not one it uploaded
            raise gr.Error(f"只接受通过本页上传的文件，{len(outside)} 个文件不在上传目录中。")
        cfg = self.config
        try:
            with self._write_lock:
                report = add_reports(cfg, get_embedder(cfg), [Path(p) for p in paths], _gr_progress(progress))
        except RagError as e:
            raise gr.Error(e.zh) from None
        finally:
            _discard_uploads(paths)  # added reports are copied into the reports folder; refused ones go
        lines = [f"已索引：{report.documents} 份报告，{report.passages} 个段落（新嵌入 {report.embedded}，"
                 f"复用 {report.reused}），用时 {report.seconds:.1f} 秒。"]
        lines += [f"未加入 {esc(Path(name).name)}：{esc(msg)}" for name, msg in report.failed]
        return "<br>".join(lines)

    def correct(self, doc_id: str, body: str, place: str, region: str, years: str, password: str,
                progress=None) -> str:
        """Correct a report's identity from the 报告 tab: the same `<file>.meta.json` as `rag index
        meta`, only that report re-labelled, in effect for the next question. A blank field is left
        as it is; bad input changes nothing and says why in Chinese."""
        self.check_password(password)
        if not self.indexed(doc_id):
            raise gr.Error("请先从列表中选择要更正的报告。")
        changes = {k: (v.strip() or None) if isinstance(v, str) else None
                   for k, v in (("body", body), ("place", place), ("region", region), ("years", years))}
        if not any(changes.values()):
            raise gr.Error("请至少填写一项要更正的内容（单位、地区、上级地区或年度）。")
        cfg = self.config
        try:
            with self._write_lock:
                doc, report = correct_report(cfg, get_embedder(cfg), doc_id, changes, _gr_progress(progress))
        except RagError as e:
            raise gr.Error(e.zh) from None
        return f"已更正：{esc(doc['info'].describe())}（重新嵌入 {report.embedded} 个段落）。"

    def remove(self, doc_id: str, password: str, progress=None) -> str:
        self.check_password(password)
        if not doc_id:
            raise gr.Error("请先选择要删除的报告。")
        if not self.indexed(doc_id):
            raise gr.Error(f"没有 id 为 {doc_id} 的报告：请从列表中选择。")
        cfg = self.config
        try:
            with self._write_lock:
                report = remove_report(cfg, get_embedder(cfg), doc_id, _gr_progress(progress))
        except RagError as e:
            raise gr.Error(e.zh) from None
        return f"已删除。现有 {report.documents} 份报告，{report.passages} 个段落。"


def _uploaded(path) -> bool:
    """Whether a path lies in gradio's upload folder, i.e. was uploaded through the page."""
    return upload_dir().resolve() in Path(path).resolve().parents


def _discard_uploads(paths) -> None:
    """Delete uploaded files from gradio's upload folder (only there: never a file elsewhere)."""
    for p in paths or []:
        if _uploaded(p):
            Path(p).resolve().unlink(missing_ok=True)


def valid_top_k(top_k) -> int:
    """top_k as the API takes it: a whole number from 1 to MAX_TOP_K (not "5", not true)."""
    if isinstance(top_k, float) and top_k.is_integer():
        top_k = int(top_k)  # a slider's 4.0
    if not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= MAX_TOP_K:
        raise gr.Error(f"top_k 应为 1 到 {MAX_TOP_K} 之间的整数，收到的是 {top_k!r}。")
    return top_k


def _gr_progress(progress):
    """Adapt gr.Progress to the tqdm-like factory the indexer takes."""
    if progress is None:
        return None

    class Bar:
        def __init__(self, total, desc):
            self.total, self.desc, self.n = total, desc, 0
            progress((0, total), desc=f"{desc}…")

        def update(self, n):
            self.n += n
            progress((self.n, self.total), desc=f"{self.desc}…")

        def close(self):
            pass

    return Bar


def _text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return content.get("text", "")
    return "".join(part.get("text", "") for part in content or [] if isinstance(part, dict))


def build_app(config: Config) -> tuple[gr.Blocks, ChatService]:
    upload_dir()  # gradio's upload folder (GRADIO_TEMP_DIR, read by Blocks): ours, so its size can be bounded
    service = ChatService(config)

    def add_user(message, history):
        message = (message or "").strip()
        if not message:
            raise gr.Error("请输入问题。")
        return "", history + [{"role": "user", "content": message}]

    def respond(history, profile, top_k, show_uncited, picked=None, widen=False):
        question = _text(history[-1])
        earlier = history_pairs((m.get("role"), _text(m)) for m in history[:-1])
        turn = sum(m.get("role") == "user" for m in history)
        history = history + [{"role": "assistant", "content": pending_html("", "检索中…")}]
        yield history, gr.skip(), service.status()
        if not service.answers.ready.wait(timeout=0):
            history[-1]["content"] = pending_html("", "模型加载中，请稍候…")
            yield history, gr.skip(), service.status()
            service.answers.ready.wait()
        try:
            answerer = service.answers.answerer(profile)
            hits, streamed, evidence = [], "", None
            wanted = ReportFilter(doc_ids=tuple(picked)) if picked else None
            for event in answerer.stream(question, earlier, valid_top_k(top_k), wanted, widen):
                if event.kind == "evidence":
                    evidence = event.data
                    history[-1]["content"] = pending_html("", "正在生成…", evidence)
                    yield history, gr.skip(), service.status()
                elif event.kind == "retrieved":
                    hits = event.data.hits
                    history[-1]["content"] = pending_html("", "正在生成…", evidence)
                    yield history, sources_html(None, hits, turn, show_uncited, waiting=True), service.status()
                elif event.kind == "token":
                    streamed += event.data
                    history[-1]["content"] = pending_html(streamed, "正在生成…", evidence)
                    yield history, gr.skip(), service.status()
                else:
                    answer = event.data
                    history[-1]["content"] = answer_html(answer, turn)
                    yield history, sources_html(answer, answer.hits, turn, show_uncited), service.status()
        except RagError as e:
            history[-1]["content"] = f'<div class="warn">{esc(e.zh)}</div>'  # the chat speaks Chinese
            yield history, gr.skip(), service.status()

    def respond_widely(history, profile, top_k, show_uncited, picked=None):
        """The last question again over every (picked) report, ignoring the scope it implied."""
        yield from respond(history, profile, top_k, show_uncited, picked, widen=True)

    def without_last_answer(history):
        if not history or not any(m.get("role") == "user" for m in history):
            raise gr.Error("还没有可以重新回答的问题。")
        return history[:-1] if history[-1].get("role") == "assistant" else history

    def api_ask(question: str, history_json: str = "[]", top_k: int = 4) -> dict:
        """Answer one question (history: JSON list of {question, answer}); returns the answer JSON."""
        try:
            history = json.loads(history_json or "[]")
        except ValueError:
            history = None
        if not isinstance(history, list) or not all(isinstance(h, dict) for h in history):
            raise gr.Error("history_json 应为 JSON 列表：[{\"question\": …, \"answer\": …}]。")
        top_k = valid_top_k(top_k)
        service.answers.ready.wait()
        try:
            return service.answers.answerer().answer(question, history, top_k).to_json()
        except RagError as e:
            raise gr.Error(e.zh) from None

    catalog = service.catalog()  # read once for the page's first choices; each page open reads it again
    ids = [r[0] for r in service.reports_table(catalog)]
    with gr.Blocks(title="报告问答", delete_cache=(UPLOAD_KEEP_S, UPLOAD_KEEP_S)) as demo:
        gr.Markdown("## 报告问答 · 基于政府报告原文回答，并标注出处")
        status = gr.Markdown(service.status(), elem_id="status")
        with gr.Tabs():
            with gr.Tab("对话", id="chat"):
                with gr.Row():
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(height=520, buttons=["copy"], elem_id="chat", sanitize_html=True,
                                             render_markdown=False, placeholder="问一个关于报告的问题，例如下面的示例。",
                                             label="对话")
                        msg = gr.Textbox(show_label=False, placeholder="输入问题，回车发送…", submit_btn="发送",
                                         elem_id="question", max_lines=4)
                        with gr.Row():
                            example_buttons = [gr.Button(q, size="sm", elem_classes="example") for q in EXAMPLES]
                        with gr.Row():
                            picked = gr.Dropdown(choices=service.report_choices(catalog), value=[], multiselect=True,
                                                 label="报告筛选（不选 = 全部报告；问题中提到的单位、年度会再缩小范围）",
                                                 elem_id="report-filter", scale=4)
                            with gr.Column(scale=1, min_width=120):
                                widen = gr.Button("扩大到全部报告", size="sm", elem_id="widen")
                                new_chat = gr.Button("新对话", size="sm", elem_id="new-chat")
                    with gr.Column(scale=2):
                        gr.Markdown("#### 来源")
                        sources = gr.HTML('<div class="src-empty">回答引用的段落会显示在这里。</div>',
                                          elem_id="sources", max_height=640)
                with gr.Accordion("设置", open=False):
                    profile = gr.Dropdown(list(PROFILES), value=config.profile, label="配置（模型）")
                    top_k = gr.Slider(1, 8, value=config.top_k, step=1, label="检索段落数 top-k")
                    show_uncited = gr.Checkbox(True, label="显示未引用的检索段落")
            with gr.Tab("报告", id="reports"):
                table = gr.Dataframe(headers=["id", "标题", "单位", "地区", "年度", "识别依据", "发布日期", "来源", "段落数", "加入时间"],
                                     value=service.reports_table(catalog), interactive=False, wrap=True, elem_id="reports-table")
                with gr.Row():
                    upload = gr.File(file_count="multiple", file_types=list(SUPPORTED_SUFFIXES), label="上传报告（" + " / ".join(SUPPORTED_SUFFIXES) + "）",
                                     elem_id="upload")
                    with gr.Column():
                        password = gr.Textbox(label="管理密码", type="password", visible=bool(service.password))
                        add_btn = gr.Button("加入索引", variant="primary", elem_id="add-report")
                        # choices are read when the page opens and after each change (reports added since
                        # the server started included); the server checks the id again
                        remove_id = gr.Dropdown(label="删除报告（选择 id）", choices=ids,
                                                allow_custom_value=True)
                        remove_btn = gr.Button("删除", variant="stop")
                with gr.Accordion("更正报告身份（单位、地区、年度）", open=False):
                    with gr.Row():
                        meta_id = gr.Dropdown(label="报告（选择 id）", choices=ids,
                                              allow_custom_value=True, elem_id="meta-id")
                        meta_body = gr.Textbox(label="单位", placeholder="如 杭州市上城区教育局（留空 = 不改）",
                                               elem_id="meta-body")
                        meta_place = gr.Textbox(label="地区", placeholder="如 上城区", elem_id="meta-place")
                        meta_region = gr.Textbox(label="上级地区", placeholder="如 杭州市", elem_id="meta-region")
                        meta_years = gr.Textbox(label="年度", placeholder="如 2024 或 2023,2024", elem_id="meta-years")
                    meta_btn = gr.Button("保存更正", elem_id="save-meta")
                manage_out = gr.HTML(elem_id="manage-out")

        outputs = [chatbot, sources, status]
        settings = [chatbot, profile, top_k, show_uncited, picked]
        msg.submit(add_user, [msg, chatbot], [msg, chatbot], queue=False, api_visibility="private").then(
            respond, settings, outputs, api_visibility="private", show_progress="hidden", concurrency_id="llm")
        for b in example_buttons:
            b.click(lambda q=b.value: q, None, msg, queue=False, api_visibility="private").then(
                add_user, [msg, chatbot], [msg, chatbot], queue=False, api_visibility="private").then(
                respond, settings, outputs, api_visibility="private", show_progress="hidden", concurrency_id="llm")
        widen.click(without_last_answer, chatbot, chatbot, queue=False, api_visibility="private").then(
            respond_widely, settings, outputs, api_visibility="private", show_progress="hidden", concurrency_id="llm")
        new_chat.click(lambda: ([], '<div class="src-empty">回答引用的段落会显示在这里。</div>', ""), None,
                       [chatbot, sources, msg], queue=False, api_visibility="private")

        def refreshed(kept=None):
            """The reports table, the removal choices and the chat's filter, read again (after an add or
            a removal, and when a page opens); picks of reports still indexed are kept."""
            catalog = service.catalog()
            rows, choices = service.reports_table(catalog), service.report_choices(catalog)
            ids = {value for _, value in choices}
            return (rows, gr.update(choices=[r[0] for r in rows], value=None),
                    gr.update(choices=choices, value=[d for d in kept or [] if d in ids]),
                    gr.update(choices=[r[0] for r in rows]))

        def do_add(paths, pw, progress=gr.Progress()):
            return service.add(paths, pw, progress)

        def do_remove(doc_id, pw, progress=gr.Progress()):
            return service.remove(doc_id, pw, progress)

        listed = [table, remove_id, picked, meta_id]
        add_btn.click(do_add, [upload, password], manage_out, api_visibility="private", concurrency_id="llm").then(
            refreshed, picked, listed, api_visibility="private")
        remove_btn.click(do_remove, [remove_id, password], manage_out, api_visibility="private",
                         concurrency_id="llm").then(refreshed, picked, listed, api_visibility="private")
        def do_correct(doc_id, body, place, region, years, pw, progress=gr.Progress()):
            return service.correct(doc_id, body, place, region, years, pw, progress)

        meta_btn.click(do_correct, [meta_id, meta_body, meta_place, meta_region, meta_years, password], manage_out,
                       api_visibility="private", concurrency_id="llm").then(refreshed, picked, listed,
                                                                            api_visibility="private")
        demo.load(service.status, None, status, api_visibility="private")
        demo.load(refreshed, None, listed, api_visibility="private", queue=False)
        timer = gr.Timer(2.0)
        timer.tick(lambda: (service.status(), gr.Timer(active=not service.answers.ready.is_set())), None,
                   [status, timer], api_visibility="private", queue=False)
        gr.api(api_ask, api_name="ask", concurrency_id="llm")
    demo.queue(default_concurrency_limit=1, max_size=MAX_QUEUE)
    return demo, service


def serve(config: Config, host: str = "127.0.0.1", port: int = 7860, block: bool = True, api: bool = False):
    """The chat at /, and with `api` the OpenAI-compatible API at /v1 in the same process, sharing the
    loaded models; every route behind the request limits (ui/limits.py)."""
    import uvicorn
    from fastapi import FastAPI

    from .api import create_app, with_limits

    demo, service = build_app(config)
    app = create_app(config, service.answers) if api else with_limits(FastAPI(title="报告问答"), config)
    gr.mount_gradio_app(app, demo, path="/", css=CSS, js=JS, theme=gr.themes.Soft(), show_error=True,
                        footer_links=["api"], max_file_size=f"{MAX_UPLOAD_MB}mb", server_name=host, server_port=port)
    demo.has_launched = True  # gradio checks that input files were uploaded only for a launched app; mounting skips it
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    if block:
        server.run()
    else:
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            threading.Event().wait(0.05)
    return demo, service
