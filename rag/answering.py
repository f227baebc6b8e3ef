"""Answer a question: retrieve → (refuse early) → generate → check citations and numbers.

`Answerer.stream` yields events so a UI can show the passages before the first token and the
tokens as they come; `Answerer.answer` runs the same stream to the end for the CLI and the eval.
"""
from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections import OrderedDict
from dataclasses import replace
from typing import Iterator

from .answerability import judge, judge_shared
from .checks.asked import Asked
from .checks.gates import Pending, run_gates
from .checks.judge import judged
from .checks.repairs import quote_evidence
from .checks.thresholds import Thresholds
from .citations import check_answer
from .config import Config
from .errors import BadInput
from .evidence import best_evidence, by_meaning, similarity
from .generation import Generator
from .models import profile_spec
from .prompting import REFUSAL, build_messages, judge_messages, select_context, translation_messages
from .retrieval import Retriever
from .followup import resolve
from .schema import Answer, Checked, Decision, Event, Evidence, Question, ReportFilter, Retrieval, Scope
from .selection import chosen_reports, conflict, conflict_answer, narrow, scope_labels, searched
from .scoping import out_of_scope_answer, report_names
from .textnorm import HAN

def clean_question(question: str, max_chars: int) -> str:
    """Drop control characters and collapse whitespace; BadInput if nothing is left."""
    if not isinstance(question, str):
        raise BadInput("The question must be text.", zh="问题应为文字。")
    text = "".join(" " if unicodedata.category(c).startswith(("C", "Z")) else c for c in question)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise BadInput("The question is empty: type a question about the reports.", zh="请输入一个关于报告的问题。")
    if all(unicodedata.category(c).startswith(("P", "Z")) for c in text):
        # "？？？!!!" would otherwise be read as a follow-up of the previous turn and answered
        raise BadInput("The question has no words, only punctuation: type a question about the reports.",
                       zh="问题里只有标点，没有文字：请输入一个关于报告的问题。")
    return text[:max_chars]


def bounded_history(history, max_turns: int, max_chars: int) -> list[dict]:
    """The last `max_turns` {question, answer} pairs, each text cut to `max_chars`: what a follow-up
    is rewritten with costs time per character (retrieval reads the previous question), so no earlier
    turn may be longer than a question. Anything that is not such a pair is dropped."""
    if not isinstance(history, (list, tuple)):
        return []
    pairs = [h for h in history if isinstance(h, dict)][-max_turns:] if max_turns > 0 else []
    return [{"question": str(h.get("question") or "")[:max_chars], "answer": str(h.get("answer") or "")[:max_chars]}
            for h in pairs]


def is_foreign(text: str) -> bool:
    """Mostly Latin letters and no Chinese: the reports are Chinese, so retrieve with a translation."""
    letters = sum(c.isascii() and c.isalpha() for c in text)
    return not HAN.search(text) and letters >= max(6, 0.5 * len(text.replace(" ", "")))


