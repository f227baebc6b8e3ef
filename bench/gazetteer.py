"""What the gazetteer costs at start-up: time and memory of its first use in a process, from its
cache (the usual start) and with no cache (the first start on a machine).

    python -m bench.gazetteer
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from bench.common import Table, print_tables

PROBE = """
import json, os, time, psutil
import rag.keyword  # jieba's dictionary is loaded by retrieval anyway: not the gazetteer's cost
rag.keyword.pos_tags("预热")
p = psutil.Process()
before, t0 = p.memory_info().rss, time.perf_counter()
from rag.gazetteer import gazetteer
g = gazetteer()
print(json.dumps({"seconds": time.perf_counter() - t0, "rss_mb": (p.memory_info().rss - before) / 2**20,
                  "divisions": len(g.divisions)}))
"""


def run() -> list[Table]:
    table = Table("Gazetteer at start-up (first use in a fresh process)", ["case", "seconds", "RSS added (MB)", "divisions"])
    with tempfile.TemporaryDirectory() as cache:  # an empty cache of its own: the user's is left alone
        env = {**os.environ, "XDG_CACHE_HOME": cache}
        for case in ("no cache (first start)", "from its cache"):
            out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, env=env).stdout
            r = json.loads(out.strip().splitlines()[-1])
            table.rows.append([case, r["seconds"], r["rss_mb"], r["divisions"]])
    return [table]


if __name__ == "__main__":
    print_tables(run())
