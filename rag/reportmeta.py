"""What a report says about itself: the page header (source, date) and its identity (body, place, years).

Reports of one genre read alike: the same phrases, other districts, bodies and years. So each report's
identity is read from its title line, its `来源:` header and its first paragraph, and a person can
correct a wrong guess in a sidecar file `<report file>.meta.json` (`rag index meta` writes it):

    {"body": "澄州市云溪区教育局", "place": "云溪区", "region": "澄州市", "years": [2024]}
"""
from __future__ import annotations

import json
import re
from dataclasses import fields, replace
from pathlib import Path

from .errors import BadInput
from .gazetteer import gazetteer
from .keyword import pos_tags
from .schema import Document, ReportInfo

# a header naming who published: "来源:X", or in a table of page fields "发布机构 X" (no colon)
SOURCE = re.compile(r"(?:信息来源|来源|发文机关|发布机构|发布单位)(?:\s*[:：]\s*|[ \t\u3000]+)([^\s:：]\S*)")
DATE = re.compile(r"(?:发布日期|发布时间|日期)\s*[:：]\s*(\d{4}[-./年]\d{1,2}[-./月]\d{1,2}日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)")
# Lines that belong to the web page, not the report.
_BOILERPLATE = re.compile(
    r"^\s*(?:(?:信息来源|来源|发文机关|发布机构|发布单位)\s*[:：]|发布日期|发布时间|浏览次数|访问次数|阅读次数|字号\s*[:：]|【?\s*打印|【?\s*关闭|分享到|扫一扫|"
    r"当前位置\s*[:：]|上一篇|下一篇|责任编辑)"
)
_PAGE_COUNTERS = re.compile(r"\s*(?:浏览次数|访问次数|阅读次数|字号\s*[:：]|【?\s*打印|【?\s*关闭|分享到)")


def is_boilerplate(line: str) -> bool:
    return bool(_BOILERPLATE.match(line))


def metadata_span(line: str) -> tuple[int, int] | None:
    """The part of a page-header line worth keeping ('来源:… 发布日期:…'), without view counters."""
    if not (SOURCE.search(line) or DATE.search(line)):
        return None
    cut = _PAGE_COUNTERS.search(line)
    end = len(line[:cut.start()].rstrip()) if cut else len(line)
    return (0, end) if end else None


# ---------------------------------------------------------------- identity

# A place: a name the gazetteer of administrative divisions lists (rag/gazetteer.py), or one an
# indexed report's identity gives. PLACE, a few characters ending in an administrative suffix, only
# finds candidates: in a body's name (澄州市云溪区教育局) an invented or new place is still read, as
# long as it reads as a name (`plain_name`), never because it ends in 市/区/县.
PLACE_SUFFIX = "省|自治区|市|区|县|旗|镇|乡"
_NOT_IN_NAMES = "局和与及的在是了对为年月日关于请问向从"  # characters that end a place name, not part of it
_NAME_CHAR = rf"(?:(?![{_NOT_IN_NAMES}])[\u4e00-\u9fff])"
PLACE = rf"{_NAME_CHAR}{{1,5}}?(?:{PLACE_SUFFIX})"
# The kinds of issuing body that write these reports.
ORGS = ("人民政府", "政府", "教育局", "教育体育局", "文化广电旅游体育局", "司法局", "公安局", "财政局", "卫生健康委员会",
        "卫健委", "市场监督管理局", "市场监管局", "生态环境局", "人力资源和社会保障局", "人社局", "自然资源和规划局",
        "住房和城乡建设局", "住建局", "交通运输局", "农业农村局", "文化广电旅游局", "应急管理局", "民政局", "税务局",
        "统计局", "审计局", "教育委员会", "教育厅", "委员会", "办公室", "人民法院", "人民检察院")
ORG = "|".join(sorted(map(re.escape, ORGS), key=len, reverse=True))  # longest first
# An issuing body: one to three places, then a known kind of body or some other 局 (whose name holds
# no place suffix, so 云溪区教育局 is read as a place and a body, not as one long bureau name).
_SOME_BUREAU = r"(?:(?![省市区县旗镇乡])[\u4e00-\u9fff]){1,8}?[局厅]"  # 审批局, 司法厅: a bureau or department
BODY = re.compile(rf"((?:{PLACE}){{1,3}})({ORG}|{_SOME_BUREAU})")
GENERIC_PLACES = frozenset("全市 全省 全区 全县 本市 本区 本县 我市 我区 我县 该市 该区 该县 各区 各县 各市 市 区 县 省 "
                           "城区 市区 辖区 社区 园区 校区 景区 街区 小区 片区 新区 地区 山区 学区 试点区 示范区 "
                           "城市 超市 都市 上市 县区 区县 市县".split())
