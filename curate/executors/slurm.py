"""Slurm executor: a prepared run becomes a chain of sbatch jobs (array per phase, reduce, finalize).

Each array task runs ``curate worker shard OUT PHASE INDEX``, which skips a shard already
complete, so resubmitting the chain (or ``curate run --resume``) finishes a run whose nodes died.
The scripts are plain files under ``OUT/_state/slurm/``: read them, edit them, submit them by hand.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from curate.errors import CurateError
from curate.run import RunState


@dataclass
class SlurmOptions:
    """sbatch settings applied to every job of the run."""

    partition: str | None = None
    time: str = "24:00:00"
    cpus_per_task: int = 1
    mem: str | None = None  # e.g. "8G"; None = the partition default
    max_parallel: int | None = None  # array throttle (%N)
    extra: list[str] = field(default_factory=list)  # more "#SBATCH ..." lines, e.g. "--account=x"


def _header(name: str, logs: Path, opts: SlurmOptions, array: str | None = None) -> list[str]:
    lines = ["#!/bin/bash", f"#SBATCH --job-name={name}", f"#SBATCH --time={opts.time}",
             f"#SBATCH --cpus-per-task={opts.cpus_per_task}"]
    if opts.mem:
        lines.append(f"#SBATCH --mem={opts.mem}")
    if opts.partition:
        lines.append(f"#SBATCH --partition={opts.partition}")
    if array is not None:
        lines.append(f"#SBATCH --array={array}")
        lines.append(f"#SBATCH --output={logs}/%x-%A_%a.log")
    else:
        lines.append(f"#SBATCH --output={logs}/%x-%j.log")
    lines += [f"#SBATCH {x}" for x in opts.extra]
    lines += ["set -euo pipefail", ""]
    return lines


def write_scripts(state: RunState, opts: SlurmOptions | None = None, python: str | None = None) -> Path:
    """Write the sbatch scripts of a prepared run and a ``submit.sh`` chaining them; return it."""
    opts = opts or SlurmOptions()
    python = python or sys.executable
    out = state.plan.out.resolve()
    folder = out / "_state" / "slurm"
    logs = folder / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    cmd = f"{shlex.quote(python)} -m curate.cli worker"
    q_out = shlex.quote(str(out))
    n = len(state.shards)
    submit = ["#!/bin/bash", "# Submits the run as a chain of Slurm jobs; each waits for the previous (afterok).",
              "set -euo pipefail", f'cd {shlex.quote(str(folder))}', "dep=''"]
    for phase in state.plan.phases:
        k = phase.index
        throttle = f"%{opts.max_parallel}" if opts.max_parallel else ""
        shard_script = folder / f"phase{k}.sbatch"
        shard_script.write_text("\n".join(
            _header(f"curate-p{k}", logs, opts, array=f"0-{n - 1}{throttle}")
            + [f"{cmd} shard {q_out} {k} \"$SLURM_ARRAY_TASK_ID\"", ""]))
        submit.append(f'jid=$(sbatch --parsable $dep {shard_script.name}); echo "phase {k}: job $jid"; '
                      'dep="--dependency=afterok:$jid"')
        if phase.global_out is not None:
            reduce_script = folder / f"reduce{k}.sbatch"
            reduce_script.write_text("\n".join(
                _header(f"curate-r{k}", logs, opts) + [f"{cmd} reduce {q_out} {k}", ""]))
            submit.append(f'jid=$(sbatch --parsable $dep {reduce_script.name}); echo "reduce {k}: job $jid"; '
                          'dep="--dependency=afterok:$jid"')
    final = folder / "finalize.sbatch"
    final.write_text("\n".join(_header("curate-final", logs, opts) + [f"{cmd} finalize {q_out}", ""]))
    submit.append(f'jid=$(sbatch --parsable $dep {final.name}); echo "finalize: job $jid"')
    submit.append(f'echo "$jid" > {shlex.quote(str(folder / "final.jobid"))}')
    script = folder / "submit.sh"
    script.write_text("\n".join(submit) + "\n")
    script.chmod(0o755)
    return script


def submit(state: RunState, opts: SlurmOptions | None = None) -> str:
    """Write the scripts and submit the chain with sbatch; return the finalize job id."""
    script = write_scripts(state, opts)
    res = subprocess.run(["bash", str(script)], capture_output=True, text=True)
    if res.returncode != 0:
        raise CurateError(f"sbatch failed: {res.stderr.strip() or res.stdout.strip()}")
    return (script.parent / "final.jobid").read_text().strip()


def wait(state: RunState, timeout: float = 3600, poll: float = 2.0) -> bool:
    """Block until the run's catalog has been finalized (True) or a job failed / time ran out (False)."""
    folder = state.plan.out / "_state" / "slurm"
    deadline = time.monotonic() + timeout
    done = state.plan.out / "_state" / "finalized"
    while time.monotonic() < deadline:
        if done.is_file():
            return True
        jid = (folder / "final.jobid").read_text().strip() if (folder / "final.jobid").is_file() else None
        if jid:
            res = subprocess.run(["squeue", "-h", "-j", jid, "-o", "%r"], capture_output=True, text=True)
            if "DependencyNeverSatisfied" in res.stdout:  # an earlier job of the chain failed
                subprocess.run(["scancel", jid], capture_output=True)
                return False
            if res.returncode == 0 and not res.stdout.strip() and not done.is_file():
                time.sleep(poll)  # the job left the queue: give the file system a moment
                return done.is_file()
        time.sleep(poll)
    return False
