"""HTML for the chat: answers with citation links, and source cards. Pure functions, no Gradio.

Report text and model output are untrusted: every piece is escaped with `html.escape` before our
own markup is added around it, so a report containing `<script>` or `<img onerror>` shows as text.
"""
from __future__ import annotations

import html
import json
import re

from rag.citations import withheld_note
from rag.schema import Answer, Evidence, Hit
from rag.textnorm import MARKER, NUMBER, PATH_SEP, char_bigrams, numbers_with_units, sentences



def esc(text: str) -> str:
    return html.escape(text or "", quote=True)


def _mark_numbers(escaped: str, numbers: list[str], css: str, title: str) -> str:
    """Wrap the given numbers (as numbers_with_units writes them) in <mark> inside escaped text."""
    if not numbers:
        return escaped
    wanted = set(numbers)

    def wrap(m: re.Match) -> str:
        full = m.group()
        unit = escaped[m.end():m.end() + 1]
        key = full.replace(",", "") + (unit if unit in "万亿千百%" and unit else "")
        if key in wanted or full.replace(",", "") in wanted:
            return f'<mark class="{css}" title="{esc(title)}">{full}</mark>'
        return full

    return NUMBER.sub(wrap, escaped)


def answer_html(answer: Answer, turn: int) -> str:
    """The answer bubble: text with [n] links to source cards, a note on withheld figures,
    the rewritten question and the timings in small print."""
    body = (f'<div class="scope-chip">范围：{esc("、".join(answer.scope))} · 可“扩大到全部报告”</div>'
            if answer.scope else "")
    if answer.refused:
        body += f'<div class="refusal">{esc(answer.text)}</div>'
        if answer.hits:
            body += '<div class="meta">右侧列出了最接近的段落，供参考。</div>'
    else:
        body += evidence_html(answer.evidence)
        text = MARKER.sub(lambda m: f'<a class="cite" href="#src-{turn}-{m.group(1)}">[{m.group(1)}]</a>', esc(answer.text))
        body += f'<div class="answer">{text}</div>'
    if answer.unsupported_numbers:
        body += f'<div class="warn">{esc(withheld_note(answer.unsupported_numbers))}</div>'
    body += "".join(f'<div class="why">{esc(reason)}</div>' for reason in answer.reasons())
    if answer.standalone_question != answer.question:
        body += f'<div class="rewritten">按“{esc(answer.standalone_question)}”检索</div>'
    t = answer.timings_ms
    if answer.cached:
        body += f'<div class="meta cached">同一问题的已有回答（缓存）· 总计 {t.get("total", 0) / 1000:.1f} s</div>'
    else:
        body += (f'<div class="meta">检索 {t.get("retrieve", 0):.0f} ms · 首字 {t.get("first_token", 0) / 1000:.1f} s · '
                 f'总计 {t.get("total", 0) / 1000:.1f} s</div>')
    return body


def evidence_html(evidence: Evidence | None) -> str:
    """The report's own sentence, shown (labelled 原文) before the model's first word."""
    if evidence is None:
        return ""
    where = "".join(f"<span>{esc(x)}</span>" for x in (evidence.passage.scope, evidence.passage.path) if x)
    return (f'<div class="evidence"><span class="label">原文</span>{esc(evidence.text)}'
            f'<div class="where">{where}</div></div>')


def pending_html(text_so_far: str, state: str = "正在生成…", evidence: Evidence | None = None) -> str:
    return (f'{evidence_html(evidence)}<div class="answer">{esc(text_so_far)}</div>'
            f'<div class="meta pending">{esc(state)}</div>')


def _highlight(passage_text: str, answer_text: str) -> str:
    """Escaped passage with the sentences that hold the answer's numbers (or its words) marked."""
    numbers = set(numbers_with_units(MARKER.sub("", answer_text)))
    parts = sentences(passage_text) or [passage_text]
    chosen = {i for i, s in enumerate(parts) if numbers & set(numbers_with_units(s))}
    if not chosen and answer_text:
        grams = char_bigrams(answer_text)
        scores = [len(grams & char_bigrams(s)) for s in parts]
        if max(scores, default=0) >= 3:
            chosen = {scores.index(max(scores))}
    out = []
    for i, s in enumerate(parts):
        piece = _mark_numbers(esc(s), sorted(numbers), "num", "答案中的数字") if i in chosen else esc(s)
        out.append(f'<mark class="cited">{piece}</mark>' if i in chosen else piece)
    rest = passage_text[sum(len(s) for s in parts):]
    return "".join(out) + esc(rest)


def _card(hit: Hit, label: str, card_id: str, body: str, css: str) -> str:
    p = hit.passage
    where = PATH_SEP.join(x for x in (p.title, p.path) if x)
    return (f'<div class="src-card {css}" id="{card_id}"><div class="src-head"><b>{esc(label)}</b> {esc(where)}'
            f'<span class="score">相似度 {hit.dense:.2f}</span></div><div class="src-text">{body}</div></div>')


