"""Golden replay: what the answer checks read in a real eval run, recorded, and the checks run on it
again without any model, so that every change to a rule shows up as a diff in review.

Recording wraps the three model boundaries of an `Answerer` (retrieval's search, the embedder, the
generator) and keeps, per eval item, every call and its result: the passages found, the vectors,
the judge's scores, the model's raw text. Replay builds an `Answerer` over the same recordings and
runs the real code between them: follow-ups, scoping, the early refusals, the judge's threshold and
its skips, the citation, number and clause checks, the quotes. A changed rule that asks a model
something the recording does not hold (a new prompt, another scope's search) is a diff of its own:
those items need a new recording (`rag eval --record`).

Two files per set, in tests/golden/: `<set>.jsonl` (readable: one line per item with what it showed,
the lines a rule change rewrites with `rag replay --update`) and `<set>.tape.jsonl.gz` (the shelf
of reports and passages, then each item's recorded calls).
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from .answering import Answerer
from .checks.thresholds import Thresholds
from .config import Config
from .retrieval import Retriever
from .schema import Answer, Hit, Location, Passage, ReportInfo, Retrieval, Scope

FORMAT = 1


class ReplayMiss(Exception):
    """The code under replay asked a model boundary something the recording does not hold."""


def _key(*parts) -> str:
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


def _vec_out(v) -> str:
    return base64.b64encode(np.asarray(v, dtype="<f4").tobytes()).decode("ascii")


def _vec_in(s: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(s), dtype="<f4").copy()


def _scope_key(scope: Scope | None) -> list | None:
    return None if scope is None or not scope.restricted else sorted(scope.doc_ids)


@dataclass
class Tape:
    """One item's recorded calls, keyed by what was asked."""

    search: dict[str, dict] = field(default_factory=dict)
    generate: dict[str, str] = field(default_factory=dict)
    yes_no: dict[str, float] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)  # embedded questions (base64 float32)
    document: dict[str, str] = field(default_factory=dict)  # embedded sentences

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v}

    @classmethod
    def from_json(cls, obj: dict) -> "Tape":
        return cls(**{k: dict(obj.get(k) or {}) for k in cls.__dataclass_fields__})


# ---------------------------------------------------------------- recording


class _RecordingGenerator:
    def __init__(self, inner, recorder: "Recorder"):
        self.inner, self.recorder = inner, recorder

    def stream(self, messages, max_tokens) -> Iterator[str]:
        pieces = []
        for piece in self.inner.stream(messages, max_tokens):
            pieces.append(piece)
            yield piece
        self.recorder.tape.generate[_key(messages, max_tokens)] = "".join(pieces)

    def yes_no(self, messages) -> float:
        score = self.inner.yes_no(messages)
        self.recorder.tape.yes_no[_key(messages)] = float(score)
        return score


class _RecordingEmbedder:
    def __init__(self, inner, recorder: "Recorder"):
        self.inner, self.recorder = inner, recorder
        self.id, self.dim = inner.id, inner.dim

    def embed_documents(self, texts, progress=None):
        vectors = self.inner.embed_documents(texts, progress)
        for text, v in zip(texts, vectors):
            self.recorder.tape.document[text] = _vec_out(v)
        return vectors

    def embed_query(self, text):
        v = self.inner.embed_query(text)
        self.recorder.tape.query[text] = _vec_out(v)
        return v


class _RecordingRetriever:
    """The live retriever, its searches recorded; the embedder the answerer reads is recorded too."""

    def __init__(self, inner: Retriever, recorder: "Recorder"):
        self.inner, self.recorder = inner, recorder
        self.embedder = _RecordingEmbedder(inner.embedder, recorder)

    def __getattr__(self, name):  # refresh, current, version, scope: the live retriever's own
        return getattr(self.inner, name)

    def search(self, question: str, top_k: int, scope: Scope | None = None) -> Retrieval:
        found = self.inner.search(question, top_k, scope)
        self.recorder.tape.search[_key(question, top_k, _scope_key(scope))] = {
            "hits": [[h.passage.id, h.score, h.dense, h.keyword, h.rank] for h in found.hits],
            "relevant": found.relevant, "version": found.index_version}
        return found


