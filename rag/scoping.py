"""Which reports a question is about: the bodies, places and years it names, matched against the
indexed reports' identities (ReportInfo).

A shelf of one genre repeats its phrases: "共聘任…名法治副校长" stands in every district's report
with another number. So a question that names 云溪区 is answered from 云溪区's reports only, one
that names 2023 from reports on 2023, and one that names a body no report covers (白沙县, 2022年)
is refused, saying what the index does cover. Deterministic and cheap: string matching, no model.
"""
from __future__ import annotations

import re

from .gazetteer import gazetteer
from .reportmeta import BODY, ORG, PLACE_END, YEAR, place_tail, unquoted
from .schema import LEVEL_WORD, ReportInfo, Scope
from .textnorm import normalize

_ORG_AFTER = re.compile(ORG)
_LEVEL_ORG = re.compile(r"(市|区|县)(教育局|人民政府|政府|司法局)")


def _stem(place: str) -> str:
    """杭州市 → 杭州; a one-character stem (X区) is too ambiguous to match alone."""
    stem = PLACE_END.sub("", place)
    return stem if len(stem) >= 2 else ""


def aliases(info: ReportInfo) -> dict[str, str]:
    """The strings that name this report's owner in a question, each with its kind:
    'body' (杭州市教育局), 'place' (杭州市, 杭州) or 'region' (澄州市 for a district's report)."""
    out: dict[str, str] = {}
    for region in (info.region, _stem(info.region)):
        if region:
            out[region] = "region"
    for place in (info.place, _stem(info.place)):
        if place:
            out[place] = "place"
    if info.body:
        out[info.body] = "body"
        if info.region and info.body.startswith(info.region):
            out[info.body[len(info.region):]] = "body"  # 云溪区教育局 for 澄州市云溪区教育局
    return out


def _same_org(asked: str, body: str) -> bool:
    """'政府' asks for a 人民政府's report, '教育局' for an education bureau's."""
    m = BODY.match(body)
    have = m.group(2) if m else ""
    return bool(have) and (asked in have or have in asked)


def unknown_places(question: str, known: set[str]) -> list[tuple[str, str]]:
    """Places in the question that name no indexed report, each with the kind of body named after it
    ('' for none): real places from the gazetteer, and the places of a body's name that read as names
    (a new or invented district, 白沙县教育局). A named body is out of scope even where the reports
    mention its place."""
    found: dict[str, str] = {}
    for name, _, end in gazetteer().named_places(question):
        org = _ORG_AFTER.match(question, end)
        found[name] = found.get(name) or (org.group() if org else "")
    for m in BODY.finditer(question):
        if places := place_tail(m.group(1))[1]:
            found[places[-1]] = found.get(places[-1]) or m.group(2)
    # a known name inside a longer one (杭州 in 杭州市), or ending one that a word runs into (那青禾区)
    return [(w, org) for w, org in found.items()
            if w not in known and _stem(w) not in known
            and not any(w in k or w.endswith(k) and PLACE_END.search(k) for k in known if len(k) != len(w))]


def mentions(text: str, names) -> list[tuple[str, int, int]]:
    """The names a text mentions, as (name, start, end), longest name first and never inside a longer
    one found before: in 澄州市教育局, 澄州市 is not mentioned on its own."""
    taken = [False] * len(text)
    out = []
    for name in sorted(names, key=len, reverse=True):
        for m in re.finditer(re.escape(name), text):
            if not any(taken[m.start():m.end()]):
                taken[m.start():m.end()] = [True] * (m.end() - m.start())
                out.append((name, m.start(), m.end()))
    return out


