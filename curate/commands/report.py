"""``curate report DIR``: a self-contained HTML report of a run (funnel, signals, samples)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curate.cli import _fail, app, err_console


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="output folder of a run")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="HTML file to write (default: DIR/report.html)")] = None,
) -> None:
    """Write DIR/report.html: funnel, signal histograms with thresholds, languages, domains, samples."""
    from curate.report import write_report

    try:
        path = write_report(run_dir, output)
    except FileNotFoundError as exc:
        _fail(str(exc))
    err_console.print(f"report: {path} (open it in a browser; it needs no server or network)", highlight=False)
