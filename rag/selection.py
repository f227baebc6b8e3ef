"""Reports chosen by hand: a filter (bodies, years, doc ids) read against the indexed identities,
and its meeting with the scope a question implies.

The question already scopes itself ("云溪区…" asks 云溪区's reports); a person may also pick the
reports to ask. The two intersect: picking 澄州市教育局 and asking about 云溪区 asks nothing, and
says so, rather than searching everything or answering from a report nobody chose.
"""
from __future__ import annotations

from dataclasses import replace

from .errors import BadInput
from .schema import ReportFilter, ReportInfo, Scope


def chosen_reports(wanted: ReportFilter, reports: dict[str, ReportInfo]) -> frozenset[str] | None:
    """The doc ids a filter picks (None: no filter). Each field narrows (bodies ∩ years ∩ doc_ids);
    within a field any value matches. A value no indexed report has is a BadInput naming it."""
    if wanted.empty:
        return None
    unknown = [f"body {b!r}" for b in wanted.bodies if not any(info.body == b for info in reports.values())]
    unknown += [f"year {y!r}" for y in wanted.years if not any(y in info.years for info in reports.values())]
    unknown += [f"doc_id {d!r}" for d in wanted.doc_ids if d not in reports]
    if unknown:
        raise BadInput(f"No indexed report has {', '.join(unknown)}.",
                       zh="所选的报告已不在索引中（可能刚被删除）：请重新选择要查询的报告。")
    picked = frozenset(d for d, info in reports.items()
                       if (not wanted.bodies or info.body in wanted.bodies)
                       and (not wanted.years or set(wanted.years) & set(info.years))
                       and (not wanted.doc_ids or d in wanted.doc_ids))
    if not picked:  # each value exists, but no report has them together (杭州市教育局 and 2023)
        raise BadInput("No indexed report matches all of the filter's fields together: "
                       f"bodies {list(wanted.bodies)}, years {list(wanted.years)}, doc_ids {list(wanted.doc_ids)}.",
                       zh="没有同时符合所选单位、年度的报告：请放宽筛选。")
    return picked


def narrow(scope: Scope, chosen: frozenset[str] | None) -> Scope:
    """The question's scope within the chosen reports: all of them when the question names none, the
    intersection when it does. An empty intersection keeps what the question named, so the refusal
    can name both (`conflict`); a question out of every report's scope stays so."""
    if chosen is None:
        return scope
    doc_ids = scope.doc_ids if scope.uncovered else chosen if scope.doc_ids is None else scope.doc_ids & chosen
    return replace(scope, doc_ids=doc_ids, chosen=chosen)


def searched(scope: Scope) -> Scope | None:
    """What retrieval searches for a scope: its reports; for a question out of every report's scope
    (refused, with the closest passages shown) every report, or only the chosen ones."""
    if not scope.uncovered:
        return scope
    return Scope(scope.chosen) if scope.chosen is not None else None


def scope_labels(scope: Scope, reports: dict[str, ReportInfo]) -> tuple[str, ...]:
    """The labels of the reports a scope searched (杭州市教育局 · 2024年度), when it narrowed them."""
    if scope.doc_ids is None or scope.uncovered:
        return ()
    return tuple(sorted(dict.fromkeys(reports[d].label for d in scope.doc_ids if d in reports)))


def conflict(scope: Scope) -> bool:
    """Whether the chosen reports and the question's own scope have no report in common."""
    return scope.chosen is not None and not scope.uncovered and scope.doc_ids == frozenset()


def conflict_answer(scope: Scope, reports: dict[str, ReportInfo]) -> str:
    """The refusal for a question whose scope lies outside the chosen reports, naming both."""
    from .prompting import REFUSAL

    picked = "、".join(dict.fromkeys(reports[d].label for d in sorted(scope.chosen or ()) if d in reports))
    asked = "、".join(scope.named) or "问题所指的范围"
    return f"{REFUSAL}所选的报告（{picked}）不包含问题所问的{asked}；请在报告筛选中加入相应报告，或改为全部报告。"
