"""Text summaries of a run computed in SQL: the funnel that ``curate inspect`` prints."""

from __future__ import annotations

import duckdb


def funnel(con: duckdb.DuckDBPyConnection) -> tuple[list[dict], dict]:
    """Rows of the funnel (read → each stage's rules → kept) and the latest ``runs`` row."""
    run_row = con.sql("select * from runs order by ended_at desc limit 1").pl().to_dicts()
    if not run_row:
        raise ValueError("the catalog has no runs")
    run = run_row[0]
    rows = [{"step": "read", "rule": None, "in": run["n_read"], "dropped": run["n_unreadable"],
             "out": run["n_read"] - run["n_unreadable"]}]
    rows[0]["rule"] = "unreadable" if run["n_unreadable"] else None
    stats = con.execute(
        "select stage, rule, n_in, n_dropped, n_out from stage_stats order by position, rowid"
    ).fetchall()
    for stage, rule, n_in, n_dropped, n_out in stats:
        rows.append({"step": stage, "rule": rule, "in": n_in, "dropped": n_dropped, "out": n_out})
    rows.append({"step": "kept", "rule": None, "in": run["n_kept"], "dropped": 0, "out": run["n_kept"]})
    return rows, run