def scope_question(question: str, reports: dict[str, ReportInfo], mentioned=None) -> Scope:
    """The reports a question is about (doc ids), what it named, and what it named that no report covers.

    `mentioned(word)`: whether any passage mentions a word. A place the reports mention without
    owning a report (a city report's paragraph on one district) is then a topic, not a scope.
    """
    q = unquoted(normalize(question))  # a quoted title's years and places are not the question's
    if not reports:
        return Scope()
    table: dict[str, list[tuple[str, str]]] = {}
    for doc_id, info in reports.items():
        for alias, kind in aliases(info).items():
            table.setdefault(alias, []).append((doc_id, kind))
    # 1. Bodies and places, longest alias first, so 杭州市教育局 is not read again as 杭州.
    found: dict[str, set[str]] = {"body": set(), "place": set(), "region": set()}
    named: list[str] = []
    uncovered: list[str] = []
    for alias, _, end in mentions(q, table):
        named.append(alias)
        owners = {d for d, kind in table[alias]}
        org = _ORG_AFTER.match(q, end)
        if org and not any(kind == "body" for _, kind in table[alias]):
            # a place and a kind of body name that place's own body: 澄州市人民政府 is not the
            # government of 云溪区 (in 澄州市), and 青禾区人民政府 has no report if only 青禾区's
            # education bureau has one
            owners = {d for d, kind in table[alias] if kind == "place" and _same_org(org.group(), reports[d].body)}
            if not owners:
                uncovered.append(alias + org.group())
        for d, kind in table[alias]:
            if d in owners:
                found[kind].add(d)
    docs: set[str] | None = (found["body"] | found["place"]) or found["region"] or None
    if docs is None and (m := _LEVEL_ORG.search(q)):
        # "市教育局", "区政府": no place named, but the level and the kind of body are
        level, org = m.groups()
        matching = {d for d, info in reports.items() if info.place.endswith(level) and _same_org(org, info.body)}
        if matching:
            docs, named = matching, named + [m.group()]
    if docs is None and (m := LEVEL_WORD.search(q)):
        # "全市共聘任了多少名…", no body named: the reports counting that whole area (a city's, not its
        # districts'), when the shelf holds others; one that excludes nothing is no scope
        matching = {d for d, info in reports.items() if info.level == m.group()}
        if matching and len(matching) < len(reports):
            docs, named = matching, named + [m.group()]
    # 2. Places no report owns: out of scope, unless the reports talk about them and the question
    #    does not name the place's own body (上城区教育局 has no report even if 上城区 is mentioned).
    for place, org in unknown_places(q, set(table)):
        if org or mentioned is None or not mentioned(place):
            uncovered.append(place + org)
    # 3. Years: the reports on that year, else the report on the year before (its plans for it).
    years = sorted({int(y) for y in YEAR.findall(q)})
    pool = docs if docs is not None else set(reports)
    if years and any(reports[d].years for d in pool):
        on_year = {d for d in pool if any(y in reports[d].years for y in years)}
        plans = {d for d in pool if reports[d].years and any(y == max(reports[d].years) + 1 for y in years)}
        if on_year or plans:
            docs, named = on_year or plans, named + [f"{y}年" for y in years]
        else:
            uncovered += [f"{y}年" for y in years]
    if uncovered:
        return Scope(frozenset(), tuple(named), tuple(dict.fromkeys(uncovered)))
    return Scope(frozenset(docs) if docs is not None else None, tuple(named), ())


def coverage(reports: dict[str, ReportInfo], limit: int = 8) -> str:
    """What the index covers, one entry per body: 杭州市教育局（2024年度）、澄州市教育局（2023、2024年度）."""
    by_body: dict[str, set[int]] = {}
    for info in reports.values():
        by_body.setdefault(info.body or info.place or info.title, set()).update(info.years)
    parts = [f"{who}（{'、'.join(map(str, sorted(ys)))}年度）" if ys else who for who, ys in by_body.items() if who]
    more = f"等{len(parts)}个单位" if len(parts) > limit else ""
    return "、".join(parts[:limit]) + more


def covering(name: str, reports: dict[str, ReportInfo]) -> tuple[str, list[ReportInfo]]:
    """The place a name is about (上城区 in 上城区教育局) and the reports of a larger area holding
    it (杭州市教育局's): their figures are the whole area's, never that place's own."""
    places = [n for n, _, _ in gazetteer().named_places(name)]
    if not places:
        return "", []
    place = places[-1]
    return place, [info for info in reports.values()
                   if info.place and info.place != place and gazetteer().contains(info.place, place)]


def out_of_scope_answer(scope: Scope, reports: dict[str, ReportInfo]) -> str:
    """The refusal for a question about a body, place or year no indexed report covers. For a place
    inside an indexed report's area (上城区 in 杭州市), it says why that report's figures do not
    answer: they are the whole area's. An unrelated place (海淀区) gets no such line."""
    from .prompting import REFUSAL

    notes = []
    for name in scope.uncovered:
        place, larger = covering(name, reports)
        by_area: dict[str, list[str]] = {}  # a province's and a city's reports each count their own area
        for info in larger:
            by_area.setdefault(info.place, []).append(info.body or info.place)
        for area, bodies in by_area.items():
            level = next((i.level for i in larger if i.place == area and i.level), "") or area
            notes.append(f"{place}属{area}，{'、'.join(dict.fromkeys(bodies))}的报告所列是{level}的数字，不是{place}的")
    note = "".join(f"{n}。" for n in notes)
    return f"{REFUSAL}已收录的报告中没有{'、'.join(scope.uncovered)}的报告；{note}现有：{coverage(reports)}。"


def report_names(reports: dict[str, ReportInfo] | None) -> list[str]:
    """Every name the indexed reports go by, longest first (澄州市教育局 before 澄州市)."""
    return sorted({a for info in (reports or {}).values() for a in aliases(info)}, key=len, reverse=True)


MAX_TITLE_SHOWN = 30  # characters of a title that names a report in an answer


def report_name(info: ReportInfo) -> str:
    """How an answer names a report: 澄州市云溪区教育局2024年度报告, or by its title when whose it
    is was not read (《2024年法治政府建设情况报告》): a figure always says where it is from."""
    if not (info.body or info.place):
        return f"《{info.title[:MAX_TITLE_SHOWN]}{'…' if len(info.title) > MAX_TITLE_SHOWN else ''}》"
    return f"{info.body or info.place}{'、'.join(map(str, info.years))}{'年度' if info.years else ''}报告"
