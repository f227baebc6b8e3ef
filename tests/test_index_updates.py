"""Index updates: incremental, equal to a fresh build, atomic under kill -9, readable during a rebuild,
one writer at a time, and a damaged or unwritable index never loses the previous one."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from rag.config import Config
from rag.embedding import get_embedder
from rag.errors import IndexMissing, RagError
from rag.indexing import add_reports, build_index, remove_report
from rag.integrity import verify_index
from rag.models import profile_spec
from rag.retrieval import Retriever
from rag.store import current_version_path, open_index, write_lock

QUESTION, NUMBER = "全市共聘任了多少名法治副校长？", "1237"
SHARED = "全市955所中小学实现法治副校长全覆盖,共聘任1237名法治副校长"

SECOND_REPORT = """某区教育局2024年度法治政府建设报告
一、2024年主要工作
（一）依法决策。全区出台重大行政决策4项，均经过合法性审查，公开征求意见187条。
（二）执法规范。全区开展校外培训机构联合执法检查63次，查处无证办学点9个。
（三）学校法治教育。{shared}。区内各校开展模拟法庭活动41场。
二、2025年工作打算
持续推进依法治校示范校创建，计划新增示范校5所。
"""


class CountingEmbedder:
    """The real embedder, counting what it is asked to embed (to prove what was reused)."""

    def __init__(self, inner):
        self.inner, self.id, self.dim, self.texts = inner, inner.id, inner.dim, []

    def embed_documents(self, texts, progress=None):
        self.texts += list(texts)
        return self.inner.embed_documents(texts, progress=progress)

    def embed_query(self, text):
        return self.inner.embed_query(text)


def _config(tmp_path: Path, name: str = "index") -> Config:
    return Config.from_env().with_(profile="lite", index_root=tmp_path / name, source_dir=tmp_path / "reports")


@pytest.fixture
def seeded(tmp_path, seed_path, lite_config) -> Config:
    """The seed in its own reports folder and index. Starts from a copy of the session's seed index,
    so its vectors are reused instead of embedded again (that reuse is itself under test here)."""
    cfg = _config(tmp_path)
    cfg.source_dir.mkdir()
    shutil.copy(seed_path, cfg.source_dir / seed_path.name)
    shutil.copytree(current_version_path(lite_config.index_dir), cfg.index_dir / "v-00000000T000000.000000-0")
    (cfg.index_dir / "CURRENT").write_text("v-00000000T000000.000000-0")
    report = build_index(cfg, get_embedder(cfg))
    assert report.embedded == 0 and report.reused == report.passages
    return cfg


def _snapshot(index_dir: Path) -> dict:
    v = open_index(index_dir)
    order = sorted(range(len(v.passages)), key=lambda i: v.passages[i].id)
    return {"passages": [(v.passages[i].id, v.passages[i].text, v.passages[i].path, v.passages[i].doc_id,
                          sorted(v.passages[i].sources)) for i in order],
            "vectors": np.vstack([v.faiss.reconstruct(i) for i in order]),
            "documents": sorted((d["doc_id"], Path(d["path"]).name, d["title"]) for d in v.documents)}


def test_adding_a_report_embeds_only_its_new_passages_and_removing_it_equals_a_fresh_build(tmp_path, seeded, seed_path):
    cfg = seeded
    before = open_index(cfg.index_dir)
    new_file = tmp_path / "区报告.txt"
    new_file.write_text(SECOND_REPORT.format(shared=SHARED), encoding="utf-8")

    embedder = CountingEmbedder(get_embedder(cfg))
    report = add_reports(cfg, embedder, [new_file])
    assert len(report.added) == 1 and report.unchanged and not report.updated and not report.failed
    assert report.parsed == 1  # the seed's text came from the index, not from parsing it again
    assert report.embedded == len(embedder.texts) > 0
    # Only the new report's own passages were embedded; the seed's were all reused.
    assert all(t.split("\n")[-1] in new_file.read_text(encoding="utf-8") for t in embedder.texts)
    assert report.reused == len(before.passages)
    assert report.passages_before == len(before.passages) and report.passages == report.reused + report.embedded
    assert verify_index(cfg.index_dir).ok

    # The paragraph both reports contain is stored once, with both sources.
    after = open_index(cfg.index_dir)
    shared = [p for p in after.passages if "共聘任1237名法治副校长" in p.text]
    assert len({loc.doc_id for p in shared for loc in p.sources}) == 2
    retriever = Retriever(cfg.index_dir, get_embedder(cfg), profile_spec("lite").min_dense)
    assert "187条" in retriever.search("重大行政决策公开征求了多少条意见？", 3).hits[0].passage.text

    # Remove the seed: the shared passage stays (the new report still has it), now with one source.
    seed_id = next(d["doc_id"] for d in after.documents if d["title"].startswith("杭州市"))
    removed = remove_report(cfg, embedder, seed_id[:6])
    assert len(removed.removed) == 1 and not (cfg.source_dir / seed_path.name).exists()
    kept = [p for p in open_index(cfg.index_dir).passages if "共聘任1237名法治副校长" in p.text]
    assert kept and all(loc.doc_id != seed_id for p in kept for loc in p.sources)
    assert verify_index(cfg.index_dir).ok

    # The result equals a fresh build of the remaining file into an empty index.
    fresh = _config(tmp_path, "fresh")
    build_index(fresh, get_embedder(fresh))
    a, b = _snapshot(cfg.index_dir), _snapshot(fresh.index_dir)
    assert a["passages"] == b["passages"] and a["documents"] == b["documents"]
    np.testing.assert_allclose(a["vectors"], b["vectors"], atol=1e-5)


def test_changed_and_deleted_files_are_picked_up_and_settings_change_forces_full_rebuild(tmp_path, seeded):
    cfg = seeded
    extra = cfg.source_dir / "区报告.txt"
    extra.write_text(SECOND_REPORT.format(shared="全区聘任法治副校长46名"), encoding="utf-8")
    assert build_index(cfg, get_embedder(cfg)).added == [str(extra)]
    again = build_index(cfg, get_embedder(cfg))
    assert again.unchanged and not (again.added or again.updated or again.removed) and again.embedded == 0
    extra.write_text(SECOND_REPORT.format(shared="全区聘任法治副校长48名"), encoding="utf-8")
    changed = build_index(cfg, get_embedder(cfg))
    assert changed.updated == [str(extra)] and changed.embedded == 1
    extra.unlink()
    gone = build_index(cfg, get_embedder(cfg))
    assert gone.removed == [str(extra)] and gone.documents == 1
    resized = build_index(cfg.with_(chunk_chars=200), get_embedder(cfg))
    assert "chunking settings changed" in resized.full_rebuild_reason and resized.reused == 0
    assert verify_index(cfg.index_dir).ok


# A build that pauses once its new version is half written (faiss file on disk, nothing switched):
# the test kills it there with SIGKILL. The pause only widens the window; the code path is the real one.
SLOW_BUILD = textwrap.dedent("""
    import sys, time, faiss
    real = faiss.write_index
    def slow(index, path):
        real(index, path)
        print("WRITING", flush=True)
        time.sleep(120)
    faiss.write_index = slow
    from rag.cli import main
    sys.argv = ["rag", "index", "rebuild", "--profile", "lite"]
    main()