class Answerer:
    def __init__(self, config: Config, retriever: Retriever, generator: Generator | None,
                 thresholds: Thresholds | None = None):
        self.config = config
        self.retriever = retriever
        self.generator = generator  # None: retrieval-only use
        self._thresholds = thresholds  # None: the profile's (a test passes its own table)
        self._cache: OrderedDict[tuple, tuple[Event, ...]] = OrderedDict()
        self._cache_lock = threading.Lock()

    def stream(self, question: str, history: list[dict] | None = None, top_k: int | None = None,
               reports: ReportFilter | None = None, widen: bool = False) -> Iterator[Event]:
        """Events: evidence (when found), retrieved, tokens, answer. A question answered before on
        the same index version and settings is answered from the cache (no model call). `reports`:
        the reports picked by hand (BadInput names a value no report has), met with the question's
        own scope (selection.py). `widen`: ignore the scope the question implies (every report, or
        every picked one), when a person asks for it."""
        t0 = time.perf_counter()
        question = clean_question(question, self.config.max_question_chars)
        version = self.retriever.refresh()
        chosen = chosen_reports(reports or ReportFilter(), version.reports)
        resolved = self.resolve(question, history)
        key = (version.version, repr(self.config), top_k or self.config.top_k, resolved.query, resolved.asked, chosen,
               widen)
        if (cached := self._cached(key)) is not None:
            yield from self._replay(cached, question, t0)
            return
        events = []
        for event in self._answer_events(question, resolved, top_k, t0, chosen, widen):
            if event.kind != "token":
                events.append(event)
            if event.kind == "answer":
                self._remember(key, tuple(events))  # before yielding: `answer` stops reading here
            yield event

    def _remember(self, key: tuple, events: tuple[Event, ...]) -> None:
        if self.generator is None or self.config.answer_cache <= 0:
            return
        with self._cache_lock:
            self._cache[key] = events
            while len(self._cache) > self.config.answer_cache:
                self._cache.popitem(last=False)

    def _cached(self, key: tuple) -> tuple[Event, ...] | None:
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        return None

    @staticmethod
    def _replay(events: tuple[Event, ...], question: str, t0: float) -> Iterator[Event]:
        """The cached events again, the answer with this asking's question and timings."""
        for event in events:
            if event.kind == "answer":
                ms = (time.perf_counter() - t0) * 1000
                event = Event("answer", replace(event.data, question=question, cached=True,
                                                timings_ms={"cache": ms, "first_token": ms, "total": ms}))
            yield event

    def _answer_events(self, question: str, resolved: Question, top_k: int | None, t0: float,
                       chosen: frozenset[str] | None = None, widen: bool = False) -> Iterator[Event]:
        """The steps in their order: retrieve (in the question's scope) → gates → judge → the model →
        the answer checks → the repairs; each decision is kept with its reason (`Answer.decisions`)."""
        query, asked = resolved.query, resolved.asked
        timings: dict[str, float] = {}
        translated, early = self.generator is not None and is_foreign(query), None
        if translated:
            # the embedder is multilingual: the report's sentence first, then the model's translation
            if (early := self.evidence_by_meaning(query, top_k)) is not None:
                timings["evidence"] = (time.perf_counter() - t0) * 1000
                yield Event("evidence", early)
            query = asked = self.translate(query)
            timings["translate"] = (time.perf_counter() - t0) * 1000
        scope = narrow(Scope() if widen else self.scope_of(question, asked), chosen)
        retrieval: Retrieval = self.retriever.search(query, top_k or self.config.top_k, searched(scope))
        timings["retrieve"] = retrieval.seconds * 1000
        reports = self.retriever.version.reports
        names = report_names(reports)
        years = tuple(sorted({y for info in reports.values() for y in info.years}))
        evidence = (best_evidence(retrieval.hits, asked, names, years) if retrieval.relevant and not scope.uncovered
                    else None)
        if evidence is not None and early is None:  # a translated question's sentence is already on screen
            timings["evidence"] = (time.perf_counter() - t0) * 1000
            yield Event("evidence", evidence)
        yield Event("retrieved", retrieval)
        analysed = Asked.of(asked, names)  # the one analysis every check reads
        context = (select_context(retrieval.hits, query, self.config.context_chars, self.config.passage_chars,
                                  self.factual_context_chars)
                   if retrieval.relevant else [])
        gate = run_gates(Pending(asked, scope, retrieval, context, self.retriever.min_dense, own_quotes=not translated))
        decisions = [gate] if gate is not None else []
        context = [] if gate is not None else context  # the model is not asked
        messages = self._messages(asked, context, len(reports) > 1)
        t1 = time.perf_counter()
        verdict = self._judged(analysed, context, evidence, messages, len(reports) > 1)
        if verdict is not None:
            decisions.append(verdict)
            if verdict.action != "skip_judge":  # the judge model was asked
                timings["judge"] = (time.perf_counter() - t1) * 1000
            context = [] if verdict.action == "refuse" else context
        raw = REFUSAL
        if context:
            raw = yield from self._generated(messages, timings, t0)
        checked = self._checked(raw, context, retrieval, evidence, analysed, scope, reports)
        decisions += checked.decisions  # what the answer checks did to the model's answer
        if checked.refused and not any(d.action == "refuse" for d in decisions):
            decisions.append(Decision("no_context", "refuse", "未作答：没有可供模型阅读的段落。"))
        timings.setdefault("first_token", (time.perf_counter() - t0) * 1000)
        timings["total"] = (time.perf_counter() - t0) * 1000
        yield Event("answer", Answer(question, query, checked.text, checked.refused, checked.citations,
                                     retrieval.hits, context, checked.unsupported_numbers, timings,
                                     retrieval.index_version, checked.wrong_report_numbers,
                                     checked.wrong_clause_numbers, evidence, raw, decisions,
                                     scope_labels(scope, reports)))

    def _messages(self, asked: str, context: list, labelled: bool) -> list[dict]:
        """The answer prompt (none without passages); `labelled`: several reports, so every
        passage says whose it is."""
        return build_messages(asked, context, self.spec.prompt_examples(labelled), labelled) if context else []

    def _generated(self, messages: list[dict], timings: dict, t0: float) -> Iterator[Event]:
        """The model's tokens as events; returns its whole text."""
        if self.generator is None:
            raise BadInput("No generator loaded: this Answerer only retrieves.")
        pieces = []
        for piece in self.generator.stream(messages, self.config.max_new_tokens):
            if not pieces:
                timings["first_token"] = (time.perf_counter() - t0) * 1000
            pieces.append(piece)
            yield Event("token", piece)
        return "".join(pieces)

    def _checked(self, raw: str, context: list, retrieval: Retrieval, evidence: Evidence | None, asked: Asked,
                 scope: Scope, reports: dict) -> Checked:
        """The answer checks and repairs on what the model wrote (`citations.check_answer`), the
        report's sentence in place of a failed answer (`quote_evidence`); a question about reports
        the index lacks, or outside the reports picked, is answered by saying so."""
        if not context:  # the model was not asked
            text = (out_of_scope_answer(scope, reports) if scope.uncovered
                    else conflict_answer(scope, reports) if conflict(scope) else REFUSAL)
            return Checked(text, True, [], [])
        shown, scores = [c.hit.passage for c in context], [c.hit.score for c in context]
        t = self.thresholds
        checked = check_answer(raw, shown, scores, asked, scope.doc_ids if scope.restricted else None, reports,
                               [h.passage for h in retrieval.hits], t)
        return quote_evidence(checked, evidence, shown, scores, asked, reports, t)

    def _judged(self, asked: Asked, context: list, evidence: Evidence | None, messages: list[dict],
                labelled: bool) -> Decision | None:
        """The judge gate (`checks/judge.py`): the judge model is asked only when no sentence the
        model reads says what is asked."""
        if self.generator is None:
            score = None
        elif self.shares_judge_prompt:
            score = lambda: judge_shared(self.generator, messages)  # noqa: E731
        else:
            score = lambda: judge(self.generator, asked.text, context, labelled, enough=self.judge_min,  # noqa: E731
                                  chars=self.factual_judge_chars)
        closeness = lambda: similarity(evidence, asked.text, self.retriever.embedder)  # noqa: E731
        return judged(asked, context, evidence, self.judge_min, score, closeness, self.thresholds)

    def evidence_by_meaning(self, question: str, top_k: int | None) -> Evidence | None:
        """The sentence closest in meaning to a question in another language, from the passages its
        own words retrieve (no translation yet); None when nothing relevant is found."""
        retrieval = self.retriever.search(question, top_k or self.config.top_k)
        return by_meaning(retrieval.hits, question, self.retriever.embedder) if retrieval.relevant else None

    def resolve(self, question: str, history: list[dict] | None) -> Question:
        """The question with what a follow-up leaves out taken from the conversation (`followup`),
        from a bounded history: the searched question is at most twice a question's length."""
        cfg = self.config
        resolved = resolve(question, bounded_history(history, cfg.max_history_turns, cfg.max_question_chars),
                           lambda text: self.retriever.scope(text).named)
        limit = 2 * cfg.max_question_chars
        return replace(resolved, query=resolved.query[:limit], asked=resolved.asked[:limit])

    def scope_of(self, question: str, asked: str) -> Scope:
        """The reports a question asks about: those its standalone form names (a follow-up's
        carried-over body and year included); a body, place or year no report covers is out of
        scope even when the conversation was about another."""
        own = self.retriever.scope(question)
        return own if asked == question or own.uncovered else self.retriever.scope(asked)

    @property
    def spec(self):
        return profile_spec(self.config.profile)

    @property
    def thresholds(self) -> Thresholds:
        """The answer checks' thresholds: the table given, else the profile's."""
        return self._thresholds or self.spec.thresholds

    @property
    def shares_judge_prompt(self) -> bool:
        """Whether the judge is asked at the end of the answer prompt (Config.shared_judge), which
        needs a threshold for its scale: the config's judge_min or the profile's shared_judge_min."""
        return self.config.shared_judge and (self.config.judge_min is not None or self.spec.shared_judge_min is not None)

    @property
    def factual_context_chars(self) -> int:
        """The context budget of a factual question: the config's, else the profile's."""
        chars = self.config.factual_context_chars
        return self.spec.factual_context_chars if chars is None else chars

    @property
    def factual_judge_chars(self) -> int:
        """The judge's excerpt of each passage for a factual question, in characters: the config's,
        else the profile's (0: the answer's excerpt)."""
        chars = self.config.factual_judge_chars
        return self.spec.factual_judge_chars if chars is None else chars

    @property
    def judge_min(self) -> float | None:
        """The refusal threshold of the judge: the config's, else the profile's (None: no judge)."""
        if self.config.judge_min is not None:
            return self.config.judge_min
        return self.spec.shared_judge_min if self.shares_judge_prompt else self.spec.judge_min

    def warm_up(self) -> None:
        """Evaluate the fixed start of the prompts (instructions, worked examples) once at start-up,
        so the first visitor does not pay for it: servers call this while loading. The KV cache then
        holds that prefix (bench.budget, default profile: first answer's first token 17.8 s → 11.7 s)."""
        if self.generator is None:
            return
        labelled = len(self.retriever.version.reports) > 1
        if self.judge_min is not None and not self.shares_judge_prompt:
            self.generator.yes_no(judge_messages("预热", "预热"))
        for _ in self.generator.stream(build_messages("预热", [], self.spec.prompt_examples(labelled), labelled), 1):
            pass

    def translate(self, question: str) -> str:
        """The question in Chinese (the model translates it); the original if that fails."""
        out = "".join(self.generator.stream(translation_messages(question), 64)).strip()
        line = out.splitlines()[0].strip(" \"'“”「」") if out else ""
        return line if HAN.search(line) else question

    def answer(self, question: str, history: list[dict] | None = None, top_k: int | None = None,
               reports: ReportFilter | None = None, widen: bool = False) -> Answer:
        for event in self.stream(question, history, top_k, reports, widen):
            if event.kind == "answer":
                return event.data
        raise RuntimeError("answer stream ended without an answer")
