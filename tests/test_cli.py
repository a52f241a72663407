"""The command line as a user types it: run, sql, inspect, and clear errors on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO, shared


def curate(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "curate.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd or REPO)


def test_run_sql_inspect(tmp_path):
    data = shared("web_text", "datajuicer_redpajama-cc-2023-06-refined.jsonl")
    out = tmp_path / "out"
    res = curate("run", REPO / "pipelines" / "textbook.yaml", "--input", data, "--output", out, "--no-progress")
    assert res.returncode == 0, res.stderr
    assert "read " in res.stderr and "kept" in res.stderr
    res = curate("sql", out, "select count(*) as n from docs")
    assert res.returncode == 0 and "n" in res.stdout
    res = curate("inspect", out)
    assert res.returncode == 0
    assert "read" in res.stdout and "kept" in res.stdout
    res = curate("run", REPO / "pipelines" / "textbook.yaml", "--input", data, "--output", out)
    assert res.returncode == 2 and "--resume" in res.stderr


@pytest.mark.parametrize(
    "setup, expected",
    [
        ("missing_input", "does not exist"),
        ("empty_dir", "holds no readable files"),
        ("bad_key", "unknown key"),
        ("unwritable", "cannot write"),
    ],
)
def test_clear_errors(tmp_path, setup, expected):
    pipeline = REPO / "pipelines" / "textbook.yaml"
    inp = tmp_path / "in.jsonl"
    inp.write_text(json.dumps({"text": "hello"}) + "\n")
    out = tmp_path / "out"
    if setup == "missing_input":
        inp = tmp_path / "nope.jsonl"
    elif setup == "empty_dir":
        inp = tmp_path / "empty"
        inp.mkdir()
    elif setup == "bad_key":
        pipeline = tmp_path / "p.yaml"
        pipeline.write_text("name: x\nworkerz: 3\n")
    elif setup == "unwritable":
        out = tmp_path / "ro"
        out.mkdir()
        out.chmod(0o500)
        if subprocess.run(["id", "-u"], capture_output=True, text=True).stdout.strip() == "0":
            out = tmp_path / "file-not-dir"
            out.write_text("x")
            expected = "not a folder"
    res = curate("run", pipeline, "--input", inp, "--output", out)
    assert res.returncode == 2, res.stderr
    assert expected in res.stderr
    assert "Traceback" not in res.stderr
