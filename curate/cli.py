"""The ``curate`` command line: run pipelines, query and inspect their output."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from curate.errors import CurateError

app = typer.Typer(
    add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
    help="Turn raw web dumps into textbook-quality training data; inspect every decision in SQL.",
)
out_console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def _fail(msg: str, code: int = 2) -> None:
    err_console.print(f"[bold red]error:[/] {msg}", highlight=False)
    raise typer.Exit(code)


@app.command()
def run(
    pipeline: Annotated[Path, typer.Argument(help="pipeline YAML file")],
    input: Annotated[list[str] | None, typer.Option("--input", "-i", help="file, folder, glob or URL (repeatable); overrides the pipeline's")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="output folder; overrides the pipeline's")] = None,
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1, help="parallel worker processes")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="continue a run in OUTPUT, skipping completed shards")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="replace a previous run in OUTPUT")] = False,
    executor: Annotated[str | None, typer.Option("--executor", "-x", help="local | ray | slurm (default: the pipeline's, else local)")] = None,
    ray_address: Annotated[str | None, typer.Option("--ray-address", help="Ray cluster address (default: start a local one)")] = None,
    slurm_partition: Annotated[str | None, typer.Option("--slurm-partition", help="Slurm partition")] = None,
    slurm_time: Annotated[str, typer.Option("--slurm-time", help="Slurm time limit per job")] = "24:00:00",
    slurm_submit: Annotated[bool, typer.Option("--slurm-submit/--slurm-scripts-only", help="submit the job chain, or only write the scripts")] = True,
    wait: Annotated[bool, typer.Option("--wait", help="with Slurm: block until the run is finalized")] = False,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress", help="live progress (default: when interactive)")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log to stderr")] = False,
) -> None:
    """Run PIPELINE over its inputs (default: sample_data/) and write kept/rejected Parquet + catalog."""
    from curate.pipeline import Pipeline

    _log_to_stderr(verbose)
    try:
        pipe = Pipeline.from_yaml(pipeline)
        out = output or pipe.output or Path("out") / pipeline.stem
        kind = executor or pipe.config.get("executor") or "local"
        if kind not in ("local", "ray", "slurm"):
            raise CurateError(f"--executor must be local, ray or slurm (got {kind!r})")
        if kind == "slurm":
            _run_slurm(pipe, input, out, workers, resume, overwrite, slurm_partition, slurm_time, slurm_submit, wait)
            return
        summary = pipe.run(input=input or None, output=out, workers=workers, resume=resume,
                           overwrite=overwrite, progress=progress, executor=kind, ray_address=ray_address)
    except CurateError as exc:
        _fail(str(exc))
    else:
        err_console.print(f"[green]done:[/] {summary}", highlight=False)
        if summary.n_unreadable:
            err_console.print(
                f"[yellow]{summary.n_unreadable} unreadable record(s)[/]; see them with: "
                f"curate sql {summary.output} \"select * from unreadable\"", highlight=False)
        err_console.print(f"inspect: curate inspect {summary.output}", highlight=False)


def _run_slurm(pipe, input, out, workers, resume, overwrite, partition, time_limit, do_submit, wait) -> None:
    from curate.executors.slurm import SlurmOptions, submit, write_scripts
    from curate.executors.slurm import wait as wait_for

    state = pipe.prepare(input or None, out, workers=workers, resume=resume, overwrite=overwrite)
    opts = SlurmOptions(partition=partition, time=time_limit)
    if not do_submit:
        script = write_scripts(state, opts)
        err_console.print(f"wrote Slurm job scripts; submit with: bash {script}", highlight=False)
        return
    job = submit(state, opts)
    err_console.print(f"submitted run {state.run_id} to Slurm; final job {job}", highlight=False)
    if wait:
        if not wait_for(state):
            _fail(f"the Slurm run did not finish; see logs in {out}/_state/slurm/logs", code=1)
        err_console.print(f"[green]done:[/] inspect with: curate inspect {out}", highlight=False)


def _log_to_stderr(verbose: bool) -> None:
    handler = logging.StreamHandler()
    handler.setLevel(logging.INFO if verbose else logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger("curate").addHandler(handler)
    logging.getLogger("curate").propagate = False


def _print_relation(rel, max_rows: int) -> None:
    df = rel.pl() if rel is not None else None
    if df is None:
        return
    table = Table(show_lines=False)
    for col in df.columns:
        table.add_column(col, overflow="fold")
    for row in df.head(max_rows).iter_rows():
        table.add_row(*[_cell(v) for v in row])
    out_console.print(table)
    if df.height > max_rows:
        out_console.print(f"... {df.height - max_rows} more row(s); add LIMIT or --max-rows")


def _cell(v) -> str:
    s = "" if v is None else str(v)
    return s if len(s) <= 200 else s[:197] + "..."


@app.command()
def sql(
    run_dir: Annotated[Path, typer.Argument(help="output folder of a run")],
    query: Annotated[str, typer.Argument(help="SQL over docs, rejected, unreadable, runs, stage_stats")],
    max_rows: Annotated[int, typer.Option("--max-rows", help="rows to print")] = 50,
) -> None:
    """Run a SQL QUERY against a run's catalog and print the result as a table."""
    import duckdb

    from curate.catalog import connect

    try:
        con = connect(run_dir, read_only=True)
    except FileNotFoundError as exc:
        _fail(str(exc))
    try:
        _print_relation(con.sql(query), max_rows)
    except duckdb.Error as exc:
        _fail(f"query failed: {exc}")


