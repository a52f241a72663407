"""Ray and Slurm executors give the local executor's output, on a real local cluster of each."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import polars as pl
import pytest

from curate import LengthFilter, Pipeline
from curate.executors.slurm import SlurmOptions, write_scripts
from tests.conftest import REPO, shared


def _frames(out):
    return {sub: pl.read_parquet(out / sub / "*.parquet").sort("id") for sub in ("kept", "rejected")}


def _same_output(a, b):
    fa, fb = _frames(a), _frames(b)
    return all(fa[k].equals(fb[k]) for k in fa)


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    data = shared("web_text")
    out = tmp_path_factory.mktemp("local") / "out"
    Pipeline([LengthFilter(min_chars=200)]).run(input=str(data), output=out)
    return data, out


def test_ray_local_cluster_matches_local_executor(local_run, tmp_path):
    ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'curate[ray]'")
    data, ref = local_run
    out = tmp_path / "ray"
    try:
        summary = Pipeline([LengthFilter(min_chars=200)]).run(input=str(data), output=out, executor="ray", workers=2)
    finally:
        ray.shutdown()
    assert summary.n_read == summary.n_kept + summary.n_rejected + summary.n_unreadable
    assert _same_output(ref, out)


def test_slurm_job_scripts_are_a_valid_chain(local_run, tmp_path):
    data, _ = local_run
    state = Pipeline([LengthFilter(min_chars=200)]).prepare(str(data), tmp_path / "out")
    script = write_scripts(state, SlurmOptions(partition="cpu", max_parallel=4, extra=["--account=lab"]))
    folder = script.parent
    phase = (folder / "phase0.sbatch").read_text()
    assert f"#SBATCH --array=0-{len(state.shards) - 1}%4" in phase
    assert "#SBATCH --partition=cpu" in phase and "#SBATCH --account=lab" in phase
    assert 'worker shard' in phase and '"$SLURM_ARRAY_TASK_ID"' in phase
    submit = script.read_text()
    assert submit.index("phase0.sbatch") < submit.index("finalize.sbatch")
    assert "--dependency=afterok" in submit
    # run the chain's commands by hand, as Slurm would, and check the result
    env = dict(os.environ)
    for i in range(len(state.shards)):
        cmd = phase.strip().splitlines()[-1].replace('"$SLURM_ARRAY_TASK_ID"', str(i))
        assert subprocess.run(["bash", "-c", cmd], env=env, capture_output=True).returncode == 0
    final = (folder / "finalize.sbatch").read_text().strip().splitlines()[-1]
    res = subprocess.run(["bash", "-c", final], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "out" / "catalog.duckdb").is_file()


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    if not shutil.which("sbatch") and os.geteuid() != 0:
        pytest.skip("Slurm is not installed and we are not root to install it")
    folder = tmp_path_factory.mktemp("slurm")
    res = subprocess.run(["bash", str(REPO / "scripts" / "start_slurm.sh"), str(folder)],
                         capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        pytest.skip(f"could not start a single-node Slurm here: {res.stderr.strip()[-300:]}")
    conf = res.stdout.strip().splitlines()[-1]
    old = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = conf
    yield conf
    if old is None:
        os.environ.pop("SLURM_CONF", None)
    else:
        os.environ["SLURM_CONF"] = old


def test_slurm_cluster_run_matches_local_executor(local_run, slurm, tmp_path):
    data, ref = local_run
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text("name: t\nstages:\n  - type: length\n    min_chars: 200\n")
    out = tmp_path / "slurm-out"
    res = subprocess.run(
        [sys.executable, "-m", "curate.cli", "run", str(pipeline), "-i", str(data), "-o", str(out),
         "--executor", "slurm", "--wait"], capture_output=True, text=True, timeout=600,
    )
    assert res.returncode == 0, res.stderr
    assert _same_output(ref, out)
