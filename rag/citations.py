"""Check a generated answer against the passages it was given: citations, refusals, numbers.

- Markers in any common form ([1], 【1】, ［1］, [1,2], [1][2]) become [n]; markers that point at no
  passage are dropped.
- A sentence with no marker gets the passage it overlaps most, if the overlap is clear.
- Every number (with its 万/亿/% multiplier) must occur in a cited passage; others are reported
  as unsupported.
- An answer that says the reports do not contain the answer, or that only restates the question,
  is a refusal, with no citations.
"""
from __future__ import annotations

import re

from .prompting import REFUSAL
from .schema import Checked, Citation, Passage, ReportInfo
from .reportmeta import YEAR
from .scoping import aliases
from .textnorm import MARKER, bigrams, figures, normalize, sentences

_ANY_MARKER = re.compile(r"[\[【［]\s*((?:\d{1,2}\s*[,，、]\s*)*\d{1,2})\s*[\]】］]")
_REFUSAL_CUES = re.compile(r"^(?:根据)?(?:报告|资料|所给资料|提供的资料)?(?:中|里)?(?:并)?(?:没有|未|无)(?:找到|提及|提到|涉及|包含|相关)"
                           r"|没有找到与该问题相关|无法(?:回答|确定|找到)|未提供相关|没有提供相关")
MIN_OVERLAP = 0.35
MIN_NEW_BIGRAMS = 4


def is_refusal(text: str) -> bool:
    stripped = MARKER.sub("", normalize(text)).strip()
    return not stripped or bool(_REFUSAL_CUES.search(stripped[:40]))


def normalize_markers(text: str, n_passages: int) -> str:
    """Canonical [n] markers, each pointing at a real passage."""
    def expand(m: re.Match) -> str:
        nums = [int(x) for x in re.split(r"\s*[,，、]\s*", m.group(1))]
        return "".join(f"[{x}]" for x in nums if 1 <= x <= n_passages)
    return _ANY_MARKER.sub(expand, text)


def _numbers(p: Passage) -> set[str]:
    return set(figures(f"{p.scope} {p.path} {p.text}"))


def _supporting_passage(body: str, cited: list[int], grams: list[set], numbers: list[set]) -> int | None:
    """The passage (0-based) a sentence should cite, or None to leave its markers as they are."""
    claimed = set(figures(body))
    if cited and (not claimed or claimed <= set().union(*(numbers[i] for i in cited))):
        return None  # cited, and the cited passages hold every number it states
    candidates = [i for i in range(len(grams)) if claimed <= numbers[i]] if claimed else list(range(len(grams)))
    if not candidates:
        return None  # no passage holds these numbers: reported as unsupported instead
    sg = bigrams(body)
    best = max(candidates, key=lambda i: len(sg & grams[i]))
    if not cited and not claimed and (len(sg) < 4 or len(sg & grams[best]) / len(sg) < MIN_OVERLAP):
        return None  # an unmarked sentence that copies nothing clearly
    return best


def cite_sentences(text: str, passages: list[Passage]) -> str:
    """Make each sentence's markers point at a passage that supports it.

    A sentence without a marker gets the passage it overlaps most (if clearly). A sentence whose
    numbers are missing from the passages it cites, but all present in another passage the model
    was shown, is re-pointed there: the claim is supported, only the marker was wrong.
    """
    if not passages:
        return text
    grams = [bigrams(p.text) for p in passages]
    numbers = [_numbers(p) for p in passages]
    out = []
    for sentence in sentences(text):
        bare = MARKER.sub("", sentence)
        body = bare.rstrip("。！？!?；;\n ")
        if body.strip():
            cited = [int(m) - 1 for m in MARKER.findall(sentence)]
            best = _supporting_passage(body, cited, grams, numbers)
            if best is not None:
                sentence = body + f"[{best + 1}]" + bare[len(body):]
        out.append(sentence)
    return "".join(out)


def is_echo(answer: str, question: str, passages: list[Passage]) -> bool:
    """An 'answer' that only restates the question: no number and almost no words of its own
    taken from the passages (small models do this when the passages lack the answer)."""
    body = MARKER.sub("", answer)
    if set(figures(body)) - set(figures(question)):
        return False
    context = set().union(*(bigrams(p.text) for p in passages)) if passages else set()
    return len((bigrams(body) - bigrams(question)) & context) < MIN_NEW_BIGRAMS


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
            unnamed = [o for o in owners if (o.body or o.place) and not _names(said, o, reports)
                       and not _names(said_before, o, reports)]
            if unnamed:
                lead = len(sentence) - len(_LIST_ITEM.sub("", sentence, count=1))
                source = "、".join(f"{o.body or o.place}{'、'.join(map(str, o.years))}{'年度' if o.years else ''}报告"
                                   for o in unnamed)
                sentence = f"{sentence[:lead]}据{source}，{sentence[lead:]}"
        out.append(sentence)
        said_before += normalize(sentence)
    return "".join(out)


def _names(sentence: str, owner: ReportInfo, reports: dict[str, ReportInfo]) -> bool:
    """Whether a sentence names a report's owner (and its year, when that body has several reports)."""
    if not any(alias in sentence for alias in aliases(owner)):
        return False
    several_years = sum(r.body == owner.body for r in reports.values()) > 1
    return not several_years or any(str(y) in sentence for y in owner.years)


def misattributed(text: str, passages: list[Passage], reports: dict[str, ReportInfo]) -> list[str]:
    """Figures stated under another indexed body's name than the report they are cited from
    ("青禾区共聘任103名[1]" where [1] is 云溪区's): the worst answer there is, so it is never shown."""
    wrong = []
    for sentence in sentences(text):
        stated = figures(sentence)
        cited = {passages[int(n) - 1].doc_id for n in MARKER.findall(sentence)}
        if not stated or not cited:
            continue
        said = normalize(sentence)
        theirs = {a for d in cited if d in reports for a in aliases(reports[d])}
        others = {a for d, info in reports.items() if d not in cited for a in aliases(info)} - theirs
        if any(a in said for a in others) and not any(a in said for a in theirs):
            wrong += stated
    return list(dict.fromkeys(wrong))


