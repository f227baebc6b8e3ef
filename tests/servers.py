"""Start real servers for the tests (the web chat, the API, llama.cpp's server) and stop them."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from rag.config import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str], env: dict, log_path: Path, ready_url: str, wait_s: float = 180) -> subprocess.Popen:
    """`python <args>` in the background, once `ready_url` answers 200; its output goes to log_path."""
    log = open(log_path, "w")
    proc = subprocess.Popen([sys.executable, *args], env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + wait_s
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{' '.join(args)} exited {proc.returncode}:\n{Path(log_path).read_text()}")
        try:
            with urllib.request.urlopen(ready_url, timeout=2) as r:
                if r.status == 200:
                    return proc
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.5)
    stop(proc)
    raise RuntimeError(f"{' '.join(args)} was not ready within {wait_s:.0f} s:\n{Path(log_path).read_text()}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
