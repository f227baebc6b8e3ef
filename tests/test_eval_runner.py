"""The eval runner: input validation, matching rules, metrics, reports and comparisons."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rag.errors import BadInput
from rag.evaluation import QAItem, contains_evidence, contains_must, load_qa, misread_figures, rouge_l


def rag(*args):
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, timeout=900,
                          env={**os.environ, "TQDM_DISABLE": "1"})


@pytest.mark.parametrize("content,message", [
    ('{"id": "a"\n', "line 1: not valid JSON"),
    ('{"id": "a", "type": "fact", "question": "q"}\n', "line 1: missing field"),
    ('{"id":"a","type":"fact","question":"q","answer":"x","must":[],"evidence":""}\n' * 2, "line 2: duplicate id"),
    ('{"id":"a","type":"nonsense","question":"q","answer":"x","must":[],"evidence":""}\n', "unknown type"),
])
def test_bad_qa_files_name_the_line(tmp_path, content, message):
    path = tmp_path / "qa.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BadInput, match=message):
        load_qa(path)


def test_bad_qa_file_exits_2(tmp_path):
    path = tmp_path / "qa.jsonl"
    path.write_text("not json\n", encoding="utf-8")
    out = rag("eval", "--qa", str(path), "--retrieval-only", "--profile", "lite")
    assert out.returncode == 2 and "line 1" in out.stderr and "Traceback" not in out.stderr


def test_matching_rules():
    assert contains_must("新增学位10.09万个[1]", "10.09万")
    assert contains_must("新增学位100900个", "10.09万")
    assert contains_must("占比４０.４％", "40.4%")
    assert contains_must("连续10年开放", "十年") and contains_must("连续十年开放", "10年")
    assert not contains_must("共聘任12370名", "1237") and not contains_must("共955所", "95")
    assert contains_evidence("今年全市新建成中小学、幼儿园96所，新增学位10.09万个;", "新建成中小学、幼儿园96所,新增学位10.09万个")
    assert rouge_l("新增学位10.09万个", "新增学位10.09万个") == 1.0 and rouge_l("abc", "xyz") == 0.0


def test_wrong_clause_metric_counts_figures_not_names_or_timestamps():
    item = QAItem("x", "plan", "2025年执法改革要怎么推进？", "持续深化综合行政执法改革。", ["综合行政执法改革"], "")
    assert misread_figures(item, "要确保“三项制度”落实到位[1]。") == []  # a name's digits count nothing
    assert misread_figures(item, "发布日期是2025-02-07 09:34[1]。") == []
    assert misread_figures(item, "全年开展执法检查12次[1]。") == ["12"]
    counted = QAItem("y", "number", "审查了几件合同？", "全年审查行政机关合同127件。", ["127"], "")
    assert misread_figures(counted, "全年审查行政机关合同127件、重大决策1件[1]。") == ["1"]


def test_retrieval_only_run_writes_json_report_and_compares(lite_config, tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    args = ("eval", "--retrieval-only", "--profile", "lite", "--index", str(lite_config.index_root))
    out = rag(*args, "--json", str(first), "--report", str(tmp_path / "report"))
    assert out.returncode == 0, out.stderr
    result = json.loads(first.read_text())
    assert result["n"] >= 80 and set(result["retrieval"]) == {"hit@1", "hit@3", "hit@5", "mrr", "evidence_hit"}
    assert result["retrieval"]["hit@3"] >= 0.85 and result["retrieval"]["evidence_hit"] >= 0.75
    assert set(result["latency_ms"]) == {"retrieve_p50", "retrieve_p95", "evidence_p50", "evidence_p95",
                                         "first_token_p50", "first_token_p95", "total_p50", "total_p95"}
    assert set(result["items"][0]) >= {"id", "question", "answer_given", "correct", "hit_rank", "refused",
                                       "citations", "timings_ms"}
    assert (tmp_path / "report" / "report.md").read_text().startswith("# Eval report")
    assert (tmp_path / "report" / "by_type.png").read_bytes()[:4] == b"\x89PNG"
    out = rag(*args, "--top-k", "1", "--json", str(second), "--compare", str(first))
    assert out.returncode == 0, out.stderr
    assert "worse   retrieval.hit@3" in out.stdout  # top-1 retrieval cannot hit at rank 2 or 3


@pytest.mark.slow
def test_full_run_on_a_small_set(lite_config, tmp_path):
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join(json.dumps(o, ensure_ascii=False) for o in [
        {"id": "n1", "type": "number", "question": "全市共聘任了多少名法治副校长？", "answer": "共聘任1237名法治副校长。",
         "must": ["1237"], "evidence": "共聘任1237名法治副校长"},
        {"id": "u1", "type": "unanswerable", "question": "如何做红烧肉？", "answer": "报告中没有找到与该问题相关的内容。",
         "must": [], "evidence": ""},
    ]), encoding="utf-8")
    out = rag("eval", "--qa", str(qa), "--profile", "lite", "--index", str(lite_config.index_root),
              "--json", str(tmp_path / "r.json"))
    assert out.returncode == 0, out.stderr
    result = json.loads((tmp_path / "r.json").read_text())
    items = {i["id"]: i for i in result["items"]}
    assert items["n1"]["correct"] and items["n1"]["citations"] and items["n1"]["hit_rank"] == 1
    assert items["u1"]["refused"] and items["u1"]["correct"]
    assert result["answer"]["refusal_recall"] == 1.0 and result["answer"]["unsupported_numbers"] == 0
    assert result["latency_ms"]["first_token_p50"] is not None
    # every refusal says which check made it, and the run counts each check's firings
    assert items["u1"]["decisions"] and items["u1"]["decisions"][0]["action"] == "refuse"
    refusing = f"{items['u1']['decisions'][0]['check']}:refuse"
    assert result["checks"][refusing]["unanswerable"] == 1