PLACE_PART = re.compile(PLACE)
PLACE_END = re.compile(rf"(?:{PLACE_SUFFIX})$")
YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_YEAR_SPAN = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:[-—–~至到]\s*((?:19|20)\d{2}))?\s*年")
# A Party committee's name written beside the bureau's (中共X县教育局委员会 X县教育局): not the author.
_PARTY = re.compile(r"中共[\u4e00-\u9fff]{2,20}?委员会|中国共产党[\u4e00-\u9fff]{2,20}?委员会"
                    r"|中共[\u4e00-\u9fff]{1,12}?[省市州县区旗]委(?![员会])")  # 中共浚县县委
# Words that make a name a Party or office one (省委, 区委依法治区办公室), or a count (几名区): no place.
_NOT_A_NAME = re.compile(r"[委党厅办几多少某各每本该全我其]|[0-9０-９一二三四五六七八九十百千万]")
_NOT_PLACE_FLAGS = ("v", "p", "d", "c", "u", "m", "q", "r", "f")
_LEADING_WORDS = ("r", "c", "p", "d", "u", "y", "e", "v")
# Quoted titles and a series' date span: their years and places are not what a question is about
# (《法治政府建设实施纲要(2021—2025年)》, “十四五”…).
_QUOTED_SPANS = re.compile(r"《[^》]*》|“[^”]*”|\"[^\"]*\"|「[^」]*」|[(（]\s*(?:19|20)\d{2}\s*[-—–~至到]\s*(?:19|20)\d{2}"
                           r"\s*年?\s*[)）]")


def unquoted(text: str) -> str:
    """The text with quoted titles and date spans blanked (same length, so offsets still hold)."""
    return _QUOTED_SPANS.sub(lambda m: " " * len(m.group()), text)


def is_generic_place(place: str) -> bool:
    """全市, 本区, 社区…, and anything ending in one (请问全市)."""
    return place in GENERIC_PLACES or place[-2:] in GENERIC_PLACES


def plain_name(place: str) -> bool:
    """Whether a place-like word the gazetteer lacks still reads as a name: a stem of two or more
    characters with no Party, office or counting word (省委省, 几名区), not generic (全市, 城区), whose
    last word jieba reads as no verb, preposition, adverb or numeral (列入市, 纳入县) and whose first
    as no pronoun, conjunction or preposition (那青禾区: 那 + 青禾区)."""

    stem = PLACE_END.sub("", place)
    if len(stem) < 2 or _NOT_A_NAME.search(stem) or is_generic_place(place):
        return False
    tags = pos_tags(stem)
    if not tags:
        return False
    last, first = tags[-1][1], tags[0][1]
    return not (last.startswith(_NOT_PLACE_FLAGS) and last != "vn") and not first.startswith(_LEADING_WORDS)


def split_places(head: str) -> list[str]:
    """The places a body's name opens with, outermost first (澄州市云溪区 → [澄州市, 云溪区]); [] when
    any part is no place (在省委省, 中共云溪区委依法治区)."""

    found = gazetteer().places_in(head)
    if found and "".join(n for n, _, _ in found) == head:
        return [n for n, _, _ in found]
    parts = PLACE_PART.findall(head)
    if "".join(parts) != head:
        return []
    return parts if all(p in gazetteer() or plain_name(p) for p in parts) else []


def place_tail(head: str) -> tuple[int, list[str]]:
    """The longest tail of a place-like run that is all places, starting at a word boundary (jieba),
    with its offset: 那青禾区 → (1, [青禾区]), 请问澄州市云溪区 → (2, [澄州市, 云溪区]), 委依法治区 → (0, [])."""

    start = 0
    for word, _ in [("", "")] + pos_tags(head):
        start += len(word)
        if start < len(head) and (places := split_places(head[start:])):
            return start, places
    return 0, []


def places_in(name: str) -> list[str]:
    """The places a body's name is made of, outermost first: 澄州市云溪区教育局 → [澄州市, 云溪区]."""

    real = []
    for place, start, end in gazetteer().places_in(name):
        if start != sum(map(len, real)):
            break
        real.append(place)
    if real and _ORG_AT.fullmatch(name[sum(map(len, real)):]):
        return real
    m = BODY.match(name)
    return split_places(m.group(1)) if m else split_places(name)


