"""Run the benchmarks and write bench/results/latest.md (tables) and bench/results/*.png (charts).

    python -m bench                       # all of them (~30-40 min on 2 cores)
    python -m bench --only overhead,scale # a subset: overhead, budget, scale, index, load
    python -m bench --quick               # fewer repetitions, smaller corpora, lite profile (~8 min)
    python -m bench --profile lite        # overhead bench with the small model

Each bench writes its own section (bench/results/<name>.md, with the load average when it ran),
and latest.md is reassembled from all sections under the machine description, so a subset run
updates only its sections. Another busy process skews every number: check the load average.
"""
from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from bench.common import RESULTS, Table, print_tables, save_section, write_latest

BENCHES = ("overhead", "budget", "scale", "index", "load")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(BENCHES), help=f"comma-separated subset of {', '.join(BENCHES)}")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, 1k/10k corpora, lite profile")
    ap.add_argument("--profile", default=None, choices=("default", "lite"), help="model for the overhead bench")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    chosen = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = set(chosen) - set(BENCHES)
    if unknown:
        ap.error(f"unknown bench {', '.join(sorted(unknown))}; choose from {', '.join(BENCHES)}")
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    for name in chosen:
        log(f"== {name}")
        t0 = time.perf_counter()
        try:
            tables, chart, plot = _run(name, args, log)
        except Exception:  # noqa: BLE001 - one failing bench must not lose the others' figures
            log(traceback.format_exc())
            (args.out / f"{name}.md").write_text(f"## {name}\n\nFAILED:\n\n```\n{traceback.format_exc()}```\n")
            write_latest(args.out)
            continue
        save_section(name, tables, chart, plot, (time.perf_counter() - t0) / 60, args.out)
        print_tables(tables)
    log(f"wrote {write_latest(args.out)}")


def _run(name: str, args, log) -> tuple[list[Table], dict, callable]:
    if name == "overhead":
        from bench import overhead as m

        tables, chart = m.run(args.profile or ("lite" if args.quick else "default"), 2 if args.quick else 3, log)
    elif name == "budget":
        from bench import budget as m

        tables, chart = m.run(("lite",) if args.quick else ("default", "lite"), args.quick, log)
    elif name == "scale":
        from bench import scale as m

        tables, chart = m.run((1000, 10_000) if args.quick else (1000, 10_000, 100_000),
                              embed_sample=32 if args.quick else 64, repeat=1 if args.quick else 3, log=log)
    elif name == "index":
        from bench import index_updates as m

        tables, chart = m.run("lite" if args.quick else "default", 5 if args.quick else 30, log)
    else:
        from bench import load as m

        tables, chart = m.run(n=8 if args.quick else 20, log=log)
    return tables, chart, m.plot


if __name__ == "__main__":
    main()