def sources_html(answer: Answer | None, hits: list[Hit], turn: int, show_uncited: bool = True, waiting: bool = False) -> str:
    """Cited passages as cards (id src-<turn>-<n>), the other retrieved ones folded below."""
    if not hits:
        return '<div class="src-empty">还没有检索到段落。</div>'
    cards, cited_ids = [], set()
    if answer is not None and not answer.refused:
        for c in answer.citations:
            cited_ids.add(c.passage.id)
            hit = next((h for h in hits if h.passage.id == c.passage.id), None)
            if hit is not None:
                cards.append(_card(hit, f"[{c.n}]", f"src-{turn}-{c.n}", _highlight(hit.passage.text, answer.text), "cited"))
    title = "正在生成答案，先看检索到的段落：" if waiting else (
        "最接近的段落：" if answer is not None and answer.refused else "其他检索到的段落")
    rest = [h for h in hits if h.passage.id not in cited_ids]
    if rest and (show_uncited or waiting or (answer is not None and answer.refused)):
        inner = "".join(_card(h, f"#{h.rank}", f"hit-{turn}-{h.rank}", esc(h.passage.text), "uncited") for h in rest)
        opened = " open" if waiting or not cards else ""
        cards.append(f'<details class="uncited"{opened}><summary>{esc(title)}（{len(rest)}）</summary>{inner}</details>')
    return "".join(cards)


CSS = """
#sources .src-card{border:1px solid var(--border-color-primary);border-radius:8px;padding:8px 10px;margin:8px 0;background:var(--background-fill-secondary)}
#sources .src-card.cited{border-left:4px solid #2f7d32}
#sources .src-card.flash{outline:3px solid #f0a020}
#sources .src-head{font-size:0.85em;color:var(--body-text-color-subdued);margin-bottom:4px}
#sources .score{float:right;font-size:0.8em}
#sources .src-text{font-size:0.95em;line-height:1.6}
#sources mark.cited{background:#fff3b0;color:inherit}
#sources mark.num{background:#ffd54f;font-weight:bold;color:inherit}
.answer a.cite{font-size:0.8em;vertical-align:super;text-decoration:none;font-weight:bold}
.evidence{padding:6px 10px;margin-bottom:6px;border-left:4px solid #f0a020;background:#fff8e1;color:#3e2723;line-height:1.6}
.evidence .label{font-size:0.75em;font-weight:bold;color:#8d6e00;margin-right:6px}
.evidence .where{font-size:0.75em;color:#795548}
.evidence .where span+span::before{content:" · "}
.refusal{padding:6px 10px;border-left:4px solid #9e9e9e;background:var(--background-fill-secondary)}
.warn{color:#c62828;font-size:0.85em;margin-top:4px}
.why{color:var(--body-text-color-subdued);font-size:0.85em;margin-top:4px}
.scope-chip{display:inline-block;font-size:0.8em;padding:1px 8px;margin-bottom:4px;border-radius:10px;
  background:var(--background-fill-secondary);color:var(--body-text-color-subdued)}
.rewritten,.meta{font-size:0.78em;color:var(--body-text-color-subdued);margin-top:4px}
.meta.pending::after{content:" …"}
"""

# Clicking a [n] marker brings its source card into view (the page's <base> would otherwise navigate).
# A message's copy button copies the answer as people read it, text with its [n] markers: Gradio's
# own would copy the bubble's HTML (this runs first, in the capture phase, and stops it).
JS = """() => {
  document.addEventListener('click', (e) => {
    const a = e.target.closest('a.cite');
    if (!a) return;
    e.preventDefault();
    const card = document.getElementById(a.getAttribute('href').slice(1));
    if (!card) return;
    card.scrollIntoView({behavior: 'smooth', block: 'center'});
    card.classList.add('flash');
    setTimeout(() => card.classList.remove('flash'), 1600);
  });
  document.addEventListener('click', (e) => {
    const button = e.target.closest('#chat button');
    if (!button || !/copy|复制/i.test(button.getAttribute('aria-label') || button.title || '')) return;
    let row = button.closest('.message-buttons');  // follows the message it belongs to
    while (row && !row.classList.contains('message-row')) row = row.previousElementSibling;
    const shown = row && (row.querySelector('.answer, .refusal') || row.querySelector('.warn'));
    if (!shown) return;  // the user's own message: Gradio copies its text
    e.preventDefault();
    e.stopImmediatePropagation();
    const text = shown.innerText.trim();
    if (navigator.clipboard) {
      navigator.clipboard.writeText(text);
    } else {  // not a secure context (plain http to another host)
      const area = document.createElement('textarea');
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    button.style.opacity = '0.4';
    setTimeout(() => { button.style.opacity = ''; }, 800);
  }, true);
  // gradio's own messages are fixed English strings in its page (a full queue: "This application is
  // currently busy…"); the chat speaks Chinese, so they are said again in Chinese where they show
  const CHINESE = GRADIO_MESSAGES;
  const say = (text) => { const said = CHINESE[text.nodeValue.trim()]; if (said) text.nodeValue = said; };
  const translate = (node) => {
    if (node.nodeType === Node.TEXT_NODE) return say(node);
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) say(t);
  };
  new MutationObserver((changes) => changes.forEach((c) => c.addedNodes.forEach(translate)))
    .observe(document.body, {childList: true, subtree: true});
}"""
# gradio's page's own English messages, said in Chinese (ui/render.py's JS replaces them where they show)
GRADIO_MESSAGES = {
    "This application is currently busy. Please try again.": "服务繁忙：已有问题在排队，请稍后再问。",
    "Connection errored out.": "连接中断：请刷新页面后再试。",
    "Error": "出错了",
}
JS = JS.replace("GRADIO_MESSAGES", json.dumps(GRADIO_MESSAGES, ensure_ascii=False))
