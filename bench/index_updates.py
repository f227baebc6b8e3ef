"""Index update costs: a full build of the seed, adding one report to it, and adding one report to an
index of many (against indexing that report alone). The embedder is loaded before timing starts.

    python -m bench.index_updates [--profile default|lite] [--reports 30]

The many-report corpus is synthetic: districts' reports written from the seed's paragraphs with
their numbers changed and their sentences reordered (so nothing merges as a duplicate).
"""
from __future__ import annotations

import argparse
import random
import re
import shutil
import tempfile
import time
from pathlib import Path

from bench.common import Table, print_tables
from rag.config import PROJECT_ROOT, Config
from rag.embedding import get_embedder
from rag.indexing import add_reports, build_index
from rag.integrity import verify_index
from rag.loading import load_document
from rag.structure import split_paragraphs

SEED = next((PROJECT_ROOT / "seeds").glob("*.txt"))
DISTRICTS = "上城 拱墅 西湖 滨江 萧山 余杭 临平 钱塘 富阳 临安 桐庐 淳安 建德 鹿城 龙湾 瓯海 洞头 越城 柯桥 上虞 婺城 金东 柯城 衢江 定海 普陀 椒江 黄岩 路桥 莲都".split()


def synthetic_report(i: int, rng: random.Random) -> str:
    """A district's report: the seed's structure, its own numbers and sentence order."""
    doc = load_document(SEED)
    name = DISTRICTS[i % len(DISTRICTS)] + ("" if i < len(DISTRICTS) else str(i))
    lines = [f"{name}区教育局关于2024年度法治政府建设报告"]
    seen = set()
    for p in split_paragraphs(doc):
        if p.text in seen or "来源" in p.text:
            continue
        seen.add(p.text)
        if p.path and p.path[-1] not in lines:
            lines.append(p.path[-1])
        sentences = re.findall(r"[^。；;]+[。；;]?", p.text)
        rng.shuffle(sentences)
        text = "".join(sentences).replace("杭州市", f"{name}区").replace("全市", "全区")
        lines.append(re.sub(r"\d+", lambda m: str(max(1, int(int(m.group()) * rng.uniform(0.3, 1.7)))), text))
    return "\n".join(lines) + "\n"


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def run(profile: str = "default", n_reports: int = 30, log=print) -> tuple[list[Table], dict]:
    rng = random.Random(7)
    work = Path(tempfile.mkdtemp(prefix="bench-index-"))
    try:
        base = Config.from_env().with_(profile=profile, index_root=work / "index")
        embedder = get_embedder(base)
        log(f"embedder {embedder.id} loaded")
        rows, checks = [], []

        def case(label, cfg, fn):
            report, seconds = _timed(fn)
            ok = verify_index(cfg.index_dir).ok
            checks.append(ok)
            rows.append([label, report.documents, f"{report.passages_before} → {report.passages}", report.embedded,
                         report.reused, report.parsed, seconds, "ok" if ok else "FAILED"])
            log(f"{label}: {seconds:.1f} s")
            return seconds

        seed_cfg = base.with_(source_dir=work / "seed", index_root=work / "seed-index")
        seed_cfg.source_dir.mkdir()
        shutil.copy(SEED, seed_cfg.source_dir)
        case("seed: first build", seed_cfg, lambda: build_index(seed_cfg, embedder))
        full_seed = case("seed: full rebuild", seed_cfg, lambda: build_index(seed_cfg, embedder, full=True))
        case("seed: build, nothing changed", seed_cfg, lambda: build_index(seed_cfg, embedder))
        one = work / "new" / "新区报告.txt"
        one.parent.mkdir()
        one.write_text(synthetic_report(999, rng), encoding="utf-8")
        add_to_seed = case("seed + add 1 report", seed_cfg, lambda: add_reports(seed_cfg, embedder, [one]))

        many_cfg = base.with_(source_dir=work / "many", index_root=work / "many-index")
        many_cfg.source_dir.mkdir()
        for i in range(n_reports):
            (many_cfg.source_dir / f"r{i:03d}.txt").write_text(synthetic_report(i, rng), encoding="utf-8")
        full_many = case(f"{n_reports} reports: full build", many_cfg, lambda: build_index(many_cfg, embedder))
        another = work / "new" / "另一区报告.txt"
        another.write_text(synthetic_report(1000, rng), encoding="utf-8")
        add_to_many = case(f"{n_reports} reports + add 1", many_cfg, lambda: add_reports(many_cfg, embedder, [another]))
        alone_cfg = base.with_(source_dir=work / "alone", index_root=work / "alone-index")
        alone_cfg.source_dir.mkdir()
        shutil.copy(another, alone_cfg.source_dir)
        alone = case("that 1 report alone, empty index", alone_cfg, lambda: build_index(alone_cfg, embedder))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = Table(f"Index updates ({profile} profile, embedder {embedder.id})",
                  ["case", "reports", "passages", "embedded", "reused", "files parsed", "seconds", "verify"], rows)
    table.notes += [
        f"adding 1 report to the seed index: {add_to_seed:.2f} s; full rebuild of the seed: {full_seed:.2f} s",
        f"adding 1 report to {n_reports}: {add_to_many:.2f} s = {add_to_many / alone:.2f}× indexing it alone "
        f"({alone:.2f} s) and {add_to_many / full_many:.2f}× the full build ({full_many:.1f} s)",
        "every case ends with `rag index verify` passing" if all(checks) else "VERIFY FAILED in some case",
    ]
    chart = {"labels": [r[0] for r in rows], "seconds": [r[6] for r in rows]}
    return [table], chart


def plot(chart: dict, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.barh(chart["labels"][::-1], chart["seconds"][::-1], color="#4a7bb7")
    ax.set_xlabel("seconds")
    ax.set_title("Index update costs")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="default", choices=("default", "lite"))
    ap.add_argument("--reports", type=int, default=30)
    args = ap.parse_args(argv)
    tables, _ = run(args.profile, args.reports)
    print_tables(tables)


if __name__ == "__main__":
    main()
