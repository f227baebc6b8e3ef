"""The answer slot's worst-case hold time against the request's size (issue: one long request held
the only answer slot for minutes).

In-process, through the API's real routes (FastAPI TestClient, no network) and the real answerer of
a profile (lite by default: the bounds are the same; default takes ~10x longer per answer). For each
size, one request whose earlier user turn is that long, followed by a follow-up question: its
status and how long it took (the slot is held at most that long). Then a normal question alone, and
the same question sent while a 1.5 MB request arrives beside it (alternated, after one warm-up
answer: llama.cpp reuses the evaluated prompt of a repeated question, so order would decide).

    python -m bench.hostile [--profile lite] [--reps 3]
"""
from __future__ import annotations

import argparse
import json
import threading
import time

from bench.common import Table, median, print_tables

SIZES_KB = (1, 40, 120, 400, 1536)
QUESTION = "全市共聘任了多少名法治副校长？"
FOLLOW_UP = "它们覆盖了多少所中小学？"


def _body(kb: int) -> bytes:
    earlier = "法治副校长" * max(1, kb * 1024 // 15)  # 3 bytes a character in UTF-8
    body = {"model": None, "messages": [{"role": "user", "content": earlier}, {"role": "assistant", "content": "好"},
                                        {"role": "user", "content": FOLLOW_UP}]}
    return json.dumps(body, ensure_ascii=False).encode()


def run(profile: str, reps: int) -> list[Table]:
    from fastapi.testclient import TestClient

    from rag.config import Config
    from rag.pipeline import load_answerer
    from ui.api import create_app

    config = Config.from_env().with_(profile=profile, answer_cache=0, api_key="")
    answerer = load_answerer(config, build_missing=True)
    answerer.warm_up()
    client = TestClient(create_app(config, answerer_for=lambda p: answerer, preload=False))

    def post(data: bytes) -> tuple[int, float]:
        t0 = time.perf_counter()
        r = client.post("/v1/chat/completions", content=data, headers={"content-type": "application/json"})
        return r.status_code, time.perf_counter() - t0

    normal = json.dumps({"messages": [{"role": "user", "content": QUESTION}]}, ensure_ascii=False).encode()
    post(normal)  # warm-up
    sizes = Table(f"Answer slot held by one request, by its size ({profile}, worst of {reps})",
                  ["request", "bytes", "status", "seconds"],
                  notes=[f"Each request: an earlier user turn of that size, then the follow-up {FOLLOW_UP!r}. "
                         f"The limit is Config.max_request_kb = {config.max_request_kb} KB; a history text is cut "
                         f"to {config.max_question_chars} characters, the last {config.max_history_turns} turns kept."])
    for kb in SIZES_KB:
        data = _body(kb)
        runs = [post(data) for _ in range(reps)]
        sizes.rows.append([f"{kb} KB", len(data), runs[-1][0], max(s for _, s in runs)])

    alone, beside = [], []
    huge = _body(1536)  # built once, outside the timing: encoding 1.5 MB of JSON is the client's work
    for _ in range(reps):
        alone.append(post(normal)[1])
        big = threading.Thread(target=post, args=(huge,))
        big.start()
        beside.append(post(normal)[1])
        big.join()
    side = Table(f"A normal question, alone and beside a 1.5 MB request ({profile}, median of {reps})",
                 ["case", "seconds", "ratio to alone"])
    side.rows += [["alone", median(alone), 1.0], ["beside a 1.5 MB request", median(beside),
                                                  median(beside) / median(alone)]]
    return [sizes, side]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="lite")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    print_tables(run(args.profile, args.reps))


if __name__ == "__main__":
    main()
