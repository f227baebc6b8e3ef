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
from .schema import Document, ReportInfo

SOURCE = re.compile(r"来源\s*[:：]\s*(\S+)")
DATE = re.compile(r"(?:发布日期|发布时间|日期)\s*[:：]\s*(\d{4}[-./年]\d{1,2}[-./月]\d{1,2}日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)")
# Lines that belong to the web page, not the report.
_BOILERPLATE = re.compile(
    r"^\s*(?:来源\s*[:：]|发布日期|发布时间|浏览次数|访问次数|阅读次数|字号\s*[:：]|【?\s*打印|【?\s*关闭|分享到|扫一扫|"
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

# A place: a few characters ending in an administrative suffix. Generic words that end the same way
# (全市, 本区, 社区…) are not places.
PLACE_SUFFIX = "省|自治区|市|区|县|旗|镇|乡"
_NOT_IN_NAMES = "局和与及的在是了对为年月日关于请问向从"  # characters that end a place name, not part of it
_NAME_CHAR = rf"(?:(?![{_NOT_IN_NAMES}])[\u4e00-\u9fff])"
PLACE = rf"{_NAME_CHAR}{{1,5}}?(?:{PLACE_SUFFIX})"
# The kinds of issuing body that write these reports.
ORGS = ("人民政府", "政府", "教育局", "司法局", "公安局", "财政局", "卫生健康委员会", "卫健委", "市场监督管理局",
        "市场监管局", "生态环境局", "人力资源和社会保障局", "人社局", "自然资源和规划局", "住房和城乡建设局", "住建局",
        "交通运输局", "农业农村局", "文化广电旅游局", "应急管理局", "民政局", "税务局", "统计局", "审计局", "委员会",
        "办公室", "人民法院", "人民检察院")
ORG = "|".join(sorted(map(re.escape, ORGS), key=len, reverse=True))  # longest first
# An issuing body: one to three places, then a known kind of body or some other 局 (whose name holds
# no place suffix, so 云溪区教育局 is read as a place and a body, not as one long bureau name).
BODY = re.compile(rf"((?:{PLACE}){{1,3}})({ORG}|(?:(?![省市区县旗镇乡])[\u4e00-\u9fff]){{1,6}}?局)")
GENERIC_PLACES = frozenset("全市 全省 全区 全县 本市 本区 本县 我市 我区 我县 该市 该区 该县 各区 各县 各市 市 区 县 省 "
                           "城区 市区 辖区 社区 园区 校区 景区 街区 小区 片区 新区 地区 山区 学区 试点区 示范区 "
                           "城市 超市 都市 上市 县区 区县 市县".split())
PLACE_PART = re.compile(PLACE)
PLACE_END = re.compile(rf"(?:{PLACE_SUFFIX})$")
YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_YEAR_SPAN = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:[-—–~至到]\s*((?:19|20)\d{2}))?\s*年")


def is_generic_place(place: str) -> bool:
    """全市, 本区, 社区…, and anything ending in one (请问全市)."""
    return place in GENERIC_PLACES or place[-2:] in GENERIC_PLACES


def places_in(name: str) -> list[str]:
    """The places a body's name is made of, outermost first: 澄州市云溪区教育局 → [澄州市, 云溪区]."""
    m = BODY.match(name)
    head = m.group(1) if m else name
    return [p for p in PLACE_PART.findall(head) if not is_generic_place(p)]


def _bodies(text: str) -> list[str]:
    """Issuing bodies named in a piece of text, in order (generic ones such as 全市教育局 skipped)."""
    out = []
    for m in BODY.finditer(text):
        places = places_in(m.group())
        if places:
            start = m.group(1).find(places[0])
            out.append(m.group(1)[start:] + m.group(2))
    return out


def _years(text: str) -> tuple[int, ...]:
    """The years a title or opening names as what it reports on ('2024年度', '2023—2024年')."""
    for m in _YEAR_SPAN.finditer(text):
        a, b = int(m.group(1)), int(m.group(2) or m.group(1))
        if a <= b <= a + 5:
            return tuple(range(a, b + 1))
    return ()


def identify(text: str, title: str, source: str = "", published: str = "") -> ReportInfo:
    """The report's body, place, years, publish date and title, read from its opening.

    The title is trusted first, then the 来源 header, then the first paragraph's opening words
    ('2024年,澄州市教育局以…'); a body named more fully elsewhere (澄州市云溪区教育局 for the
    title's 云溪区教育局) gives the place its region.
    """
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()][:12]
    body_lines = [ln for ln in lines if ln != title and not is_boilerplate(ln)]
    opening = body_lines[0][:80] if body_lines else ""
    header = next((ln for ln in lines if SOURCE.search(ln)), "")
    candidates = (_bodies(title) + _bodies(source or (m.group(1) if (m := SOURCE.search(header)) else ""))
                  + _bodies(opening))
    body = candidates[0] if candidates else ""
    fuller = [c for c in candidates if c != body and c.endswith(body) and body]
    if fuller:
        body = max(fuller, key=len)
    places = places_in(body) if body else []
    years = _years(title) or _years(opening[:20])
    if not years and (m := YEAR.search(published)):
        years = (int(m.group(1)) - 1,)  # an annual report comes out early the next year
    return ReportInfo(body=body, place=places[-1] if places else "", region=places[-2] if len(places) > 1 else "",
                      years=years, published=published, title=title)


# ---------------------------------------------------------------- corrections by hand

SIDECAR_SUFFIX = ".meta.json"
EDITABLE = tuple(f.name for f in fields(ReportInfo))


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
    fixed = ReportInfo.from_json(merged)
    if "body" in override and not ({"place", "region"} & set(override)):
        places = places_in(fixed.body)  # a corrected body brings its own place
        fixed = replace(fixed, place=places[-1] if places else fixed.place,
                        region=places[-2] if len(places) > 1 else "")
    return fixed


def write_override(report: Path, changes: dict) -> Path:
    """Merge `changes` into the report's sidecar file (created if needed); returns its path."""
    path = sidecar_path(Path(report))
    current = read_override(report)
    current.update({k: v for k, v in changes.items() if v is not None})
    path.write_text(json.dumps(current, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def identified(doc: Document) -> Document:
    """The document with its identity read from its text and corrected by its sidecar file, if any."""
    guess = identify(doc.text, doc.title, doc.source, doc.published)
    return replace(doc, info=apply_override(guess, read_override(Path(doc.path))))
