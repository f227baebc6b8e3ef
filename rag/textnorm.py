"""Text normalisation shared by dedup, ids, keyword search, number checks and the eval set.

Chinese reports mix full-width (，；：（）) and half-width (,;:()) punctuation and digits; NFKC folds
them to one form so that the same sentence compares equal however it was typed.
"""
from __future__ import annotations

import re
import unicodedata

# CJK characters and punctuation (full-width forms included); HAN is the ideographs alone.
CJK_CHARS = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
HAN = re.compile(r"[\u4e00-\u9fff]")
PATH_SEP = " › "  # between the headings of a passage's section path
_TIGHT = CJK_CHARS + r",.;:!?()\[\]\"'"  # no space is meaningful next to these in Chinese text
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{_TIGHT}])\s+|\s+(?=[{_TIGHT}])")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC (full-width → half-width), whitespace collapsed and dropped next to CJK characters."""
    text = unicodedata.normalize("NFKC", text)
    text = _SPACES.sub(" ", text).strip()
    return _SPACE_NEAR_CJK.sub("", text)


# Sentences end in 。！？； or ;!? (or a line break), then any closing quotes or brackets. SENTENCE's
# pieces cover the text completely, so joining them gives the text back.
SENTENCE_END = re.compile(r"[。！？；;!?\n]+[”’」』)）\"']*")
SENTENCE = re.compile(r"[^。！？；;!?\n]*[。！？；;!?\n]+[”’」』)）\"']*|[^。！？；;!?\n]+")
# A citation marker as the product writes it: [n].
MARKER = re.compile(r"\[(\d{1,2})\]")
# a clause: up to a comma, semicolon or sentence end (not a thousands separator: 1,237), with its markers
CLAUSE = re.compile(r"(?:[^，,；;。！？!?\n]|,(?=\d{3}))+[，,；;。！？!?\n]*(?:\[\d{1,2}\])*")


def sentences(text: str) -> list[str]:
    return SENTENCE.findall(text)


def char_bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def bigrams(text: str) -> set[str]:
    """Character bigrams of the normalised text without punctuation or spaces: word overlap for
    Chinese, where there are no spaces to split on."""
    return char_bigrams(re.sub(r"\W", "", normalize(text)))

# A number as written in reports: 1237, 10.09, 12万, 40.4%, 1,385 (thousands separators).
NUMBER = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\d.])\d+(?:\.\d+)?")
_MULTIPLIER = re.compile(r"\s*(万|亿|千|百|%)")


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ORDINAL = re.compile(r"(?<=第)[一二三四五六七八九十]{1,3}(?![一二三四五六七八九十])")
_CN_NUMBER = re.compile(r"[一二两三四五六七八九十]{1,3}(?=[年次个所名件项人家大届批场])")
# A list item's own number at the start of a line ("1. …", "2、…", "(3) …"): not a figure.
_ENUMERATOR = re.compile(r"(?m)^\s*(?:[(（]?\d{1,2}[)）]|\d{1,2}\s*[.、．](?!\d))\s*")


def _cn_to_int(s: str) -> int | None:
    if "十" not in s:
        return _CN_DIGITS.get(s) if len(s) == 1 else None
    tens, _, ones = s.partition("十")
    t = _CN_DIGITS.get(tens, None) if tens else 1
    o = _CN_DIGITS.get(ones, None) if ones else 0
    return None if t is None or o is None else t * 10 + o


def cn_digits(text: str, lone_one: bool = True) -> str:
    """Chinese numerals up to 99 before a counter word as digits: 连续十年 → 连续10年.
    `lone_one=False` leaves a bare 一 alone: 一年, 一件事 are words, not figures."""
    def digits(m: re.Match) -> str:
        v = _cn_to_int(m.group())
        return m.group() if v is None or (v == 1 and not lone_one) else str(v)
    text = _ORDINAL.sub(lambda m: str(_cn_to_int(m.group()) or m.group()), text)  # 全省第一 = 第1
    return _CN_NUMBER.sub(digits, text)


def figures(text: str) -> list[str]:
    """The figures a text states, as `numbers_with_units` gives them: Chinese numerals counted
    (十年 = 10年), citation markers and list items' own numbers not."""
    return [figure for figure, _ in counted(text)]


# words that point back at something named before (这份名单, 其中): a follow-up's, never what is asked
DEMONSTRATIVE = "其中|它们|它|这些|这个|这份|这项|这类|这批|此项|此类|上述|他们|她们|那些|那个|该|前者|后者"
HOW_MANY = re.compile(r"多少|(?<!哪)几")  # 哪几 lists
_HOW_MANY_COUNTER = re.compile(rf"(?:{HOW_MANY.pattern})\s*([\u4e00-\u9fff%])")


def asked_counter(question: str) -> str:
    """What a how-many question counts (多少所 → 所, 几次 → 次); '' for other questions (哪几项 lists)."""
    m = _HOW_MANY_COUNTER.search(question)
    return m.group(1) if m else ""


def counter_bigrams(question: str) -> set[str]:
    """A how-many question's bigrams that hold its counter ("少所", "所学" of 多少所学校), punctuation
    left out; empty for other questions."""
    text = re.sub(r"\W", "", normalize(question))
    m = _HOW_MANY_COUNTER.search(text)
    if not m:
        return set()
    i = m.start(1)
    return {g for g in (text[i - 1:i + 1], text[i:i + 2]) if len(g) == 2}


def counted(text: str) -> list[tuple[str, str]]:
    """`figures` with what each counts: the counter word after it (名, 所, 件, 次, or % for a
    share; '' if none), so that 9次 and 9名 are told apart."""
    lines_kept = _ENUMERATOR.sub("", unicodedata.normalize("NFKC", text))  # before spaces are collapsed
    return _numbers(cn_digits(MARKER.sub("", lines_kept), lone_one=False))


def numbers_with_units(text: str) -> list[str]:
    """Numbers in normalised form, each with its 万/亿/% multiplier when one follows.

    '10.09万个' → '10.09万'; '40.4%' → '40.4%'; '1,385' → '1385'. Used to check that every number
    in an answer occurs in a cited passage, and to compare eval answers.
    """
    return [figure for figure, _ in _numbers(text)]


_COUNTER = re.compile(r"\s*[余多]?\s*([\u4e00-\u9fff%])")


def _numbers(text: str) -> list[tuple[str, str]]:
    text = normalize(text)
    out = []
    for m in NUMBER.finditer(text):
        num = m.group().replace(",", "")
        unit = _MULTIPLIER.match(text, m.end())
        counter = _COUNTER.match(text, unit.end() if unit and unit.group(1) != "%" else m.end())
        out.append((num + (unit.group(1) if unit else ""), counter.group(1) if counter else ""))
    return out
