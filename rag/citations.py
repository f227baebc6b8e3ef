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
from dataclasses import dataclass, replace

from .checks.thresholds import value
from .prompting import REFUSAL
from .schema import LEVEL_SUFFIXES, Checked, Citation, Decision, Evidence, Passage, ReportInfo
from .reportmeta import YEAR
from .keyword import counted_phrase
from .scoping import aliases, mentions
from .textnorm import HAN, MARKER, asked_counter, bigrams, cn_digits, counted, figures, normalize, sentences

_ANY_MARKER = re.compile(r"[\[【［]\s*((?:\d{1,2}\s*[,，、]\s*)*\d{1,2})\s*[\]】］]")
_REFUSAL_CUES = re.compile(r"^(?:根据)?(?:报告|资料|所给资料|提供的资料)?(?:中|里)?[，,]?(?:并)?(?:没有|未|无)(?:找到|提及|提到|涉及|包含|相关)"
                           r"|没有找到与该问题相关|无法(?:回答|确定|找到)|未提供相关|没有提供相关")
_TRAILING_MARKERS = re.compile(r"([。！？!?；;])((?:\[\d{1,2}\])+)")
_NEGATION = re.compile(r"没有|未|无|不")
MIN_OVERLAP = value("MIN_OVERLAP")
MIN_NEW_BIGRAMS = value("MIN_NEW_BIGRAMS")
MIN_NEW_NAME = value("MIN_NEW_NAME")  # characters in a row that the question lacks and a passage has


def withheld_note(numbers: list[str]) -> str:
    """What people are told about figures the model wrote but no cited passage holds (not shown)."""
    return f"注意：回答中有引用段落里找不到的数字（{'、'.join(numbers)}），相关内容未显示。"


def is_refusal(text: str) -> bool:
    stripped = MARKER.sub("", normalize(text)).strip()
    return not stripped or bool(_REFUSAL_CUES.search(stripped[:40]))


def normalize_markers(text: str, n_passages: int) -> str:
    """Canonical [n] markers, each pointing at a real passage."""
    def expand(m: re.Match) -> str:
        nums = [int(x) for x in re.split(r"\s*[,，、]\s*", m.group(1))]
        return "".join(f"[{x}]" for x in nums if 1 <= x <= n_passages)
    return _ANY_MARKER.sub(expand, text)


def passage_figures(p: Passage) -> set[str]:
    """The figures a passage holds, its report label and heading path included."""
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
    numbers = [passage_figures(p) for p in passages]
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
    """An 'answer' that only restates the question: no number, almost no words of its own taken
    from the passages (small models do this when the passages lack the answer) and no name copied
    from them (a terse "平台叫“清膳E家”" or "市发改委" answers a which/what question)."""
    body = MARKER.sub("", answer)
    if set(figures(body)) - set(figures(question)):
        return False
    context = set().union(*(bigrams(p.text) for p in passages)) if passages else set()
    if len((bigrams(body) - bigrams(question)) & context) >= MIN_NEW_BIGRAMS:
        return False
    asked = set(normalize(question))
    runs = re.findall(r"[^\W\d_]+", "".join(ch if ch not in asked else " " for ch in normalize(body)))
    text = normalize("".join(p.text for p in passages))
    return not any(len(run) >= MIN_NEW_NAME and run in text for run in runs)


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
                source = "、".join(map(report_name, unnamed))
                sentence = f"{sentence[:lead]}据{source}，{sentence[lead:]}"
        out.append(sentence)
        said_before += normalize(sentence)
    return "".join(out)


def report_name(info: ReportInfo) -> str:
    """How an answer names a report: 澄州市云溪区教育局2024年度报告, or by its title when whose it
    is was not read (《2024年法治政府建设情况报告》): a figure always says where it is from."""
    if not (info.body or info.place):
        return f"《{info.title[:MAX_TITLE_SHOWN]}{'…' if len(info.title) > MAX_TITLE_SHOWN else ''}》"
    return f"{info.body or info.place}{'、'.join(map(str, info.years))}{'年度' if info.years else ''}报告"


MAX_TITLE_SHOWN = 30  # characters of a title that names a report in an answer


