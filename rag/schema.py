"""The things that flow between the steps, in one place every step imports.

load → structure → dedup → chunk → embed → index → retrieve → answer → cite: each step takes and
returns these plain dataclasses, so no step imports another just for its types.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .textnorm import PATH_SEP


LEVEL_WIDTH = {"国": 4, "省": 3, "市": 2, "州": 2, "区": 1, "县": 1, "旗": 1}  # 全国 over 全省 over 全市 …
LEVEL_SUFFIXES = "".join(LEVEL_WIDTH)  # 全国 … 全旗: the areas a report's figures are counted over
LEVEL_WORD = re.compile(rf"全[{LEVEL_SUFFIXES}]")  # 全市, 全区: the whole area a figure is counted over


def wider(level: str, than: str) -> bool:
    """Whether one level word counts a wider area than another (全市 than 全区)."""
    return LEVEL_WIDTH[level[-1]] > LEVEL_WIDTH[than[-1]]


@dataclass(frozen=True)
class ReportInfo:
    """Whose report this is: several reports of one genre (other districts, bodies, years) read
    alike, so every passage, answer and check carries its report's identity."""

    body: str = ""  # the issuing body, e.g. 杭州市教育局, 澄州市云溪区人民政府
    place: str = ""  # the most specific place it covers, e.g. 杭州市, 云溪区
    region: str = ""  # the place containing `place`, e.g. 澄州市 for 云溪区 ("" if none is named)
    years: tuple[int, ...] = ()  # the year(s) the report is about (not its publish year)
    published: str = ""
    title: str = ""
    # where each field was read from: (("body", "title"), ("years", "opening"), …); a field missing
    # here was not read (shown as "?"), or was set by hand ("corrected by hand")
    origin: tuple[tuple[str, str], ...] = ()

    def source_of(self, name: str) -> str:
        return dict(self.origin).get(name, "")

    def describe(self) -> str:
        """Each identity field with where it was read from; '?' for what was not read (never guessed):
        'body: 杭州市上城区人民政府 (title)  place: 上城区 (title)  region: 杭州市 (title)  years: 2024 (title)'."""
        values = {"body": self.body, "place": self.place, "region": self.region,
                  "years": ", ".join(map(str, self.years))}
        return "  ".join(f"{k}: {v or '?'}" + (f" ({self.source_of(k)})" if v and self.source_of(k) else "")
                         for k, v in values.items())

    @property
    def level(self) -> str:
        """The level word its own figures are counted at when a sentence names none: 全区 for a
        district's report, 全市 for a city's ("" when the place was not read)."""
        return f"全{self.place[-1]}" if self.place and self.place[-1] in LEVEL_SUFFIXES else ""

    @property
    def label(self) -> str:
        """A short header such as '杭州市教育局 · 2024年度', shown to the model and to people."""
        who = self.body or self.place or self.title[:24]
        when = "、".join(str(y) for y in self.years)
        return f"{who} · {when}年度" if who and when else who or (f"{when}年度" if when else "")

    def to_json(self) -> dict:
        return {"body": self.body, "place": self.place, "region": self.region, "years": list(self.years),
                "published": self.published, "title": self.title, "label": self.label, "origin": dict(self.origin)}

    @classmethod
    def from_json(cls, obj: dict | None) -> "ReportInfo":
        obj = obj or {}
        origin = obj.get("origin") if isinstance(obj.get("origin"), dict) else {}
        return cls(str(obj.get("body") or ""), str(obj.get("place") or ""), str(obj.get("region") or ""),
                   tuple(int(y) for y in obj.get("years") or ()), str(obj.get("published") or ""),
                   str(obj.get("title") or ""), tuple((str(k), str(v)) for k, v in origin.items()))


@dataclass(frozen=True)
class Document:
    """One report as read from disk."""

    doc_id: str  # content hash: stable across renames and rebuilds
    path: str
    title: str
    source: str
    published: str
    text: str
    sha256: str  # of the text: the same report in two formats is one report
    file_sha256: str = ""  # of the file's bytes: an unchanged file is not parsed again
    info: ReportInfo = field(default_factory=ReportInfo)


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of body text, with its place in the document."""

    doc_id: str
    text: str
    start: int  # character offset into Document.text
    end: int
    path: tuple[str, ...]

    @property
    def path_str(self) -> str:
        return PATH_SEP.join(self.path)


@dataclass(frozen=True)
class Location:
    """Where a passage's text occurs: a document and character offsets into its text."""

    doc_id: str
    start: int
    end: int