_ORG_AT = re.compile(rf"(?:{ORG}|{_SOME_BUREAU})")


def _bodies(text: str) -> list[str]:
    """Issuing bodies named in a piece of text, in order: places (real, or reading as names) and a
    kind of body. 省委省政府, 委依法治区办公室 and 全市教育局 are none; a Party committee's name is
    skipped for the bureau's beside it. Real places of any length come from the gazetteer
    (鄂温克族自治旗教育局); others from the PLACE pattern, when they read as names."""

    text = _PARTY.sub(" ", text)
    found: list[tuple[int, int, str]] = []
    chain: list[tuple[str, int, int]] = []
    for name, start, end in gazetteer().places_in(text):
        chain = chain + [(name, start, end)] if chain and chain[-1][2] == start else [(name, start, end)]
        if org := _ORG_AT.match(text, end):
            found.append((chain[0][1], org.end(), text[chain[0][1]:org.end()]))
    for m in BODY.finditer(text):
        start, places = place_tail(m.group(1))
        if places:
            found.append((m.start(1) + start, m.end(), m.group(1)[start:] + m.group(2)))
    out, taken = [], []
    for start, end, body in sorted(found, key=lambda f: (f[0], -(f[1] - f[0]))):
        if not any(s <= start < e for s, e in taken):
            taken.append((start, end))
            out.append(body)
    return out


def _years(text: str) -> tuple[int, ...]:
    """The years a title or opening names as what it reports on ('2024年度', '2023—2024年')."""
    for m in _YEAR_SPAN.finditer(unquoted(text)):
        a, b = int(m.group(1)), int(m.group(2) or m.group(1))
        if a <= b <= a + 5:
            return tuple(range(a, b + 1))
    return ()


# What comes before a body that the report cites or thanks rather than one that writes it.
_LEAD = re.compile(r"^(?:(?:19|20)\d{2}\s*年(?:度)?(?:以来)?\s*[,，]?\s*)?")
_MEETING = re.compile(r"^[(（].*(?:会议|大会|常务委员会).*[)）]$")


def _opening_body(line: str) -> list[str]:
    """A body the first paragraph opens with ('2024年，澄州市教育局以…'); none after 在/根据 (a body
    thanked or cited: 在省委省政府的领导下)."""
    rest = line[_LEAD.match(line).end():]
    m = BODY.match(_PARTY.sub("", rest))
    return _bodies(m.group()) if m else []


_REPORTED = re.compile(r"现将(?:我|本)?([\u4e00-\u9fff]{2,20}?)(?:(?:19|20)\d{2}\s*年|关于|上一年|本年|今年|全年)"
                       r"[^。]{0,40}?报告如下")


def _reported_place(lines: list[str]) -> list[str]:
    """The place an opening's "现将X2024年度…报告如下" reports on, when X is a place and nothing else
    (现将中原区…: [中原区]; 现将县人民政府… or 现将有关工作: none)."""
    for line in lines:
        for m in _REPORTED.finditer(line):
            if (places := split_places(m.group(1))) and "".join(places) == m.group(1):
                return places
    return []


def _body_line(line: str) -> list[str]:
    """A line that is a body's name and nothing else (杭州市人民政府, under a title or a meeting line)."""
    bare = re.sub(r"\s+", "", _PARTY.sub("", line))
    m = BODY.fullmatch(bare)
    return _bodies(bare) if m else []


HEAD_LINES = 40  # a web page's text may open with banners, breadcrumbs and a table of page fields
_TITLE = re.compile(r"报告|工作情况|建设情况")
_NOT_TITLE = re.compile(r"当前位置|首页|>|›|\||索引号|文号|[，,。；;]|^[一二三四五六七八九十]+、|^[(（][一二三四五六七八九十]+[)）]")


def report_title(lines: list[str], title: str) -> str:
    """The report's title: the one given when it reads as a report's, else the first opening line
    that does ("静海区2023年度法治政府建设情况报告" under a site banner and a breadcrumb)."""
    def reads_as_title(line: str) -> bool:
        return (len(line) <= 80 and bool(_TITLE.search(line)) and not _NOT_TITLE.search(line)
                and not is_boilerplate(line) and not line.startswith(("根据", "现将")))

    return title if reads_as_title(title) else next((ln for ln in lines if reads_as_title(ln)), title)


