"""Shared by the benchmarks: machine description, timing helpers, Markdown tables, RSS."""
from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from rag.config import use_offline_hub

use_offline_hub()
os.environ.setdefault("TQDM_DISABLE", "1")

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        out = [f"### {self.title}", "", "| " + " | ".join(self.headers) + " |",
               "|" + "|".join("---" for _ in self.headers) + "|"]
        out += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in self.rows]
        out += [""] + [f"- {n}" for n in self.notes]
        return "\n".join(out).rstrip() + "\n"


def fmt(v) -> str:
    if isinstance(v, float):
        if v != v:
            return "–"
        if abs(v) >= 100:
            return f"{v:,.0f}"
        if abs(v) >= 10:
            return f"{v:.1f}"
        return f"{v:.2f}" if abs(v) >= 0.1 else f"{v:.3f}"
    return str(v)


def median(xs) -> float:
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


def pct(xs, q: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def rss_mb(pid: int | None = None) -> float:
    import psutil

    return psutil.Process(pid or os.getpid()).memory_info().rss / 2**20


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def machine() -> dict:
    """CPU model, cores, RAM, Python and library versions, and the load when measured."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil

        ram = f"{psutil.virtual_memory().total / 2**30:.1f} GiB"
    except ImportError:
        ram = "?"
    info = {"cpu": cpu, "cores": os.cpu_count(), "ram": ram, "os": platform.platform(),
            "python": sys.version.split()[0]}
    for mod in ("llama_cpp", "faiss", "numpy", "gradio"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - a missing library is just not reported
            info[mod] = "not installed"
    info["load average (1/5/15 min)"] = load_average()
    return info


def machine_markdown(info: dict) -> str:
    return "\n".join(f"- **{k}**: {v}" for k, v in info.items()) + "\n"


class Timer:
    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.ms = (time.perf_counter() - self.t0) * 1000


def print_tables(tables: list[Table]) -> None:
    for t in tables:
        print(t.markdown())
    sys.stdout.flush()


def save_section(name: str, tables: list[Table], chart, plot, minutes: float | None = None, out: Path = RESULTS) -> Path:
    """Write bench/results/<name>.md (+ <name>.png) and reassemble latest.md from every section there."""
    import traceback

    out.mkdir(parents=True, exist_ok=True)
    image = ""
    try:
        plot(chart, out / f"{name}.png")
        image = f"![{name}]({name}.png)\n\n"
    except Exception:  # noqa: BLE001 - a chart must not lose the figures
        traceback.print_exc()
    took = f", {minutes:.1f} min" if minutes is not None else ""
    body = "\n".join(t.markdown() for t in tables)
    (out / f"{name}.md").write_text(f"## {name} (measured {time.strftime('%Y-%m-%d %H:%M')}, load average "
                                    f"{load_average()}{took})\n\n{image}{body}", encoding="utf-8")
    return write_latest(out)


SECTIONS = ("overhead", "budget", "scale", "load")


def write_latest(out: Path = RESULTS) -> Path:
    parts = [(out / f"{n}.md").read_text(encoding="utf-8") for n in SECTIONS if (out / f"{n}.md").exists()]
    head = (f"# Benchmark results\n\nAssembled {time.strftime('%Y-%m-%d %H:%M')} from the latest run of each "
            f"bench (each section says when it ran and the load average then).\n\n## Machine\n\n"
            f"{machine_markdown(machine())}\n")
    (out / "latest.md").write_text(head + "\n".join(parts), encoding="utf-8")
    return out / "latest.md"
