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
    out = []
    for sentence in sentences(text):
        cited = [passages[int(n) - 1] for n in dict.fromkeys(MARKER.findall(sentence))]
        owners = [reports[d] for d in dict.fromkeys(p.doc_id for p in cited) if d in reports]
        if owners and figures(sentence):
            said = normalize(sentence)
            unnamed = [o for o in owners if (o.body or o.place) and not _names(said, o, reports)]
            if unnamed:
                lead = len(sentence) - len(sentence.lstrip())
                source = "、".join(f"{o.body or o.place}{'、'.join(map(str, o.years))}{'年度' if o.years else ''}报告"
                                   for o in unnamed)
                sentence = f"{sentence[:lead]}据{source}，{sentence[lead:]}"
        out.append(sentence)
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
    # Several reports: a figure no cited passage holds cannot be attributed to any of them.
    wrong = (misattributed(text, passages, reports) + unsupported) if reports else []
    if scope is not None:
        wrong += [n for n in dict.fromkeys(claimed)
                  if (holders := [c.passage for c in citations if n in _numbers(c.passage)])
                  and not any(p.doc_ids & scope for p in holders)]
    if wrong:
        return Checked(REFUSAL, True, [], [], list(dict.fromkeys(wrong)))
    if reports:
        text = attribute(text, passages, reports)
    return Checked(text, False, citations, unsupported)