@app.command()
def inspect(run_dir: Annotated[Path, typer.Argument(help="output folder of a run")],
            top: Annotated[int, typer.Option(help="rejection reasons to list")] = 10) -> None:
    """Print a run's funnel (read → each stage → kept) and its top rejection reasons."""
    from curate.catalog import connect
    from curate.report import funnel

    try:
        con = connect(run_dir, read_only=True)
    except FileNotFoundError as exc:
        _fail(str(exc))
    rows, run = funnel(con)
    table = Table(title=f"funnel of {run_dir} (run {run['run_id']})")
    for col in ("step", "rule", "in", "dropped", "out", "share of read"):
        table.add_column(col, justify="right" if col not in ("step", "rule") else "left",
                         no_wrap=col in ("step", "rule"))
    for r in rows:
        table.add_row(r["step"], r["rule"] or "", f"{r['in']:,}", f"{r['dropped']:,}", f"{r['out']:,}",
                      f"{r['out'] / run['n_read']:.1%}" if run["n_read"] else "-")
    out_console.print(table)
    reasons = con.sql(
        f"select stage, reason, count(*) as n from rejected group by all order by n desc limit {int(top)}"
    ).pl()
    t2 = Table(title="top rejection reasons")
    for col in ("stage", "reason", "docs"):
        t2.add_column(col)
    for stage, reason, n in reasons.iter_rows():
        t2.add_row(str(stage), str(reason), f"{n:,}")
    out_console.print(t2)


@app.command()
def catalog(run_dir: Annotated[Path, typer.Argument(help="output folder of a run")]) -> None:
    """Re-point a run's catalog views at its current location (after moving the folder)."""
    from curate.catalog import connect, create_views

    try:
        con = connect(run_dir)
    except FileNotFoundError as exc:
        _fail(str(exc))
    create_views(con, run_dir)
    con.close()
    err_console.print(f"catalog of {run_dir} points at {run_dir.resolve()}")


def _load_command_modules() -> None:
    """Import ``curate/commands/*.py``; each adds its commands to ``app`` with ``@app.command()``."""
    import importlib
    import pkgutil

    import curate.commands as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"curate.commands.{mod.name}")


_load_command_modules()


def main() -> None:
    """Console entry point."""
    try:
        app()
    except CurateError as exc:  # pragma: no cover - commands catch their own
        err_console.print(f"[bold red]error:[/] {exc}")
        sys.exit(2)


if __name__ == "__main__":  # python -m curate.cli: use the importable module, where commands register
    from curate.cli import main as _main

    _main()