def _names(sentence: str, owner: ReportInfo, reports: dict[str, ReportInfo]) -> bool:
    """Whether a sentence names a report's owner (and its year, when that body has several reports),
    or the report by its title when whose it is was not read."""
    if not (owner.body or owner.place):
        return normalize(report_name(owner)) in sentence
    if not any(alias in sentence for alias in aliases(owner)):
        return False
    several_years = sum(r.body == owner.body for r in reports.values()) > 1
    return not several_years or any(str(y) in sentence for y in owner.years)


def misleveled(sentence: str, cited: list[Passage], reports: dict[str, ReportInfo] | None) -> list[str]:
    """Figures an answer states at a level (全市) its cited passages do not count them at: the
    sentences holding the figure name another level (全区), or none and their report is of another
    level (a district's report counts its own district). A district's figure is never the city's."""
    wrong = []
    for clause in _CLAUSE.findall(MARKER.sub("", sentence)):
        said = set(_LEVEL.findall(clause))
        for figure in [f for f in figures(clause) if not YEAR.fullmatch(f)] if said else []:
            holders = [p for p in cited if figure in passage_figures(p)]
            held = [s for p in holders for s in sentences(p.text) if figure in figures(s)]
            named = set().union(*(_LEVEL.findall(s) for s in held)) if held else set()
            own = {reports[d].level for p in holders for d in p.doc_ids if d in (reports or {})} - {""}
            counted_at = named or own
            if counted_at and not said & counted_at:
                wrong.append(figure)
    return wrong


def misattributed(text: str, passages: list[Passage], reports: dict[str, ReportInfo]) -> list[str]:
    """Figures stated under another indexed body's name than the report they are cited from
    ("青禾区共聘任103名[1]" where [1] is 云溪区's): the worst answer there is, so it is never shown."""
    wrong = []
    for sentence in sentences(text):
        stated = figures(sentence)
        cited = {passages[int(n) - 1].doc_id for n in MARKER.findall(sentence)}
        if not stated or not cited:
            continue
        theirs = {a for d in cited if d in reports for a in aliases(reports[d])}
        others = {a for d, info in reports.items() if d not in cited for a in aliases(info)} - theirs
        # longest name first: 澄州市教育局 is another body even when 澄州市 is the cited district's region
        said = {name for name, _, _ in mentions(normalize(sentence), theirs | others)}
        if said & others and not said & theirs:
            wrong += stated
    return list(dict.fromkeys(wrong))


_LIST_ITEM = re.compile(r"^\s*(?:\d{1,2}\s*[.、．](?!\d)|[(（]\d{1,2}[)）])?\s*")
_CLAUSE = re.compile(r"(?:[^，,；;。！？!?\n]|,(?=\d{3}))+[，,；;。！？!?\n]*(?:\[\d{1,2}\])*")
_PIECE = re.compile(r"(?:[^，,；;、。！？!?\n]|,(?=\d{3}))+[，,；;、。！？!?\n]*")
_SOURCE = re.compile(r"据(?:《[^》]{0,40}》|[^，,。；;]{0,40}?报告)[，,]?")  # "据…报告，": whose figure, not what it counts
_YEARS = re.compile(r"(?:19|20)\d{2}\s*年?度?")
_ASKING = re.compile(r"(?:多少|几)[名所件次个项人家场批届年元条起位余多]?|哪几|哪些|哪个|哪|什么|是否|怎么样|怎样|如何|一共|共计|总共|有没有|请问|吗|呢"
                     r"|其中|它们|它|这些|这个|这份|这项|这类|这批|此项|此类|上述|他们|她们|那些|那个|该"
                     r"|已经|分别|了|的|是|有|都|还|又|[，,。？?！!：:“”\"'《》（）()]")