@dataclass
class ParagraphGroup:
    """One kept paragraph and every place its text (or a near copy) appears."""

    paragraph: Paragraph
    copies: list[Paragraph] = field(default_factory=list)


@dataclass(frozen=True)
class Passage:
    """The unit that is embedded, retrieved and cited."""

    id: str  # content hash of the normalised text: stable across rebuilds
    doc_id: str
    title: str
    path: str  # heading path, e.g. "一、… › (五)…"
    text: str
    start: int  # offsets into the first source document's text
    end: int
    sources: tuple[Location, ...]  # every place this text occurs (first = start/end above)
    scope: str = ""  # its report's label (ReportInfo.label): whose figures these are

    def embed_text(self) -> str:
        """What the embedder sees: the report's label and the heading path give a bare paragraph
        its owner and topic, so '云溪区…' in a question meets 云溪区's passages."""
        head = "".join(x for x in (f"【{self.scope}】" if self.scope else "", self.path) if x)
        return f"{head}\n{self.text}" if head else self.text

    def keyword_text(self) -> str:
        """What BM25 indexes: the same owner and topic words as the embedder sees."""
        return f"{self.scope} {self.path} {self.text}"

    @property
    def doc_ids(self) -> frozenset[str]:
        """Every report this text occurs in."""
        return frozenset(loc.doc_id for loc in self.sources) | {self.doc_id}


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float  # fused RRF score: only comparable within one question
    dense: float  # cosine similarity of question and passage
    keyword: float  # BM25 score (0 = no shared term)
    rank: int  # 1-based


@dataclass(frozen=True)
class Question:
    """A question as the conversation makes it: what was typed, what retrieval searches for (the
    question's own words first) and what the model is asked (standalone: a follow-up carries the
    body, place, year or topic it leaves out). Made by `followup.resolve`."""

    text: str
    query: str
    asked: str


@dataclass(frozen=True)
class ReportFilter:
    """Reports picked by hand (the chat's filter, the API's `reports`): by issuing body, year or doc
    id; an empty filter picks nothing out (every report)."""

    bodies: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    doc_ids: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.bodies or self.years or self.doc_ids)


@dataclass(frozen=True)
class Scope:
    """What a question is about, recognised against the indexed reports' identities.

    `doc_ids` None: the question names no body, place or year (any report may answer);
    an empty set with `uncovered`: it names something no indexed report covers.
    """

    doc_ids: frozenset[str] | None = None
    named: tuple[str, ...] = ()  # what the question named that matched ("云溪区", "2023年")
    uncovered: tuple[str, ...] = ()  # what it named that no report covers ("白沙县", "2022年")
    chosen: frozenset[str] | None = None  # the reports picked by hand (selection.py), if any

    def to_json(self) -> dict:
        return {"doc_ids": None if self.doc_ids is None else sorted(self.doc_ids), "named": list(self.named),
                "uncovered": list(self.uncovered), "chosen": None if self.chosen is None else sorted(self.chosen)}

    @property
    def restricted(self) -> bool:
        return self.doc_ids is not None


@dataclass(frozen=True)
class Retrieval:
    question: str
    hits: list[Hit]
    relevant: bool  # False: nothing in the reports is about this question
    seconds: float
    index_version: str
    scope: Scope = field(default_factory=Scope)


@dataclass(frozen=True)
class ContextItem:
    """A passage as the model sees it: its number, the hit, and the excerpt shown."""

    n: int
    hit: Hit
    excerpt: str


@dataclass(frozen=True)
class Citation:
    n: int  # the marker number as it appears in the answer text
    passage: Passage
    score: float


@dataclass(frozen=True)
class Evidence:
    """The report's own sentence most likely to hold the answer, picked without a model so it can
    be shown (labelled 原文) within a second, while the model is still reading."""

    passage: Passage
    text: str
    start: int  # offsets of the sentence in its report's text
    end: int
    score: float

    def to_json(self) -> dict:
        return {**passage_json(self.passage), "text": self.text, "start": self.start, "end": self.end}


ACTIONS = ("pass", "refuse", "withhold", "replace", "skip_judge", "overrule")


@dataclass(frozen=True)
class Decision:
    """One check's verdict on an answer, its reason on record: which check, what it did (ACTIONS),
    why in one Chinese line shown to people, and the value it read against its threshold."""

    check: str  # its name: gates.GATES, judge, checks/answer.py, clauses.CLAUSE_CHECKS, quote, no_context
    action: str
    reason: str
    value: float | None = None
    threshold: float | None = None
    figures: tuple[str, ...] = ()  # the figures it withheld, the names it found missing or uncovered, or how
    #                                a sentence said what is asked when the judge was skipped (words, meaning)

    def to_json(self) -> dict:
        out = {"check": self.check, "action": self.action, "reason": self.reason}
        if self.value is not None:
            out.update(value=round(self.value, 3), threshold=self.threshold)
        if self.figures:
            out["figures"] = list(self.figures)
        return out


