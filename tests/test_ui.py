"""The web chat in a real browser (Debian's chromium via Playwright) and through gradio_client.

One server with the lite profile serves all tests here; its reports folder is a temporary copy,
so uploads never touch seeds/.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from servers import free_port, start, stop
from conftest import needs_models

from rag.config import PROJECT_ROOT

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
SCREENSHOT = PROJECT_ROOT / "docs" / "screenshot.png"


def _serve(root: Path, config) -> tuple:
    """`rag serve` of the config's profile on a copy of the seeds and of the session's index."""
    reports = root / "reports"
    shutil.copytree(PROJECT_ROOT / "seeds", reports)
    index_root = root / "index"
    shutil.copytree(config.index_root / config.profile, index_root / config.profile)
    port = free_port()
    env = {**os.environ, "RAG_SOURCE_DIR": str(reports), "RAG_INDEX_ROOT": str(index_root),
           "RAG_PROFILE": config.profile}
    url = f"http://127.0.0.1:{port}/"
    return start(["-m", "ui.cli", "serve", "--port", str(port)], env, root / "server.log", url, wait_s=120), url


@pytest.fixture(scope="module")
def server(tmp_path_factory, lite_config):
    proc, url = _serve(tmp_path_factory.mktemp("ui"), lite_config)
    yield url
    stop(proc)


@pytest.fixture(scope="module")
def default_server(tmp_path_factory, default_config):
    """The shipped profile: the 0.5B of `server` cannot tell 学校 from 中小学、幼儿园."""
    needs_models("default", generator=True)
    proc, url = _serve(tmp_path_factory.mktemp("ui-default"), default_config)
    yield url
    stop(proc)


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: apt-get install chromium (.ci/run does it)"
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


def _ask(page, question: str) -> float:
    """Type a question; return seconds until the source cards showed. Waits for the full answer."""
    before = page.locator("#chat .meta").count()
    page.fill("#question textarea", question)
    start = time.time()
    page.keyboard.press("Enter")
    page.wait_for_selector("#sources .src-card", timeout=120_000)
    shown = time.time() - start
    page.wait_for_function(
        f"document.querySelectorAll('#chat .meta:not(.pending)').length > {before} && "
        "!document.querySelector('#chat .meta.pending')", timeout=180_000)
    return shown


def _last_answer(page) -> str:
    return page.locator("#chat .answer, #chat .refusal").last.inner_text()


def test_chat_answers_with_citations_and_follow_up(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    page.wait_for_selector("#question textarea")
    page.wait_for_function("document.querySelector('#status').innerText.includes('已就绪')", timeout=180_000)

    page.fill("#question textarea", "全市共聘任了多少名法治副校长？")
    page.keyboard.press("Enter")
    page.wait_for_selector("#sources .src-card", timeout=60_000)
    # the passages are on screen while the answer is still being generated
    assert page.locator("#chat .meta.pending").count() == 1
    page.wait_for_function("!document.querySelector('#chat .meta.pending')", timeout=180_000)
    assert "1237" in _last_answer(page)
    card = page.locator("#sources .src-card.cited").first
    assert "1237名法治副校长" in card.inner_text()
    assert "1237" in card.locator("mark").first.inner_text() or "1237" in card.locator("mark.cited").inner_text()
    if os.environ.get("RAG_UPDATE_SCREENSHOT"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))
    # clicking the marker brings its card into view
    page.locator("#chat a.cite").first.click()
    page.wait_for_selector("#sources .src-card.flash", timeout=5_000)
    # the answer's copy button copies its text with the [n] markers, not the bubble's HTML
    page.evaluate("() => { window.__copied = []; navigator.clipboard.writeText = (text) => "
                  "{ window.__copied.push(text); return Promise.resolve(); }; }")
    page.locator("#chat .bot-row").last.hover()
    page.locator("#chat .bot-row + .message-buttons button").last.click()
    page.wait_for_function("window.__copied.length > 0", timeout=5_000)
    copied = page.evaluate("window.__copied")
    assert copied == [_last_answer(page).strip()] and "1237" in copied[0] and "[" in copied[0] and "<" not in copied[0]

    _ask(page, "今年全市新建成了多少所中小学、幼儿园？")
    assert "96" in _last_answer(page)
    _ask(page, "那新增了多少学位？")
    assert "新增了多少学位" in page.locator("#chat .rewritten").last.inner_text()
    assert "10.09万" in _last_answer(page)
    assert "新增学位10.09万个" in page.locator("#sources").inner_text()

    page.click("#new-chat")
    page.wait_for_function("document.querySelectorAll('#chat .answer').length == 0")
    page.close()


def test_the_reports_sentence_shows_before_the_answer_and_a_repeated_example_is_instant(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    page.wait_for_selector("#question textarea")
    page.wait_for_function("document.querySelector('#status').innerText.includes('已就绪')", timeout=180_000)
    # record what the bubble held when the 原文 sentence first appeared
    page.evaluate("""() => {
      window.__evidence = null;
      new MutationObserver(() => {
        const ev = document.querySelector('#chat .evidence');
        if (window.__evidence === null && ev) {
          const answers = document.querySelectorAll('#chat .answer');
          window.__evidence = {text: ev.innerText, answer: answers.length ? answers[answers.length - 1].innerText : ''};
        }
      }).observe(document.body, {childList: true, subtree: true, characterData: true});
    }""")
    example = page.locator("button.example", has_text="清膳E家")
    done = ("n => document.querySelectorAll('#chat .meta:not(.pending)').length > n && "
            "!document.querySelector('#chat .meta.pending')")
    example.click()
    page.wait_for_function("window.__evidence !== null", timeout=60_000)
    seen = page.evaluate("window.__evidence")
    assert "原文" in seen["text"] and "清膳E家" in seen["text"] and seen["answer"].strip() == ""
    page.wait_for_function(done, arg=0, timeout=180_000)
    first, before = _last_answer(page), page.locator("#chat .meta:not(.pending)").count()
    start = time.time()
    example.click()  # the same example again: answered from the cache
    page.wait_for_function(done, arg=before, timeout=60_000)
    assert time.time() - start < 5
    assert _last_answer(page) == first and "缓存" in page.locator("#chat .meta").last.inner_text()
    page.close()


def test_a_new_subject_after_na_is_a_new_question(default_server, browser):
    """The README's follow-up example used to answer 1237 again: the rewrite glued the previous
    question in front of this one."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(default_server)
    page.wait_for_selector("#question textarea", timeout=300_000)
    page.wait_for_function("document.querySelector('#status').innerText.includes('已就绪')", timeout=300_000)
    _ask(page, "全市共聘任了多少名法治副校长？")
    assert "1237" in _last_answer(page)
    _ask(page, "那新建了多少所学校？")
    assert "96" in _last_answer(page) and "1237" not in _last_answer(page)
    assert "96所" in page.locator("#sources .src-card.cited").first.inner_text()
    page.close()


