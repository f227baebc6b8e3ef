"""Repairs: what is done to an answer so that what it shows is true and says whose it is. A marker
is pointed at the passage that supports its sentence (`cite_sentences`, `repoint`); a clause whose
figures were withheld goes (`keep`); the report's own sentence replaces an answer whose figures
failed or that restated the question (`quote_evidence`); a figure gets its report's name when
several reports are indexed (`attribute`)."""
from __future__ import annotations

import re
from dataclasses import replace

from ..reportmeta import YEAR
from ..schema import Checked, Citation, Decision, Evidence, Passage, ReportInfo
from ..scoping import aliases, report_name
from ..textnorm import CLAUSE, MARKER, bigrams, counted, figures, normalize, sentences
from .asked import Asked, specific, subject_of, words
from .clauses import Clause, passage_figures
from .counting import counting_part, counts_something_else, other_level, states_count
from .thresholds import DEFAULT, Thresholds

_LIST_ITEM = re.compile(r"^\s*(?:\d{1,2}\s*[.、．](?!\d)|[(（]\d{1,2}[)）])?\s*")


def _with_marker(sentence: str, n: int) -> str:
    """The sentence with its markers replaced by [n], before its end punctuation."""
    bare = MARKER.sub("", sentence)
    body = bare.rstrip("。！？!?；;\n ")
    return body + f"[{n}]" + bare[len(body):]


def _supporting_passage(body: str, cited: list[int], grams: list[set], numbers: list[set],
                        t: Thresholds) -> int | None:
    """The passage (0-based) a sentence should cite, or None to leave its markers as they are."""
    claimed = set(figures(body))
    if cited and (not claimed or claimed <= set().union(*(numbers[i] for i in cited))):
        return None  # cited, and the cited passages hold every number it states
    candidates = [i for i in range(len(grams)) if claimed <= numbers[i]] if claimed else list(range(len(grams)))
    if not candidates:
        return None  # no passage holds these numbers: reported as unsupported instead
    sg = bigrams(body)
    best = max(candidates, key=lambda i: len(sg & grams[i]))
    if not cited and not claimed and (len(sg) < 4 or len(sg & grams[best]) / len(sg) < t.min_overlap):
        return None  # an unmarked sentence that copies nothing clearly
    return best


def cite_sentences(text: str, passages: list[Passage], t: Thresholds = DEFAULT) -> str:
    """Make each sentence's markers point at a passage that supports it.

    A sentence without a marker gets the passage it overlaps most (if clearly). A sentence whose
    numbers are missing from the passages it cites, but all present in another passage the model
    was shown, is re-pointed there: the claim is supported, only the marker was wrong.
    """
    if not passages:
        return text
    grams = [bigrams(p.text) for p in passages]
    numbers = [passage_figures(p) for p in passages]
    out = []
    for sentence in sentences(text):
        body = MARKER.sub("", sentence).rstrip("。！？!?；;\n ")
        if body.strip():
            cited = [int(m) - 1 for m in MARKER.findall(sentence)]
            best = _supporting_passage(body, cited, grams, numbers, t)
            if best is not None:
                sentence = _with_marker(sentence, best + 1)
        out.append(sentence)
    return "".join(out)


def repoint(clause: Clause) -> Clause:
    """A sentence whose figures its cited passages hold only in other clauses (`Clause.misread`),
    but another passage shown to the model states in a matching clause, cites that passage: the
    claim is supported, only the marker was wrong."""
    claimed = set(figures(clause.sentence))
    if not claimed or not clause.misread:
        return clause
    for i, p in enumerate(clause.passages):
        if p not in clause.cited and claimed <= passage_figures(p) and not replace(clause, cited=[p]).misread:
            return replace(clause, sentence=_with_marker(clause.sentence, i + 1), cited=[p])
    return clause


def keep(sentence: str, bad: set[str]) -> str:
    """The clauses of a sentence that state none of the bad figures ('' if none), with the markers
    the kept clauses carry; only a sentence whose markers all sat at its end keeps them for what is
    left ("A，B[1]。" less B is "A[1]。"; "A[1]，B[2]。" less B is "A[1]。": [2] stood for B alone)."""
    kept = [piece for piece in CLAUSE.findall(sentence) if not set(figures(piece)) & bad]
    numbers = list(dict.fromkeys(MARKER.findall("".join(kept)))) or list(dict.fromkeys(MARKER.findall(sentence)))
    markers = "".join(f"[{n}]" for n in numbers)
    text = MARKER.sub("", "".join(kept)).rstrip("，,；;、。！？!? ")
    if not re.search(r"[\u4e00-\u9fff]{2}", text):
        return ""
    end = sentence.rstrip()[-1:] if sentence.rstrip()[-1:] in "。！？!?；;" else "。"
    return text + markers + end