def _passage_json(p: Passage) -> dict:
    return {"id": p.id, "doc_id": p.doc_id, "title": p.title, "path": p.path, "text": p.text, "start": p.start,
            "end": p.end, "sources": [[s.doc_id, s.start, s.end] for s in p.sources], "scope": p.scope}


def _passage_from(obj: dict) -> Passage:
    return Passage(obj["id"], obj["doc_id"], obj["title"], obj["path"], obj["text"], obj["start"], obj["end"],
                   tuple(Location(*s) for s in obj["sources"]), obj["scope"])


def shown(answer: Answer) -> dict:
    """What an answer showed people, as the golden file keeps it: the lines a replay compares."""
    return {"text": answer.text, "refused": answer.refused,
            "citations": [[c.n, c.passage.id] for c in answer.citations],
            "unsupported": list(answer.unsupported_numbers), "wrong_report": list(answer.wrong_report_numbers),
            "wrong_clause": list(answer.wrong_clause_numbers),
            "evidence": answer.evidence.text if answer.evidence else None,
            "decisions": [d.to_json() for d in answer.decisions]}


class Recorder:
    """Wraps an answerer's model boundaries; `begin` before each item, `end` after it."""

    def __init__(self, answerer: Answerer, set_name: str):
        self.tape = Tape()
        self.set_name = set_name
        self.answerer = answerer
        answerer.config = answerer.config.with_(answer_cache=0)  # every item asks its models
        answerer.retriever = _RecordingRetriever(answerer.retriever, self)
        if answerer.generator is not None:
            answerer.generator = _RecordingGenerator(answerer.generator, self)
        self.items: list[tuple[dict, dict]] = []  # (expectation line, tape line)

    def begin(self) -> None:
        self.tape = Tape()

    def end(self, item, answer: Answer, top_k: int) -> None:
        self.items.append(({"id": item.id, "question": item.question, **shown(answer)},
                           {"id": item.id, "question": item.question, "history": item.history, "top_k": top_k,
                            "tape": self.tape.to_json()}))

    def write(self, expect_path: Path, commit: str = "") -> Path:
        """`<set>.jsonl` at expect_path and `<set>.tape.jsonl.gz` beside it; returns the tape's path."""
        version = self.answerer.retriever.refresh()
        head = {"golden": FORMAT, "set": self.set_name, "profile": self.answerer.config.profile, "commit": commit,
                "version": version.version,
                "reports": {d: info.to_json() for d, info in version.reports.items()},
                "passages": [_passage_json(p) for p in version.passages]}
        expect_path.parent.mkdir(parents=True, exist_ok=True)
        _write_lines(expect_path, [e for e, _ in self.items])
        tape_path = tape_path_of(expect_path)
        with gzip.open(tape_path, "wt", encoding="utf-8", compresslevel=9) as f:
            for obj in [head] + [t for _, t in self.items]:
                f.write(json.dumps(obj, ensure_ascii=False) + "\n")
        return tape_path


def tape_path_of(expect_path: Path) -> Path:
    return expect_path.with_name(expect_path.name.removesuffix(".jsonl") + ".tape.jsonl.gz")


def _write_lines(path: Path, objs: list[dict]) -> None:
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs), encoding="utf-8")


# ---------------------------------------------------------------- replaying


class _Version:
    """The indexed shelf as recorded: what scoping reads (reports, passages) and the version's name."""

    def __init__(self, head: dict):
        self.version = head["version"]
        self.passages = [_passage_from(p) for p in head["passages"]]
        self.by_id = {p.id: p for p in self.passages}
        self._reports = {d: ReportInfo.from_json(info) for d, info in head["reports"].items()}

    @property
    def reports(self) -> dict[str, ReportInfo]:
        return self._reports


class _ReplayRetriever(Retriever):
    """The real Retriever's scoping over the recorded shelf; searches answered from the tape."""

    def __init__(self, version: _Version, holder: "_Holder", min_dense: float = 0.0):
        self.index_dir = Path("<replay>")
        self.embedder = _ReplayEmbedder(holder)
        self.min_dense, self.min_keyword_share = min_dense, 0.5
        self._state = (version, None)
        self.holder = holder

    def current(self):
        return self._state

    def search(self, question: str, top_k: int, scope: Scope | None = None) -> Retrieval:
        found = self.holder.tape.search.get(_key(question, top_k, _scope_key(scope)))
        if found is None:
            raise ReplayMiss(f"search {question[:40]!r} (top {top_k}, scope {_scope_key(scope)}) was not recorded")
        version = self._state[0]
        hits = [Hit(version.by_id[pid], score, dense, keyword, rank) for pid, score, dense, keyword, rank in found["hits"]]
        return Retrieval(question, hits, found["relevant"], 0.0, found["version"], scope or Scope())