def _title_place(title: str) -> list[str]:
    """The places a title opens with when it names no body (杭州市上城区2024年…, 关于X市2024年度…)."""

    head = re.sub(r"^关于", "", title)
    found = gazetteer().places_in(head)
    places = []
    for name, start, end in found:
        if start != sum(len(p) for p in places):
            break
        places.append(name)
    if not places:
        m = re.match(rf"(?:{PLACE}){{1,3}}", head)
        places = split_places(m.group()) if m else []
    return places


def identify(text: str, title: str, source: str = "", published: str = "") -> ReportInfo:
    """The report's body, place, years, publish date and title, read from its opening, each with
    where it was read from (`ReportInfo.origin`); what cannot be read stays empty, never guessed.

    The title (the first opening line that reads as a report's, past a web page's banner and field
    table) first, then a line that is a body's name alone (by the title or under a meeting line), then
    a title naming only a place (its government's report), then a 来源 / 发文机关 / 信息来源 header
    (who posted it, often an office of the author), then the first paragraph's opening words
    ('2024年,澄州市教育局以…'). A body named more fully elsewhere (澄州市云溪区教育局 for the
    title's 云溪区教育局) gives the place its region. A title naming only a place (杭州市上城区…) is
    that place's government's report.
    """
    head = [ln.strip() for ln in text.split("\n") if ln.strip()][:HEAD_LINES]
    title = report_title(head, title)
    at = head.index(title) if title in head else 0
    lines = head[max(0, at - 2):at + 12]  # a body's name may stand just above the title
    body_lines = [ln for ln in lines if ln != title and not is_boilerplate(ln) and not _MEETING.match(ln)]
    opening = body_lines[0][:80] if body_lines else ""
    header = next((ln for ln in head if SOURCE.search(ln)), "")
    named = source or (m.group(1) if (m := SOURCE.search(header)) else "")
    candidates = [(b, "title") for b in _bodies(title)]
    candidates += [(b, "line") for ln in body_lines[:4] for b in _body_line(ln)]
    if not candidates and (places := _title_place(title)):
        # a title naming only a place (杭州市上城区2024年…) is its government's report, whoever posted it
        candidates = [("".join(places) + "人民政府", "title (a place's report: its government)")]
    candidates += [(b, "header") for b in _bodies(named)]
    candidates += [(b, "opening") for b in _opening_body(opening)]
    body, origin = candidates[0] if candidates else ("", "")
    fuller = [(c, o) for c, o in candidates if c != body and c.endswith(body) and body]
    if fuller:
        body, more = max(fuller, key=lambda c: len(c[0]))
        origin = f"{origin} + {more}"
    if not body and (said := _reported_place(lines[:4])):
        # "现将中原区2024年度法治政府建设情况报告如下": the opening names whose report it is
        body, origin = "".join(said) + "人民政府", "opening (现将…报告如下: a place's report: its government)"
    places = places_in(body) if body else []
    years, years_from = _years(title), "title"
    if not years:
        years, years_from = _years(opening[:20]), "opening"
    if not years and (m := YEAR.search(published)):
        years, years_from = (int(m.group(1)) - 1,), "publish date"  # an annual report comes out early the next year
    where = {"body": origin, "place": origin, "region": origin if len(places) > 1 else "",
             "years": years_from if years else ""}
    return ReportInfo(body=body, place=places[-1] if places else "", region=places[-2] if len(places) > 1 else "",
                      years=years, published=published, title=title,
                      origin=tuple((k, v) for k, v in where.items() if v))


# ---------------------------------------------------------------- corrections by hand

SIDECAR_SUFFIX = ".meta.json"
EDITABLE = tuple(f.name for f in fields(ReportInfo) if f.name != "origin")


def sidecar_path(report: Path) -> Path:
    return report.with_name(report.name + SIDECAR_SUFFIX)


def is_sidecar(path: Path) -> bool:
    return path.name.endswith(SIDECAR_SUFFIX)


def read_override(report: Path) -> dict:
    """The fields a person set for this report, or {}; BadInput names a sidecar that cannot be used."""
    path = sidecar_path(Path(report))
    if not path.exists():
        return {}
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise BadInput(f"{path.name}: cannot read it as JSON ({e}); fix or delete it.") from None
    unknown = set(obj) - set(EDITABLE) if isinstance(obj, dict) else {"(not an object)"}
    if unknown:
        raise BadInput(f"{path.name}: unknown field(s) {', '.join(sorted(unknown))}; "
                       f"allowed: {', '.join(EDITABLE)}.")
    return obj