def _names(sentence: str, owner: ReportInfo, reports: dict[str, ReportInfo]) -> bool:
    """Whether a sentence names a report's owner (and its year, when that body has several reports),
    or the report by its title when whose it is was not read."""
    if not (owner.body or owner.place):
        return normalize(report_name(owner)) in sentence
    if not any(alias in sentence for alias in aliases(owner)):
        return False
    several_years = sum(r.body == owner.body for r in reports.values()) > 1
    return not several_years or any(str(y) in sentence for y in owner.years)


def attribute(text: str, passages: list[Passage], reports: dict[str, ReportInfo]) -> str:
    """Name the report behind every sentence that states a figure and does not name its owner.

    Several reports of one genre state the same kinds of figures: "全区共聘任156名法治副校长[1]" is
    only true of one district, so it becomes "据澄州市云溪区教育局2024年度报告，全区…[1]".
    """
    out, said_before = [], ""
    for sentence in sentences(text):
        cited = [passages[int(n) - 1] for n in dict.fromkeys(MARKER.findall(sentence))]
        owners = [reports[d] for d in dict.fromkeys(p.doc_id for p in cited) if d in reports]
        if owners and figures(sentence):
            said = normalize(sentence)
            # named in this sentence, or already in an earlier one (a list under one report's name)
            unnamed = [o for o in owners if not _names(said, o, reports) and not _names(said_before, o, reports)]
            if unnamed:
                lead = len(sentence) - len(_LIST_ITEM.sub("", sentence, count=1))
                sentence = f"{sentence[:lead]}据{'、'.join(map(report_name, unnamed))}，{sentence[lead:]}"
        out.append(sentence)
        said_before += normalize(sentence)
    return "".join(out)


def _quotable(checked: Checked, evidence: Evidence, asked: Asked, t: Thresholds) -> str:
    """The part of the evidence sentence that answers the question, or '' when it does not clearly:
    it carries min_subject_in_sentence of what is asked (a yes/no question the model affirmed by
    restating it: min_subject_in_stretch of what it affirmed, the words it picked from the question;
    a bare "是[1]" names nothing, so the question's), and for a how-many question states a figure of
    what is counted in a stretch carrying min_subject_in_stretch of it, counted at the level asked."""
    affirmed = subject_of(checked.affirmed, asked.names) if checked.affirmed else frozenset()
    subject, sentence = affirmed or asked.subject, evidence.text
    need = t.min_subject_in_stretch if affirmed else t.min_subject_in_sentence
    if not specific(subject, asked.noun) or len(subject & words(sentence, asked.names)) < need * len(subject):
        return ""
    if asked.counter:
        if not states_count(sentence, asked, t.min_subject_in_stretch, noun_alone=True):
            return ""
        sentence = counting_part(sentence, asked, t.min_subject_in_stretch)
    if any(other_level(f, c, [evidence.text], asked) for f, c in counted(sentence)):
        return ""  # the report counts it at another level than asked
    return sentence


def quote_evidence(checked: Checked, evidence: Evidence | None, passages: list[Passage], scores: list[float],
                   asked: Asked, reports: dict[str, ReportInfo] | None = None, t: Thresholds = DEFAULT) -> Checked:
    """The report's own best sentence (shown to the model) in place of a refusal, when the model's
    figures were withheld or it only restated the question, or in place of an answer to a how-many
    question that counts something else (多少件 answered "7386名", when the sentence states what is
    counted in min_subject_stated of the question's words), if it clearly answers (`_quotable`).
    Shown as "报告原文：…[n]" (with several reports, whose: "澄州市教育局2024年度报告原文：…")."""
    other_count = not checked.refused and counts_something_else(checked.text, asked)
    failed = checked.refused and (checked.unsupported_numbers or checked.wrong_clause_numbers
                                  or checked.wrong_report_numbers or checked.echoed)
    if evidence is None or evidence.passage not in passages or not (other_count or failed):
        return checked
    if other_count and not states_count(evidence.text, asked, t.min_subject_stated, noun_alone=True):
        return checked
    if not (sentence := _quotable(checked, evidence, asked, t)):
        return checked
    n = passages.index(evidence.passage) + 1
    owner = (reports or {}).get(evidence.passage.doc_id)
    source = report_name(owner) if len(reports or {}) > 1 and owner else "报告"
    text = f"{source}原文：{sentence.rstrip('。！？!?；;，,、 ')}[{n}]。"
    misread = checked.wrong_clause_numbers + ([f for f in figures(checked.text) if not YEAR.fullmatch(f)]
                                              if other_count else [])
    why = "模型答的是另一种数量" if other_count else "模型只复述了问题" if checked.echoed else "模型的数字未通过核对"
    decisions = checked.decisions + (Decision("quote", "replace", f"改为引用报告原文：{why}，而原文句子直接回答了问题。"),)
    return replace(checked, text=text, refused=False, citations=[Citation(n, passages[n - 1], scores[n - 1])],
                   wrong_clause_numbers=list(dict.fromkeys(misread)), decisions=decisions)
