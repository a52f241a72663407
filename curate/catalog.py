"""The DuckDB catalog beside a run: views over its Parquet, and the ``runs`` / ``stage_stats`` tables.

DuckDB resolves a relative path in a view against the *process's* working directory, not the
database file's folder, so views hold absolute paths (they work from any working directory). When
a run folder is moved, every curate entry point (``curate sql``, ``curate inspect``,
``curate.open``) notices that the recorded root differs and re-points the views; ``curate catalog
DIR`` does it explicitly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

CATALOG = "catalog.duckdb"

VIEWS = {
    "docs": "kept/*.parquet",
    "rejected": "rejected/*.parquet",
    "unreadable": "_state/unreadable/*.parquet",
}


@dataclass
class RunRecord:
    """One row of the ``runs`` table."""

    run_id: str
    pipeline: str
    config: dict
    version: str
    started_at: datetime
    ended_at: datetime
    status: str
    resumed: bool
    workers: int
    n_read: int
    n_kept: int
    n_rejected: int
    n_unreadable: int
    n_repaired: int
    bytes_read: int
    seconds: float


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def create_views(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    """(Re)create the views over ``root``'s Parquet files with absolute paths."""
    root = root.resolve()
    for view, pattern in VIEWS.items():
        files = sorted((root).glob(pattern))
        if files:
            con.execute(
                f"create or replace view {view} as select * from "
                f"read_parquet({_q(str(root / pattern))}, union_by_name = true)"
            )
        else:
            con.execute(f"create or replace view {view} as select null::varchar as id where false")
    con.execute("create or replace table catalog_info as select ? as root, now() as updated_at", [str(root)])


def write_catalog(root: Path, run: RunRecord, stage_rows: list[dict]) -> Path:
    """Write or update ``root/catalog.duckdb``: views, one more ``runs`` row, current ``stage_stats``."""
    path = root / CATALOG
    con = duckdb.connect(str(path))
    try:
        create_views(con, root)
        con.execute(
            """create table if not exists runs (
                run_id varchar, pipeline varchar, config json, version varchar,
                started_at timestamp, ended_at timestamp, status varchar, resumed boolean,
                workers integer, n_read bigint, n_kept bigint, n_rejected bigint, n_unreadable bigint,
                n_repaired bigint, bytes_read bigint, seconds double)"""
        )
        con.execute(
            "insert into runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run.run_id, run.pipeline, json.dumps(run.config), run.version, run.started_at, run.ended_at,
             run.status, run.resumed, run.workers, run.n_read, run.n_kept, run.n_rejected, run.n_unreadable,
             run.n_repaired, run.bytes_read, run.seconds],
        )
        con.execute(
            """create or replace table stage_stats (
                run_id varchar, position integer, stage varchar, rule varchar,
                n_in bigint, n_out bigint, n_dropped bigint)"""
        )
        if stage_rows:
            con.executemany(
                "insert into stage_stats values (?, ?, ?, ?, ?, ?, ?)",
                [[run.run_id, r["position"], r["stage"], r["rule"], r["n_in"], r["n_in"] - r["n_dropped"],
                  r["n_dropped"]] for r in stage_rows],
            )
    finally:
        con.close()
    return path


def connect(root: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a run's catalog, re-pointing its views first if the folder has moved."""
    root = Path(root)
    path = root / CATALOG
    if not path.is_file():
        raise FileNotFoundError(f"{root} has no {CATALOG}; is it the output folder of a curate run?")
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        rows = con.execute("select root from catalog_info").fetchall()
        recorded = rows[0] if rows else None
    except duckdb.Error:
        recorded = None
    if recorded is None or Path(recorded[0]) != root.resolve():
        if read_only:
            con.close()
            con = duckdb.connect(str(path))
            create_views(con, root)
            con.close()
            con = duckdb.connect(str(path), read_only=True)
        else:
            create_views(con, root)
    return con
