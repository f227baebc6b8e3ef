"""`rag serve`: the web chat, added to the library's command line (rag/ never imports ui/)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from rag.cli import IndexOpt, ModelsDirOpt, ProfileOpt, _config, app, main  # noqa: F401


@app.command()
def serve(host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (default: this machine only)."),
          port: int = typer.Option(7860, "--port", help="Port to listen on."),
          profile: Optional[str] = ProfileOpt, index: Optional[Path] = IndexOpt,
          models_dir: Optional[Path] = ModelsDirOpt):
    """Start the web chat (builds the index on first use). Set RAG_ADMIN_PASSWORD to protect report management."""
    from .app import serve as run

    cfg = _config(profile, models_dir, index)
    typer.echo(f"报告问答 → http://{host}:{port}  (profile {cfg.profile}; models load in the background)")
    run(cfg, host, port, block=True)


if __name__ == "__main__":
    main()