def apply_override(info: ReportInfo, override: dict) -> ReportInfo:
    if not override:
        return info
    merged = {**info.to_json(), **override}
    merged.pop("label", None)
    merged["origin"] = {**info.to_json()["origin"], **{k: "corrected by hand" for k in override}}
    fixed = ReportInfo.from_json(merged)
    if "body" in override and not ({"place", "region"} & set(override)) and (places := places_in(fixed.body)):
        # a corrected body naming its place brings place and region with it (a body naming none
        # leaves both as they were read)
        origin = {**dict(fixed.origin), "place": "corrected by hand", "region": "corrected by hand"}
        fixed = replace(ReportInfo.from_json({**fixed.to_json(), "origin": origin}),
                        place=places[-1], region=places[-2] if len(places) > 1 else "")
    return fixed


MAX_FIELD_CHARS = 80
YEARS_RANGE = (1949, 2100)


def parse_years(text: str) -> list[int]:
    """Years as people type them: 2024, 2023,2024, 2023，2024 or 2023、2024; BadInput otherwise."""
    parts = [p for p in re.split(r"[,，、\s]+", text.strip()) if p]
    if not parts or not all(p.isdigit() for p in parts):
        raise BadInput(f"years {text!r}: give years as numbers, e.g. 2024 or 2023,2024.",
                       zh=f"年度“{text}”无法识别：请填写数字年份，如 2024 或 2023,2024。")
    return [int(p) for p in parts]


# What people read of an identity, in Chinese: the fields, and where each was read from (the
# origins this module records: a new origin needs its line here, tests/test_hardening.py checks).
FIELD_ZH = {"body": "单位", "place": "地区", "region": "上级地区", "years": "年度"}
ORIGIN_ZH = {"title": "标题", "header": "来源栏", "line": "单位署名行", "opening": "首段", "publish date": "发布日期",
             "corrected by hand": "人工更正", "title (a place's report: its government)": "标题（地区报告，即其政府）",
             "opening (现将…报告如下: a place's report: its government)": "首段“现将…报告如下”（地区报告，即其政府）"}


def origin_zh(origin: str) -> str:
    """Where a field was read from, in Chinese; "title + header" (read in both) part by part."""
    return "＋".join(ORIGIN_ZH.get(part, part) for part in origin.split(" + "))


def checked_changes(changes: dict) -> dict:
    """Corrections as they will be kept (None: unchanged); BadInput names the first that cannot be
    used (an empty body, a year outside YEARS_RANGE, a name over MAX_FIELD_CHARS), and nothing is written."""
    out = {}
    for key, value in changes.items():
        if value is None:
            continue
        if key not in EDITABLE:
            raise BadInput(f"{key}: not an identity field; editable: {', '.join(EDITABLE)}.")
        if key == "years":
            years = parse_years(value) if isinstance(value, str) else list(value)
            low, high = YEARS_RANGE
            if not years or not all(isinstance(y, int) and not isinstance(y, bool) and low <= y <= high for y in years):
                raise BadInput(f"years {value!r}: each must be a year from {low} to {high}.",
                               zh=f"年度“{value}”不是 {low}–{high} 之间的年份。")
            out[key] = sorted(set(years))
            continue
        value = " ".join(str(value).split())
        if key == "body" and not value:
            raise BadInput("body: empty; give the issuing body's name, e.g. 杭州市上城区教育局.",
                           zh="单位不能为空：请填写发文单位，如 杭州市上城区教育局。")
        if len(value) > MAX_FIELD_CHARS:
            raise BadInput(f"{key}: {len(value)} characters; at most {MAX_FIELD_CHARS}.",
                           zh=f"{FIELD_ZH[key]}过长（{len(value)} 字），最多 {MAX_FIELD_CHARS} 字。")
        out[key] = value
    return out


def write_override(report: Path, changes: dict) -> Path:
    """Merge `changes` (checked first: BadInput, nothing written) into the report's sidecar file
    (created if needed); returns its path."""
    changes = checked_changes(changes)
    path = sidecar_path(Path(report))
    current = read_override(report)
    current.update(changes)
    path.write_text(json.dumps(current, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def identified(doc: Document) -> Document:
    """The document with its identity read from its text and corrected by its sidecar file, if any."""
    guess = identify(doc.text, doc.title, doc.source, doc.published)
    return replace(doc, info=apply_override(guess, read_override(Path(doc.path))))