# a body referred to, not named ("市教育局", "区政府"): whose figure, not what it counts
_BODY = re.compile(r"[省市区县]?(?:教育局|人民政府|政府)")
_HOW_MANY = re.compile(r"多少|(?<!哪)几")
_YES_NO = re.compile(r"吗|是否|有没有|有无|是不是|能不能|可不可以|会不会")
# the level a figure is counted at: the province's count is not the city's, the national contest not the provincial
_LEVEL = re.compile(rf"全[{LEVEL_SUFFIXES}]")
MIN_CLAUSE_OVERLAP = value("MIN_CLAUSE_OVERLAP")
MIN_CHAR_OVERLAP = value("MIN_CHAR_OVERLAP")
_FUNCTION_CHARS = set("了的是在有和与及其已经共计为将对把被所")
MIN_SUBJECT = value("MIN_SUBJECT")
MIN_SUBJECT_IN_REPORT = value("MIN_SUBJECT_IN_REPORT")
MIN_SUBJECT_IN_STRETCH = value("MIN_SUBJECT_IN_STRETCH")
MIN_SUBJECT_IN_SENTENCE = value("MIN_SUBJECT_IN_SENTENCE")
# a sentence stating a figure of what is counted in this share of the question's words answers it
# plainly: it overrules the judge's no, and replaces an answer that counts something else
MIN_SUBJECT_STATED = value("MIN_SUBJECT_STATED")


def _words(clause: str, names: list[str]) -> set[str]:
    """A clause's bigrams without body names and years: what it says, not whose or when. No
    bigram spans a removed word."""
    clause = _SOURCE.sub(" ", cn_digits(clause, lone_one=False))
    for name in names:
        clause = clause.replace(name, " ")
    return set().union(*(bigrams(part) for part in _YEARS.sub(" ", clause).split()))


def _says(sentence: str, clause: str, names: list[str], echoed: set[str] = frozenset()) -> bool:
    """Whether a passage sentence says what an answer's clause adds to the question (`echoed`: the
    question's bigrams; small models restate it): MIN_CLAUSE_OVERLAP of its bigrams, or
    MIN_CHAR_OVERLAP of its characters (a terse answer reorders words: 连续开展了9年 / 连续9年开展).
    A clause that adds nothing but its figure's own digits (or no Chinese) is said."""
    words = {w for w in _words(clause, names) - echoed if not any(ch.isdigit() for ch in w)}
    chars = {c for w in words for c in w if HAN.fullmatch(c)} - _FUNCTION_CHARS
    theirs = _words(sentence, names)
    return (not words or len(words & theirs) >= MIN_CLAUSE_OVERLAP * len(words)
            or len(chars & {c for w in theirs for c in w}) >= MIN_CHAR_OVERLAP * len(chars))


def subject_share(sentence: str, question: str, names: list[str]) -> float:
    """The share of what a question asks about (`subject`) that a sentence says in its words."""
    asked = subject(question, names)
    return len(asked & _words(sentence, names)) / len(asked) if asked else 0.0


def other_level(figure: str, counts: str, held: list[str], question: str) -> bool:
    """The question asks at one level (全国比赛) and every clause of `held` stating the figure (with
    the same counter, when one states it so: 4人, not 连续4年) names another level and not the
    question's ("今年在全省比赛中获…一等奖4人")."""
    asked = set(_LEVEL.findall(question))
    if not asked:
        return False
    clauses = [c for s in held for c in _CLAUSE.findall(s) if figure in figures(c)]
    clauses = [c for c in clauses if (figure, counts) in counted(c)] or clauses
    levels = [set(_LEVEL.findall(c)) for c in clauses]
    return bool(levels) and all(named and not named & asked for named in levels)


_ORDINAL_FIGURE = re.compile(r"第\s*(\d+)")


def ordinals(text: str) -> set[str]:
    """The ranks a text states (第1, 全省第一 = 第1): a rank is not a count of the same digits."""
    return set(_ORDINAL_FIGURE.findall(cn_digits(MARKER.sub("", text))))


def counted_thing(question: str) -> str:
    """What a how-many question counts, as it names it after the counter (多少个学位 → 学位); ''."""
    return "".join(counted_phrase(question)[1]) if asked_counter(question) else ""


def specific(asked: set[str], question: str) -> bool:
    """Whether a question says enough about what it asks (`asked`: its `subject`) to match clauses
    on: two words, or one that is the very thing it counts (它一共设了多少项指标 → 指标)."""
    if len(asked) >= 2:
        return True
    noun = counted_thing(question) if asked else ""
    return bool(noun) and asked <= bigrams(noun)