def test_off_topic_question_is_a_refusal_not_an_error(server, browser):
    page = browser.new_page()
    page.goto(server)
    page.wait_for_selector("#question textarea")
    _ask(page, "如何做红烧肉？")
    assert "报告中没有找到" in page.locator("#chat .refusal").last.inner_text()
    assert page.locator("#chat .warn").count() == 0
    page.close()


def test_uploaded_report_is_answerable_and_its_html_is_text(server, browser, tmp_path):
    report = tmp_path / "示例区教育局2024年工作报告.txt"
    report.write_text(
        "示例区教育局2024年工作报告\n\n一、主要工作\n\n"
        "(一)建设智慧食堂。全区共建成智慧食堂37个,覆盖学生2.6万名。<script>window.__xss=1</script>"
        "<img src=x onerror=\"window.__xss=1\">\n", encoding="utf-8")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    page.get_by_role("tab", name="报告").click()
    page.set_input_files("#upload input[type=file]", str(report))
    page.click("#add-report")
    page.wait_for_function("document.querySelector('#manage-out').innerText.includes('已索引')", timeout=180_000)
    page.wait_for_function("document.querySelector('#reports-table').innerText.includes('示例区教育局2024年工作报告')",
                           timeout=30_000)
    table = page.locator("#reports-table").inner_text()
    assert all(column in table for column in ("单位", "地区", "年度", "杭州市教育局"))
    page.get_by_role("tab", name="对话").click()
    _ask(page, "示例区建成了多少个智慧食堂？")
    assert "37" in _last_answer(page)
    sources = page.locator("#sources").inner_text()
    assert "<script>window.__xss=1</script>" in sources  # shown as text, not run
    assert page.evaluate("window.__xss") is None
    page.close()


def _pick(page, label: str) -> None:
    """Choose one report in the chat's filter (a gradio multiselect)."""
    page.click("#report-filter input")
    page.get_by_role("option", name=label).click()
    page.keyboard.press("Escape")
    page.wait_for_function(f"document.querySelector('#report-filter').innerText.includes({json.dumps(label)})")