""")


def _spawn(code: str, cfg: Config) -> subprocess.Popen:
    env = {**os.environ, "RAG_SOURCE_DIR": str(cfg.source_dir), "RAG_INDEX_ROOT": str(cfg.index_root),
           "TQDM_DISABLE": "1"}
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_kill_9_mid_build_leaves_the_previous_index_usable(tmp_path, seeded):
    cfg = seeded
    live = current_version_path(cfg.index_dir)
    proc = _spawn(SLOW_BUILD, cfg)
    try:
        assert proc.stdout.readline().strip() == "WRITING", proc.stderr.read()
        assert list(cfg.index_dir.glob(".tmp-v-*/faiss.index"))  # really mid-write
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    assert current_version_path(cfg.index_dir) == live
    retriever = Retriever(cfg.index_dir, get_embedder(cfg), profile_spec("lite").min_dense)
    assert NUMBER in retriever.search(QUESTION, 3).hits[0].passage.text
    check = verify_index(cfg.index_dir)
    assert check.ok and any("unfinished build" in n for n in check.notes)
    # The dead writer's lock died with it; the next build succeeds and clears its leftovers.
    report = build_index(cfg, get_embedder(cfg), full=True)
    assert report.version != live.name and not list(cfg.index_dir.glob(".tmp-v-*"))
    assert verify_index(cfg.index_dir).ok


def test_queries_keep_answering_while_another_process_rebuilds(tmp_path, seeded):
    cfg = seeded
    retriever = Retriever(cfg.index_dir, get_embedder(cfg), profile_spec("lite").min_dense)
    first = retriever.version.version
    proc = _spawn("from rag.cli import main; import sys; sys.argv=['rag','index','rebuild','--profile','lite']; main()",
                  cfg)
    answered, versions = 0, set()
    deadline = time.time() + 300
    while proc.poll() is None and time.time() < deadline:
        result = retriever.search(QUESTION, 3)
        assert NUMBER in result.hits[0].passage.text
        versions.add(result.index_version)
        answered += 1
    assert proc.wait(30) == 0, proc.stderr.read()
    assert answered >= 5
    result = retriever.search(QUESTION, 3)  # the next search follows the new live version
    assert result.index_version != first and NUMBER in result.hits[0].passage.text
    assert verify_index(cfg.index_dir).ok


def test_a_second_writer_gets_a_clear_message(tmp_path, seeded):
    cfg = seeded
    with write_lock(cfg.index_dir):
        proc = _spawn("from rag.cli import main; import sys; sys.argv=['rag','index','rebuild','--profile','lite']; "
                      "main()", cfg)
        out, err = proc.communicate(timeout=300)
    assert proc.returncode == 4 and "Another process is writing the index" in err and "Traceback" not in err


def test_damaged_live_version_falls_back_and_a_rebuild_repairs_it(tmp_path, seeded):
    cfg = seeded
    older = current_version_path(cfg.index_dir)
    (cfg.source_dir / "区报告.txt").write_text(SECOND_REPORT.format(shared=SHARED), encoding="utf-8")
    build_index(cfg, get_embedder(cfg))
    live = current_version_path(cfg.index_dir)
    (live / "faiss.index").write_bytes((live / "faiss.index").read_bytes()[:1000])  # a corrupted vector file
    version = open_index(cfg.index_dir)
    assert version.path == older and version.fallback_from == live.name
    assert NUMBER in Retriever(cfg.index_dir, get_embedder(cfg), 0.86).search(QUESTION, 3).hits[0].passage.text
    assert not verify_index(cfg.index_dir).ok
    env = {**os.environ, "RAG_INDEX_ROOT": str(cfg.index_root)}
    out = subprocess.run([sys.executable, "-m", "rag.cli", "index", "verify", "--profile", "lite"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 1 and "damaged" in out.stdout and "rag index rebuild" in out.stderr
    report = build_index(cfg, get_embedder(cfg))
    assert "unreadable" in report.full_rebuild_reason and verify_index(cfg.index_dir).ok


def test_truncated_passage_store_is_a_clear_error_not_a_traceback(tmp_path, seeded):
    cfg = seeded
    for store in cfg.index_dir.glob("v-*/passages.sqlite"):  # every kept version: nothing to fall back on
        store.write_bytes(store.read_bytes()[:2048])
    with pytest.raises(IndexMissing, match="damaged or unreadable"):
        open_index(cfg.index_dir)
    env = {**os.environ, "RAG_INDEX_ROOT": str(cfg.index_root), "TQDM_DISABLE": "1"}
    out = subprocess.run([sys.executable, "-m", "rag.cli", "ask", QUESTION, "--profile", "lite"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 3 and "rag index build" in out.stderr and "Traceback" not in out.stderr


def test_a_full_disk_while_writing_keeps_the_previous_index(tmp_path, seeded):
    """The build runs with a file-size limit (RLIMIT_FSIZE): its writes fail like on a full disk."""
    cfg = seeded
    live = current_version_path(cfg.index_dir)
    (cfg.source_dir / "区报告.txt").write_text(SECOND_REPORT.format(shared=SHARED), encoding="utf-8")
    limit = 40_000  # bytes: the vectors fit, the new passage store (~70 KB) does not

    def cap():
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {**os.environ, "RAG_SOURCE_DIR": str(cfg.source_dir), "RAG_INDEX_ROOT": str(cfg.index_root),
           "TQDM_DISABLE": "1"}
    out = subprocess.run([sys.executable, "-m", "rag.cli", "index", "build", "--profile", "lite"], capture_output=True,
                         text=True, env=env, timeout=600, preexec_fn=cap)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Could not write the new index" in out.stderr and "previous index is untouched" in out.stderr
    assert "Traceback" not in out.stderr
    assert current_version_path(cfg.index_dir) == live and not list(cfg.index_dir.glob(".tmp-v-*"))
    assert verify_index(cfg.index_dir).ok
    assert NUMBER in Retriever(cfg.index_dir, get_embedder(cfg), 0.86).search(QUESTION, 3).hits[0].passage.text


def test_writer_lock_is_exclusive_in_process_too(tmp_path):
    with write_lock(tmp_path):
        with pytest.raises(RagError, match="Another process"):
            with write_lock(tmp_path):
                pass
