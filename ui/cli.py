"""The `rag` command: the library's commands (rag/cli.py) plus the web chat and the API.

rag/ never imports ui/: `main` hands `register` to the library's entry point, which adds these
commands to the app it builds. `python -m rag.cli` is the same command without them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from rag import cli as rag_cli
from rag.cli import BackendOpt, IndexOpt, LlmModelOpt, LlmUrlOpt, ModelsDirOpt, ProfileOpt, config_from_flags


def serve(host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (default: this machine only)."),
          port: int = typer.Option(7860, "--port", help="Port to listen on."),
          profile: Optional[str] = ProfileOpt, index: Optional[Path] = IndexOpt,
          models_dir: Optional[Path] = ModelsDirOpt,
          api: bool = typer.Option(False, "--api", help="Also serve the OpenAI-compatible API (/v1/…) on this port."),
          backend: Optional[str] = BackendOpt, llm_url: Optional[str] = LlmUrlOpt,
          llm_model: Optional[str] = LlmModelOpt):
    """Start the web chat (builds the index on first use). Set RAG_ADMIN_PASSWORD to protect report management."""
    from .app import serve as run

    cfg = config_from_flags(profile, models_dir, index, llm_backend=backend, llm_url=llm_url, llm_model=llm_model)
    extra = f"  API → http://{host}:{port}/v1" if api else ""
    typer.echo(f"报告问答 → http://{host}:{port}{extra}  (profile {cfg.profile}; models load in the background)")
    run(cfg, host, port, block=True, api=api)


def api_cmd(host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (default: this machine only)."),
            port: int = typer.Option(8000, "--port", help="Port to listen on."),
            profile: Optional[str] = ProfileOpt, index: Optional[Path] = IndexOpt,
            models_dir: Optional[Path] = ModelsDirOpt,
            backend: Optional[str] = BackendOpt, llm_url: Optional[str] = LlmUrlOpt,
            llm_model: Optional[str] = LlmModelOpt):
    """Serve the OpenAI-compatible API (/v1/chat/completions, /v1/models, /v1/search, /healthz).
    Set RAG_API_KEY to require 'Authorization: Bearer <key>'."""
    from .api import run

    cfg = config_from_flags(profile, models_dir, index, llm_backend=backend, llm_url=llm_url, llm_model=llm_model)
    typer.echo(f"报告问答 API → http://{host}:{port}/v1  (profile {cfg.profile}; models load in the background)")
    run(cfg, host, port)


def register(app: typer.Typer) -> None:
    """Add the web chat's and the API's commands to `app`."""
    app.command()(serve)
    app.command("api")(api_cmd)


def main() -> None:
    rag_cli.main(register)


if __name__ == "__main__":
    main()