_LIST_ITEM = re.compile(r"^\s*(?:\d{1,2}\s*[.、．](?!\d)|[(（]\d{1,2}[)）])?\s*")
_CLAUSE = re.compile(r"[^，,；;。！？!?\n]+")
_YEARS = re.compile(r"(?:19|20)\d{2}\s*年?度?")
MIN_CLAUSE_OVERLAP = 0.4


def _words(clause: str, names: list[str]) -> set[str]:
    """A clause's bigrams without body names and years: what it says, not whose or when."""
    for name in names:
        clause = clause.replace(name, " ")
    return bigrams(_YEARS.sub(" ", clause))


def wrong_clause(sentence: str, cited: list[Passage], names: list[str]) -> list[str]:
    """Figures of a sentence that its cited passages state only in a clause about something else.

    Look-alike reports list many counts side by side ("集体学法9次…集中学法5次"); a figure copied
    from the neighbouring clause passes the number check but answers another question. A figure's
    clause in the answer must share at least MIN_CLAUSE_OVERLAP of its words with the sentence of a
    cited passage that states that figure."""
    wrong = []
    for clause in _CLAUSE.findall(MARKER.sub("", sentence)):
        words = _words(clause, names)
        for figure in figures(clause):
            if YEAR.fullmatch(figure):
                continue  # a year says when, which scoping and attribution check
            # the passage's whole sentence: the subject is often in a clause before the figure's
            holders = [c for p in cited for c in sentences(p.text) if figure in figures(c)]
            if holders and words and max(len(words & bigrams(c)) for c in holders) < MIN_CLAUSE_OVERLAP * len(words):
                wrong.append(figure)
    return wrong


def check_answer(raw: str, passages: list[Passage], scores: list[float], question: str = "",
                 scope: frozenset[str] | None = None, reports: dict[str, ReportInfo] | None = None) -> Checked:
    """The answer as shown to people, with its citations and unsupported numbers.

    `scope`: the reports the question asks about; a figure that only a cited passage of another
    report holds is never shown as fact (the answer becomes a refusal naming it).
    `reports`: the identities of the indexed reports when there are several: every figure is then
    attributed to its report (`attribute`), and one that no cited passage holds, or that is stated
    under another body's name (`misattributed`), is not shown."""
    text = normalize_markers(raw.strip(), len(passages))
    if is_refusal(text) or (question and is_echo(text, question, passages)):
        return Checked(REFUSAL, True, [], [])
    text = cite_sentences(text, passages)
    cited = []
    for m in MARKER.finditer(text):
        n = int(m.group(1))
        if n not in cited:
            cited.append(n)
    citations = [Citation(n, passages[n - 1], scores[n - 1]) for n in cited]
    evidence = set().union(*(_numbers(c.passage) for c in citations))
    claimed = figures(text)
    unsupported = list(dict.fromkeys(n for n in claimed if n not in evidence))
    if reports:
        return _check_on_a_shelf(text, passages, citations, unsupported, scope, reports)
    wrong = [n for n in dict.fromkeys(claimed) if scope is not None and _outside(n, citations, scope)]
    if wrong:
        return Checked(REFUSAL, True, [], [], wrong)
    return Checked(text, False, citations, unsupported)


def _outside(figure: str, citations: list[Citation], scope: frozenset[str]) -> bool:
    """Only cited passages of reports outside the question's scope hold this figure."""
    holders = [c.passage for c in citations if figure in _numbers(c.passage)]
    return bool(holders) and not any(p.doc_ids & scope for p in holders)


def _check_on_a_shelf(text: str, passages: list[Passage], citations: list[Citation], unsupported: list[str],
                      scope: frozenset[str] | None, reports: dict[str, ReportInfo]) -> Checked:
    """Several reports: each sentence is judged on its own and kept only if every figure in it comes
    from a clause about the same thing (`wrong_clause`), held by a passage it cites, of a report in
    the question's scope and not stated under another body's name (`misattributed`); what is kept
    is attributed to its reports. Nothing true left: a refusal."""
    names = sorted({a for info in reports.values() for a in aliases(info)}, key=len, reverse=True)
    kept, wrong, misread = [], [], []
    for sentence in sentences(text):
        cited = [passages[int(n) - 1] for n in dict.fromkeys(MARKER.findall(sentence))]
        held = set().union(*(_numbers(p) for p in cited)) if cited else set()
        stated = figures(sentence)
        if bad := wrong_clause(sentence, cited, names):
            misread += bad
            continue
        bad = [f for f in stated if f not in held]  # a figure no cited passage holds: whose would it be?
        bad += misattributed(sentence, passages, reports)
        if scope is not None:
            bad += [f for f in stated if _outside(f, [c for c in citations if c.passage in cited], scope)]
        if bad:
            wrong += bad
            continue
        kept.append(sentence)
    text = "".join(kept).strip()
    if text and text[-1] in "；;，,":
        text = text[:-1] + "。"
    wrong, misread = list(dict.fromkeys(wrong)), list(dict.fromkeys(misread))
    if not text or (wrong or misread) and not figures(text) and not MARKER.search(text):
        return Checked(REFUSAL, True, [], [], wrong, misread)
    citations = [c for c in citations if f"[{c.n}]" in text]
    return Checked(attribute(text, passages, reports), False, citations, [n for n in unsupported if n in figures(text)],
                   wrong, misread)
