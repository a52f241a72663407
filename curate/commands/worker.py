"""``curate worker``: the steps of a prepared run, as cluster jobs call them (Slurm array tasks)."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from curate.cli import app

worker_app = typer.Typer(help="Run one step of a prepared run (used by Slurm job scripts).", no_args_is_help=True)
app.add_typer(worker_app, name="worker", hidden=True)


def _state(out: Path):
    from curate.run import RunState, attach_log

    state = RunState.load(out)
    attach_log(state.plan.state / "run.log")
    return state


@worker_app.command("shard")
def shard(out: Path, phase: int, index: int) -> None:
    """Process shard INDEX of the run in OUT for PHASE (skipped if already complete)."""
    from curate.engine import process_shard

    state = _state(out)
    if not 0 <= index < len(state.shards):
        raise typer.BadParameter(f"shard index {index} out of range 0..{len(state.shards) - 1}")
    target = state.shards[index]
    if state.plan.marker(phase, target).is_file():
        logging.getLogger("curate").info("shard %s phase %d already complete", target.name, phase)
        return
    process_shard(state.plan, target, phase)


@worker_app.command("reduce")
def reduce(out: Path, phase: int) -> None:
    """Run the reduce step of the global stage ending PHASE."""
    from curate.run import reduce_phase

    reduce_phase(_state(out), phase)


@worker_app.command("finalize")
def finalize(out: Path) -> None:
    """Sum the markers and write the catalog of the run in OUT."""
    from curate.run import finalize as do_finalize

    summary = do_finalize(_state(out))
    (out / "_state" / "finalized").write_text(summary.run_id)
    typer.echo(str(summary))