@dataclass(frozen=True)
class Checked:
    """An answer after the citation check: as shown to people."""

    text: str
    refused: bool
    citations: list[Citation]
    unsupported_numbers: list[str]
    wrong_report_numbers: list[str] = field(default_factory=list)  # held only by a report the question did not ask about
    wrong_clause_numbers: list[str] = field(default_factory=list)  # taken from a clause about something else (dropped)
    echoed: bool = False  # refused because the model only restated the question
    affirmed: str = ""  # that restatement, when it affirms a yes/no question ("学校开放" for "学校开放吗？")
    decisions: tuple[Decision, ...] = ()  # what the answer checks did, in order


@dataclass
class Answer:
    question: str
    standalone_question: str  # the question as retrieved for (follow-ups rewritten)
    text: str
    refused: bool
    citations: list[Citation]
    hits: list[Hit]  # every retrieved passage, in rank order
    context: list[ContextItem]  # what the model saw, numbered [1]…[n]
    unsupported_numbers: list[str]
    timings_ms: dict[str, float] = field(default_factory=dict)
    index_version: str = ""
    wrong_report_numbers: list[str] = field(default_factory=list)  # another report's, level's or scope's (withheld)
    wrong_clause_numbers: list[str] = field(default_factory=list)  # taken from a clause about something else (withheld)
    evidence: Evidence | None = None  # shown first, before the model answers
    raw: str = ""  # what the model wrote, before the check (eval reports; not shown to people)
    decisions: list[Decision] = field(default_factory=list)  # every check that acted, in order, with its reason
    scope: tuple[str, ...] = ()  # the labels of the reports searched, when the question or a filter narrowed them
    cached: bool = False  # answered from the answer cache (no model call)

    @property
    def why(self) -> str:
        """The reason for a refusal (the check that refused), or for withheld figures; "" if none."""
        acted = [d for d in self.decisions if d.action == ("refuse" if self.refused else "withhold")]
        return acted[0].reason if acted else ""

    def decided(self, check: str) -> Decision | None:
        """The first decision of a check (None: it did not act)."""
        return next((d for d in self.decisions if d.check == check), None)

    def reasons(self) -> list[str]:
        """What people are told of the checks' decisions: why it was refused (unless its text says
        so already), figures a clause check withheld (the unsupported ones have their own note) and
        a quote put in place of the model's words."""
        if self.refused:
            return [self.why] if self.why and self.why.removeprefix("未作答：").rstrip("。") not in self.text else []
        return [d.reason for d in self.decisions
                if d.action == "replace" or d.action == "withhold" and d.check != "unsupported"]

    def to_json(self) -> dict:
        """The one JSON shape of an answer: `rag ask --json`, the chat's /ask and the API's `rag` field."""
        return {
            "question": self.question,
            "standalone_question": self.standalone_question,
            "answer": self.text,
            "refused": self.refused,
            "citations": [{"n": c.n, **passage_json(c.passage), "score": round(c.score, 4)} for c in self.citations],
            "unsupported_numbers": self.unsupported_numbers,
            "wrong_report_numbers": self.wrong_report_numbers,
            "wrong_clause_numbers": self.wrong_clause_numbers,
            "decisions": [d.to_json() for d in self.decisions],
            "scope": list(self.scope),
            "why": self.why,
            "cached": self.cached,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "index_version": self.index_version,
            "retrieved": [{"rank": h.rank, **passage_json(h.passage), "score": round(h.score, 4)} for h in self.hits],
            "evidence": self.evidence.to_json() if self.evidence else None,
        }


def passage_json(p: Passage) -> dict:
    """A passage as clients see it: `report` is whose it is (its report's label), `title` the
    report's title, start/end its offsets in that report's text."""
    return {"passage_id": p.id, "report": p.scope, "title": p.title, "section": p.path, "text": p.text,
            "start": p.start, "end": p.end}


@dataclass(frozen=True)
class Event:
    """kind: 'evidence' (data: Evidence; first, when the passages hold a likely sentence),
    'retrieved' (data: Retrieval), 'token' (data: str), 'answer' (data: Answer)."""

    kind: str
    data: object