def test_the_report_filter_picks_what_is_asked_and_errors_speak_chinese(server, browser, tmp_path):
    report = tmp_path / "样例区教育局2024年度法治政府建设工作报告.txt"
    report.write_text("样例区教育局2024年度法治政府建设工作报告\n\n一、主要工作\n\n"
                      "(一)深化法治教育。全区共聘任法治副校长48名,建成智慧食堂21个。\n", encoding="utf-8")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    page.wait_for_selector("#question textarea")
    page.wait_for_function("document.querySelector('#status').innerText.includes('已就绪')", timeout=180_000)
    page.get_by_role("tab", name="报告").click()
    page.set_input_files("#upload input[type=file]", str(report))
    page.click("#add-report")
    page.wait_for_function("document.querySelector('#manage-out').innerText.includes('已索引')", timeout=180_000)
    page.get_by_role("tab", name="对话").click()

    # one report picked: the answer and every source card come from it alone
    _pick(page, "样例区教育局 · 2024年度")
    _ask(page, "共聘任了多少名法治副校长？")
    assert "48" in _last_answer(page) and "1237" not in _last_answer(page)
    cards = page.locator("#sources .src-card").all_inner_texts()
    assert cards and all("样例区教育局" in c and "杭州市教育局" not in c for c in cards)
    assert "范围：样例区教育局 · 2024年度" in page.locator("#chat .scope-chip").last.inner_text()
    if os.environ.get("RAG_UPDATE_SCREENSHOT"):
        page.screenshot(path=str(SCREENSHOT.with_name("filter.png")))
    # picked 样例区, asked about 杭州: nothing in common, said with both
    _ask(page, "杭州市教育局2024年共聘任了多少名法治副校长？")
    refusal = page.locator("#chat .refusal").last.inner_text()
    assert "所选的报告（样例区教育局 · 2024年度）" in refusal and "杭州市教育局" in refusal and "1237" not in refusal
    # gradio's own fixed English messages (a full queue's) are said in Chinese where they show
    page.evaluate("() => { const d = document.createElement('div'); d.id = 'probe'; "
                  "d.textContent = 'This application is currently busy. Please try again. '; document.body.append(d); }")
    page.wait_for_function("document.querySelector('#probe').innerText.includes('服务繁忙')")
    # an error speaks Chinese
    page.fill("#question textarea", "？？？")
    page.keyboard.press("Enter")
    page.wait_for_selector("#chat .warn", timeout=60_000)
    assert "只有标点" in page.locator("#chat .warn").last.inner_text()

    # correct its identity in the 报告 tab: the next answer carries the new label
    page.get_by_role("tab", name="报告").click()
    page.wait_for_function("document.querySelector('#reports-table').innerText.includes('样例区教育局')")
    table = page.locator("#reports-table").inner_text()
    doc_id = re.search(r"([0-9a-f]{12})\s+样例区教育局", table).group(1)
    page.get_by_text("更正报告身份").click()
    page.click("#meta-id input")
    page.get_by_role("option", name=doc_id).click()
    page.fill("#meta-years textarea, #meta-years input", "2023")
    page.click("#save-meta")
    page.wait_for_function("document.querySelector('#manage-out').innerText.includes('已更正')", timeout=180_000)
    assert "2023 (corrected by hand)" in page.locator("#manage-out").inner_text()
    page.get_by_role("tab", name="对话").click()
    page.wait_for_selector("#question textarea", state="visible")
    page.click("#new-chat")  # else the question is a follow-up of the one about 杭州市教育局 2024
    page.wait_for_function("document.querySelectorAll('#chat .answer, #chat .refusal').length == 0")
    _ask(page, "共聘任了多少名法治副校长？")
    assert "范围：样例区教育局 · 2023年度" in page.locator("#chat .scope-chip").last.inner_text()
    assert "样例区教育局2023年度报告" in _last_answer(page)  # the figure is attributed under the new label
    page.close()

    # no filter: the question's own scope shows as a chip, and 扩大到全部报告 asks again over everything
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    page.wait_for_selector("#question textarea")
    _ask(page, "杭州市教育局共聘任了多少名法治副校长？")
    assert "范围：杭州市教育局 · 2024年度" in page.locator("#chat .scope-chip").last.inner_text()
    chips = page.locator("#chat .scope-chip").count()
    page.click("#widen")
    page.wait_for_function("!document.querySelector('#chat .meta.pending') && "
                           "document.querySelectorAll('#chat .answer, #chat .refusal').length == 1 && "
                           f"document.querySelectorAll('#chat .scope-chip').length == {chips - 1}", timeout=180_000)
    assert page.locator("#chat .answer, #chat .refusal").count() == 1  # the answer replaced, not added
    page.close()


def test_gradio_client_returns_answer_and_citations(server):
    from gradio_client import Client

    client = Client(server, verbose=False)
    result = client.predict("全市共聘任了多少名法治副校长？", "[]", 4, api_name="/ask")
    assert "1237" in result["answer"] and not result["refused"]
    assert any("1237" in c["text"] for c in result["citations"])
    follow = client.predict("那新增了多少学位？",
                            json.dumps([{"question": "2024年新建了多少所中小学和幼儿园？", "answer": "96所"}]), 4,
                            api_name="/ask")
    assert follow["standalone_question"] != follow["question"]


def test_concurrent_questions_are_queued_not_dropped(server):
    from gradio_client import Client

    client = Client(server, verbose=False)
    jobs = [client.submit("全市共聘任了多少名法治副校长？", "[]", 3, api_name="/ask") for _ in range(3)]
    answers = [job.result(timeout=300) for job in jobs]
    assert all("1237" in a["answer"] for a in answers)