def subject(question: str, names: list[str]) -> set[str]:
    """What a question asks about: its Chinese words without names, bodies (市教育局), years and the
    asking words (多少, 几); pasted code or markup around a question ("'; DROP TABLE…") says nothing about it."""
    return {w for w in _words(_ASKING.sub(" ", _BODY.sub(" ", question)), names) if HAN.fullmatch(w[0]) and HAN.fullmatch(w[1])}


def stretches(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each stretch of a text that states figures, with its figures and what they count: the clause
    holding them plus the figure-less clauses before it in the same sentence (where the subject
    often is). '连续4年开展甲,连续9年开展乙' is two stretches: 9 belongs to 乙 only."""
    out = []
    for sentence in sentences(text):
        pending = ""
        for piece in _PIECE.findall(sentence):
            found = [(f, c) for f, c in counted(piece) if not YEAR.fullmatch(f)]
            if found:
                out.append((pending + piece, found))
                pending = ""
            else:
                pending += piece
    return out


def wrong_clause(sentence: str, cited: list[Passage], names: list[str], question: str = "",
                 answer: str = "", shown: list[Passage] | None = None) -> list[str]:
    """Figures of a sentence that its cited passages state only in a clause about something else.

    Reports list many counts side by side ("集体学法9次…专题研讨5次"); a figure copied from the
    neighbouring clause passes the number check but answers another question. Three tests:
    - what the answer's clause adds to the question must share MIN_CLAUSE_OVERLAP of its words
      with a cited passage's sentence that states the figure;
    - a question asking how many of something (几次, 多少名), in words the shown passages use
      (MIN_SUBJECT_IN_REPORT of them), is answered by a figure of that
      counter only from a stretch that carries MIN_SUBJECT_IN_STRETCH of what it asks about, or a
      sentence that carries MIN_SUBJECT_IN_SENTENCE (asked about 机关干部集中学法, 9次 of
      "全年组织领导班子集体学法9次" is not its answer);
    - no other stretch of the same report's passages the model was `shown` (default: the cited
      ones) may carry the question's subject better, with a figure that counts the same kind of
      thing and that the answer does not state: asked about 丙, "连续9年" is 乙's figure when a
      passage says "连续11年开展丙" (another report's figure for the same thing is no rival).
    The last holds for a sentence stating one figure of what the question counts (one listing
    several, "甲4年，乙9年，丙11年", answers another kind of question).
    - asked at one level (全国), a figure the report counts only at another (全省) (`other_level`);
    - a rank (第21位) that no cited passage states as a rank (21个案例上榜 is no 21st place).
    A stretch naming the very thing counted right where the question does (多少个学位: "新增学位10.09万个")
    answers it however else the question words it ("这些新学校"); a question whose only word is
    that thing (它设了多少项指标) is checked on it alone."""
    wrong = []
    asked = subject(question, names)
    counter = asked_counter(question)
    noun = counted_thing(question)  # the thing counted, as the question names it
    if not counter and _HOW_MANY.search(question):
        # "总数是多少？" names no counter: the one figure the sentence gives says what it counts
        found = [c for f, c in counted(sentence) if not YEAR.fullmatch(f)]
        counter = found[0] if len(found) == 1 else ""
    stated = set(figures(answer or sentence))
    # a sentence stating several figures of what is counted lists them: each must still come from a
    # stretch about what is asked, but another stretch's figure is no rival (it may be the next item)
    listing = len({f for f, c in counted(sentence) if c == counter}) > 1
    theirs = [st for p in cited for st in stretches(p.text)]
    owners = set().union(*(p.doc_ids for p in cited)) if cited else set()
    # the same report's other stretches: another report's figure for the same thing is no rival
    seen = theirs if shown is None else [st for p in shown if p.doc_ids & owners for st in stretches(p.text)]
    echoed = bigrams(question)
    shown_words = set().union(*(_words(p.text, names) for p in (shown or cited))) if (shown or cited) else set()
    # a question in its own words (看护点 for 托管服务点) cannot be matched word for word: the judge's job
    in_report_words = len(asked & shown_words) >= MIN_SUBJECT_IN_REPORT * len(asked)
    # whether it asks, in the report's words, how many of something it names (else: the judge's job)
    counts_asked = bool(counter) and in_report_words and specific(asked, question)
    for clause, found in stretches(MARKER.sub("", sentence)):
        for figure, counts in found:
            held = [c for p in cited for c in sentences(p.text) if figure in figures(c)]
            if not held:
                continue  # no cited passage holds it: unsupported, reported as such
            rank = figure in ordinals(clause)  # 位列全省第2: a rank among the province's, not a count at its level
            if (not any(_says(c, clause, names, echoed) for c in held)
                    or not rank and other_level(figure, counts, held, question)
                    or rank and not any(figure in ordinals(c) for c in held)):
                wrong.append(figure)
                continue
            if not counts_asked or counts != counter:
                continue  # the question does not ask, in the report's words, how many of what this counts
            mine = [(text, asked & _words(text, names)) for text, fs in theirs if any(f == figure for f, _ in fs)]
            own = [carried for _, carried in mine]
            in_sentence = max(len(asked & _words(c, names)) for c in held)
            if (max(map(len, own), default=0) < MIN_SUBJECT_IN_STRETCH * len(asked)
                    and in_sentence < MIN_SUBJECT_IN_SENTENCE * len(asked)
                    and not (noun and any(noun in normalize(text) for text, _ in mine))):
                wrong.append(figure)
                continue
            best = max(own, key=len, default=set())
            for text, fs in ([] if listing else seen):
                carries = asked & _words(text, names)
                rivals = [f for f, c in fs if c == counts and f != figure and f not in stated]
                if rivals and carries > best and len(carries) >= MIN_SUBJECT * len(asked):
                    wrong.append(figure)
                    break
    return list(dict.fromkeys(wrong))


def _repoint(sentence: str, cited: list[Passage], passages: list[Passage], names: list[str],
             question: str, answer: str, rivals: list[Passage]) -> tuple[str, list[Passage]]:
    """A sentence whose figures its cited passages hold only in other clauses, but another passage
    shown to the model states in a matching clause, cites that passage: the claim is supported,
    only the marker was wrong. `rivals`: the passages whose clauses may answer better (`wrong_clause`)."""
    claimed = set(figures(sentence))
    if not claimed or not wrong_clause(sentence, cited, names, question, answer, rivals):
        return sentence, cited
    for i, p in enumerate(passages):
        if (p not in cited and claimed <= passage_figures(p)
                and not wrong_clause(sentence, [p], names, question, answer, rivals)):
            bare = MARKER.sub("", sentence)
            body = bare.rstrip("。！？!?；;\n ")
            return body + f"[{i + 1}]" + bare[len(body):], [p]
    return sentence, cited


def _keep(sentence: str, bad: set[str]) -> str:
    """The clauses of a sentence that state none of the bad figures ('' if none), with the markers
    the kept clauses carry; only a sentence whose markers all sat at its end keeps them for what is
    left ("A，B[1]。" less B is "A[1]。"; "A[1]，B[2]。" less B is "A[1]。": [2] stood for B alone)."""
    kept = [piece for piece in _CLAUSE.findall(sentence) if not set(figures(piece)) & bad]
    numbers = list(dict.fromkeys(MARKER.findall("".join(kept)))) or list(dict.fromkeys(MARKER.findall(sentence)))
    markers = "".join(f"[{n}]" for n in numbers)
    text = MARKER.sub("", "".join(kept)).rstrip("，,；;、。！？!? ")
    if not re.search(r"[\u4e00-\u9fff]{2}", text):
        return ""
    end = sentence.rstrip()[-1:] if sentence.rstrip()[-1:] in "。！？!?；;" else "。"
    return text + markers + end


def check_answer(raw: str, passages: list[Passage], scores: list[float], question: str = "",
                 scope: frozenset[str] | None = None, reports: dict[str, ReportInfo] | None = None,
                 retrieved: list[Passage] | None = None) -> Checked:
    """The answer as shown to people, with its citations and the figures it was not allowed to show.

    Each sentence is judged on its own, and a clause is kept only if every figure in it comes
    from a clause about the same thing (`wrong_clause`; a wrong marker is re-pointed first), held by
    a passage it cites (else unsupported), of a report in the question's `scope` and not stated
    under another body's name (`misattributed`). A figure that fails is never shown as fact: its
    clause goes, and an answer with nothing true left is a refusal. `reports`: the identities of the
    indexed reports (their names are not what a clause is about); when there are several, what is
    kept is attributed to its reports. `retrieved`: every passage found for the question (default:
    those shown), where a rival clause may be that a short context left out."""
    text = _TRAILING_MARKERS.sub(r"\2\1", normalize_markers(raw.strip(), len(passages)))  # "…。[1]" → "…[1]。"
    if is_refusal(text):
        return Checked(REFUSAL, True, [], [], decisions=(MODEL_REFUSED,))
    if question and is_echo(text, question, passages):
        # a restated question, or a refusal in other words ("资料没有说明…"): only the first is echoed
        echoed = not _NEGATION.search(text)
        affirmed = MARKER.sub("", text) if echoed and _YES_NO.search(question) else ""
        return Checked(REFUSAL, True, [], [], echoed=echoed, affirmed=affirmed,
                       decisions=(ECHO if echoed else MODEL_REFUSED,))
    text = cite_sentences(text, passages)
    names = report_names(reports)
    rivals = passages + [p for p in retrieved or [] if p not in passages]
    answer, several = text, len(reports or {}) > 1
    kept, unsupported, wrong, misread = [], [], [], []
    withheld: dict[str, list[str]] = {}  # check → the figures it withheld
    for sentence in sentences(text):
        cited = [passages[int(n) - 1] for n in dict.fromkeys(MARKER.findall(sentence))]
        sentence, cited = _repoint(sentence, cited, passages, names, question, answer, rivals)
        clause = Clause(sentence, cited, passages, names, question, answer, rivals, reports or {}, scope)
        found = {name: check(clause) for name, check in CLAUSE_CHECKS}
        for check, figs in found.items():
            withheld.setdefault(check, []).extend(figs)
        wrong_here = found["other_report"] + found["level"] + found["outside_scope"]
        bad = set(found["wrong_clause"]) | set(found["unsupported"]) | set(wrong_here)
        misread, unsupported, wrong = misread + found["wrong_clause"], unsupported + found["unsupported"], wrong + wrong_here
        if bad:
            sentence = _keep(sentence, bad)
        kept.append(sentence)
    decisions = tuple(withhold(check, figs) for check, figs in withheld.items() if figs)
    text = "".join(kept).strip()
    if text and text[-1] in "；;，,":
        text = text[:-1] + "。"
    wrong, misread, unsupported = (list(dict.fromkeys(x)) for x in (wrong, misread, unsupported))
    counts = [f for f in figures(text) if not YEAR.fullmatch(f)]
    if not text or not counts and (wrong or misread or unsupported or asked_counter(question)):
        # what was asked for was withheld, or a how-many question got no count: what is left
        # (a preamble, a year) answers nothing
        nothing = NO_COUNT if text and asked_counter(question) else NOTHING_LEFT
        return Checked(REFUSAL, True, [], unsupported, wrong, misread, decisions=decisions + (nothing,))
    cited_now = {int(n) for n in MARKER.findall(text)}
    citations = [Citation(n, passages[n - 1], scores[n - 1]) for n in dict.fromkeys(int(m) for m in MARKER.findall(text))
                 if n in cited_now]
    if several:
        text = attribute(text, passages, reports)
    return Checked(text, False, citations, unsupported, wrong, misread, decisions=decisions)


@dataclass(frozen=True)
class Clause:
    """What a clause check reads: one sentence of the answer, the passages it cites, every passage
    shown (`passages`) and retrieved (`rivals`), the reports' names and identities, the question, the
    whole answer and the question's scope (None: any report)."""

    sentence: str
    cited: list[Passage]
    passages: list[Passage]
    names: list[str]
    question: str
    answer: str
    rivals: list[Passage]
    reports: dict[str, ReportInfo]
    scope: frozenset[str] | None

    @property
    def held(self) -> set[str]:
        return set().union(*(passage_figures(p) for p in self.cited)) if self.cited else set()


def _unsupported(c: Clause) -> list[str]:
    """Figures no cited passage holds."""
    held = c.held
    return [f for f in figures(c.sentence) if f not in held]


def _outside_scope(c: Clause) -> list[str]:
    """Figures only cited passages of reports outside the question's scope hold."""
    if c.scope is None:
        return []
    held = c.held
    return [f for f in figures(c.sentence) if f in held and _outside(f, c.cited, c.scope)]


# The clause checks, in order: each names the figures of a sentence that may not be shown.
CLAUSE_CHECKS = (
    ("wrong_clause", lambda c: wrong_clause(c.sentence, c.cited, c.names, c.question, c.answer, c.rivals)),
    ("unsupported", _unsupported),
    ("other_report", lambda c: misattributed(c.sentence, c.passages, c.reports) if len(c.reports) > 1 else []),
    ("level", lambda c: misleveled(c.sentence, c.cited, c.reports)),
    ("outside_scope", _outside_scope),
)


# What each answer check says when it acts (Answer.decisions; the chat shows the first reason).
MODEL_REFUSED = Decision("model_refused", "refuse", "未作答：模型在给出的段落中没有找到答案。")
ECHO = Decision("echo", "refuse", "未作答：模型只复述了问题，没有说出段落中的内容。")
NO_COUNT = Decision("no_count", "refuse", "未作答：问的是数量，核对后回答中没有留下可以核实的数字。")
NOTHING_LEFT = Decision("nothing_left", "refuse", "未作答：回答中的数字都未通过核对，剩下的内容不能回答问题。")
_WITHHELD = {
    "unsupported": "引用的段落中没有这些数字",
    "wrong_clause": "段落中这些数字说的是另一件事",
    "other_report": "回答把它们归到了另一份报告的单位名下",
    "level": "报告统计这些数字的范围与回答所说的不同（如把区的数字说成全市的）",
    "outside_scope": "它们出自问题没有问到的报告",
}


def withhold(check: str, figs: list[str]) -> Decision:
    """The decision of a clause check that withheld figures."""
    figs = list(dict.fromkeys(figs))
    return Decision(check, "withhold", f"未显示 {'、'.join(figs)}：{_WITHHELD[check]}。", figures=tuple(figs))


def report_names(reports: dict[str, ReportInfo] | None) -> list[str]:
    """Every name the indexed reports go by, longest first (澄州市教育局 before 澄州市)."""
    return sorted({a for info in (reports or {}).values() for a in aliases(info)}, key=len, reverse=True)


def _counting_spans(sentence: str, question: str, names: list[str], share: float,
                    noun_alone: bool = False) -> list[tuple[int, int]]:
    """Where a sentence answers a how-many question: the spans of its stretches that state a figure
    of what the question counts (名, 件) and carry `share` of what the question asks about, of at
    least two words (`noun_alone`: or the one word that is the thing counted, `specific`)."""
    asked, counter = subject(question, names), asked_counter(question)
    if not counter or not (specific(asked, question) if noun_alone else len(asked) >= 2):
        return []
    spans, at = [], 0
    for text, found in stretches(sentence):
        start = sentence.find(text, at)
        if start < 0:  # not verbatim (never expected): no span to point at
            return []
        at = start + len(text)
        if any(c == counter for _, c in found) and len(asked & _words(text, names)) >= share * len(asked):
            spans.append((start, at))
    return spans


def states_count(sentence: str, question: str, names: list[str], share: float, noun_alone: bool = False) -> bool:
    """Whether a sentence answers a how-many question (`_counting_spans`)."""
    return bool(_counting_spans(sentence, question, names, share, noun_alone))


def _counting_part(sentence: str, question: str, names: list[str]) -> str:
    """The part of a sentence that answers a how-many question, verbatim: from the first to the last
    counting stretch ("连续4年开展甲,连续9年开展乙,连续11年开展丙", asked about 丙: only 丙's stretch,
    so another activity's count is not shown beside it)."""
    spans = _counting_spans(sentence, question, names, MIN_SUBJECT_IN_STRETCH, noun_alone=True)
    return sentence[spans[0][0]:spans[-1][1]] if spans else sentence


def counts_something_else(text: str, question: str) -> bool:
    """A how-many question answered with figures none of which counts what was asked (多少件 → 7386名)."""
    counter = asked_counter(question)
    found = [c for f, c in counted(text) if not YEAR.fullmatch(f)]
    return bool(counter and found and counter not in found)


def quote_evidence(checked: Checked, evidence: Evidence | None, passages: list[Passage], scores: list[float],
                   question: str, reports: dict[str, ReportInfo] | None = None) -> Checked:
    """When the model's figures were withheld (misread clause, unsupported, another report's) or it
    only restated the question (the judge having found an answer in the passages), the report's own
    best sentence instead of a refusal, if it clearly answers the question: it was
    shown to the model, carries MIN_SUBJECT_IN_SENTENCE of what the question asks about and, for a
    how-many question, states a figure of what is counted in a stretch carrying
    MIN_SUBJECT_IN_STRETCH of it (a yes/no question the model affirmed by restating it: carries
    MIN_SUBJECT_IN_STRETCH of what it affirmed). Shown as "报告原文：…[n]" (with several reports, whose: "澄州市教育局
    2024年度报告原文：…"): what the report says, verbatim. Also an answer to a how-many question
    that counts something else (多少件 answered "7386名"), when the sentence states what is counted in
    MIN_SUBJECT_STATED of the question's words."""
    other_count = not checked.refused and counts_something_else(checked.text, question)
    if not (evidence is not None and evidence.passage in passages
            and (other_count or checked.refused and (checked.unsupported_numbers or checked.wrong_clause_numbers
                                                     or checked.wrong_report_numbers or checked.echoed))):
        return checked
    names = report_names(reports)
    if other_count and not states_count(evidence.text, question, names, MIN_SUBJECT_STATED, noun_alone=True):
        return checked
    # a yes/no question the model affirmed by restating it ("学校开放[1]" for "…学校开放吗？"): the
    # sentence must carry a third of what the model affirmed, the words it picked from the question
    # a bare "是[1]" names nothing it affirms: the sentence must then carry half of what the question asks
    affirmed = subject(checked.affirmed, names) if checked.affirmed else set()
    asked, sentence = affirmed or subject(question, names), evidence.text
    need = MIN_SUBJECT_IN_STRETCH if affirmed else MIN_SUBJECT_IN_SENTENCE
    if not specific(asked, question) or len(asked & _words(sentence, names)) < need * len(asked):
        return checked
    if asked_counter(question):
        if not states_count(sentence, question, names, MIN_SUBJECT_IN_STRETCH, noun_alone=True):
            return checked
        sentence = _counting_part(sentence, question, names)
    if any(other_level(f, c, [evidence.text], question) for f, c in counted(sentence)):
        return checked  # the report counts it at another level than asked
    n = passages.index(evidence.passage) + 1
    owner = (reports or {}).get(evidence.passage.doc_id)
    source = report_name(owner) if len(reports or {}) > 1 and owner else "报告"
    text = f"{source}原文：{sentence.rstrip('。！？!?；;，,、 ')}[{n}]。"
    misread = checked.wrong_clause_numbers + ([f for f in figures(checked.text) if not YEAR.fullmatch(f)] if other_count else [])
    why = ("模型答的是另一种数量" if other_count else "模型只复述了问题" if checked.echoed
           else "模型的数字未通过核对")
    decisions = checked.decisions + (Decision("quote", "replace", f"改为引用报告原文：{why}，而原文句子直接回答了问题。"),)
    return replace(checked, text=text, refused=False, citations=[Citation(n, passages[n - 1], scores[n - 1])],
                   wrong_clause_numbers=list(dict.fromkeys(misread)), decisions=decisions)


def _outside(figure: str, cited: list[Passage], scope: frozenset[str]) -> bool:
    """Only cited passages of reports outside the question's scope hold this figure."""
    holders = [p for p in cited if figure in passage_figures(p)]
    return bool(holders) and not any(p.doc_ids & scope for p in holders)