class _Holder:
    tape = Tape()


class _ReplayEmbedder:
    id, dim = "replay", 0

    def __init__(self, holder: _Holder):
        self.holder = holder

    def _get(self, table: dict, text: str, what: str) -> np.ndarray:
        if text not in table:
            raise ReplayMiss(f"{what} {text[:40]!r} was not embedded in the recording")
        return _vec_in(table[text])

    def embed_documents(self, texts, progress=None):
        return np.stack([self._get(self.holder.tape.document, t, "sentence") for t in texts])

    def embed_query(self, text):
        return self._get(self.holder.tape.query, text, "question")


class _ReplayGenerator:
    def __init__(self, holder: _Holder):
        self.holder = holder

    def stream(self, messages, max_tokens) -> Iterator[str]:
        text = self.holder.tape.generate.get(_key(messages, max_tokens))
        if text is None:
            raise ReplayMiss("the model would be asked for an answer on a prompt the recording does not hold")
        yield text

    def yes_no(self, messages) -> float:
        score = self.holder.tape.yes_no.get(_key(messages))
        if score is None:
            raise ReplayMiss("the judge would be asked on a prompt the recording does not hold")
        return score


@dataclass(frozen=True)
class Diff:
    id: str
    question: str
    fields: dict  # field -> (recorded, replayed); {"miss": (None, reason)} when a model would be asked anew

    def __str__(self) -> str:
        lines = [f"{self.id}: {self.question}"]
        lines += [f"  {k}: {was!r}\n  {' ' * len(k)}→ {now!r}" for k, (was, now) in self.fields.items()]
        return "\n".join(lines)


COMPARED = ("text", "refused", "citations", "unsupported", "wrong_report", "wrong_clause", "evidence", "decisions")


def read_golden(expect_path: Path) -> tuple[dict, list[dict], list[dict]]:
    """The tape's head, its items and the expectation lines of one golden set."""
    with gzip.open(tape_path_of(expect_path), "rt", encoding="utf-8") as f:
        lines = [json.loads(line) for line in f if line.strip()]
    expected = [json.loads(line) for line in expect_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines[0], lines[1:], expected


def replay(expect_path: Path | str, update: bool = False, config: Config | None = None,
           thresholds: Thresholds | None = None) -> tuple[int, list[Diff]]:
    """Replay one golden set: (items replayed, diffs). `update` rewrites the expectations of the
    items that replayed (not those a model would have to answer anew). `thresholds`: the answer
    checks' table to replay with (default: the profile's)."""
    expect_path = Path(expect_path)
    head, tapes, expected = read_golden(expect_path)
    if head.get("golden") != FORMAT:
        raise ValueError(f"{expect_path}: golden format {head.get('golden')}, this code reads {FORMAT}")
    holder = _Holder()
    from .models import profile_spec

    config = (config or Config(profile=head["profile"])).with_(answer_cache=0)
    retriever = _ReplayRetriever(_Version(head), holder, profile_spec(config.profile).min_dense)
    answerer = Answerer(config, retriever, _ReplayGenerator(holder), thresholds)
    by_id = {e["id"]: e for e in expected}
    diffs, new_lines = [], []
    for obj in tapes:
        holder.tape = Tape.from_json(obj["tape"])
        want = by_id.get(obj["id"], {})
        try:
            answer = answerer.answer(obj["question"], obj["history"], obj["top_k"])
        except ReplayMiss as e:
            diffs.append(Diff(obj["id"], obj["question"], {"miss": (None, str(e))}))
            new_lines.append(want)
            continue
        got = shown(answer)
        changed = {k: (want.get(k), got[k]) for k in COMPARED if want.get(k) != got[k]}
        if changed:
            diffs.append(Diff(obj["id"], obj["question"], changed))
        new_lines.append({"id": obj["id"], "question": obj["question"], **got})
    if update:
        _write_lines(expect_path, new_lines)
    return len(tapes), diffs


def golden_sets(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.jsonl") if tape_path_of(p).exists())
