"""``curate diff A B``: which documents one run kept and the other did not, and why (by id)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.table import Table

from curate.catalog import CATALOG, connect
from curate.cli import _fail, app, out_console

_TEXT_CHARS = 300


def _attach(con: duckdb.DuckDBPyConnection, run_dir: Path, alias: str) -> None:
    connect(run_dir, read_only=True).close()  # re-points the views first if the folder moved
    path = str((run_dir / CATALOG).resolve()).replace("'", "''")
    con.execute(f"attach '{path}' as {alias} (read_only)")


def _groups(con: duckdb.DuckDBPyConnection, kept_in: str, other: str, examples: int) -> list[dict]:
    """Docs kept in run ``kept_in`` and not in ``other``, grouped by what ``other`` did with them."""
    side, o = kept_in[-1], other[-1]
    groups = con.sql(
        f"""select coalesce(stage_{o}, '-') as stage,
                   coalesce(reason_{o}, 'absent from run {o.upper()}') as reason, count(*) as n_docs
            from pairs where kept_{side} and kept_{o} is not true
            group by all order by n_docs desc, stage, reason"""
    ).pl().to_dicts()
    picked = con.sql(
        f"""select coalesce(stage_{o}, '-') as stage,
                   coalesce(reason_{o}, 'absent from run {o.upper()}') as reason, id
            from pairs where kept_{side} and kept_{o} is not true
            qualify row_number() over (partition by stage_{o}, reason_{o} order by hash(id)) <= {int(examples)}"""
    ).pl()
    texts: dict[str, str] = {}
    if picked.height:
        con.execute("create or replace temp table picked_ids as select unnest(?::varchar[]) as id",
                    [picked["id"].to_list()])
        texts = dict(con.execute(
            f"select id, left(text, {_TEXT_CHARS}) from {kept_in}.docs where id in (select id from picked_ids)"
        ).fetchall())
    for g in groups:
        ids = picked.filter((picked["stage"] == g["stage"]) & (picked["reason"] == g["reason"]))["id"].to_list()
        g["examples"] = [{"id": i, "text_start": texts.get(i, "")} for i in sorted(ids)]
    return groups


def diff_runs(run_a: str | Path, run_b: str | Path, examples: int = 3) -> dict:
    """Compare two runs by document id: counts kept by each, and what the other run did instead."""
    con = duckdb.connect()
    try:
        _attach(con, Path(run_a), "run_a")
        _attach(con, Path(run_b), "run_b")
        con.execute(
            """create temp table pairs as
               select coalesce(a.id, b.id) as id, a.kept as kept_a, b.kept as kept_b,
                      a.stage as stage_a, a.reason as reason_a, b.stage as stage_b, b.reason as reason_b
               from (select id, kept, stage, reason from run_a.all_docs) a
               full join (select id, kept, stage, reason from run_b.all_docs) b on a.id = b.id"""
        )
        counts = con.sql(
            """select count(*) filter (where kept_a) as kept_a, count(*) filter (where kept_b) as kept_b,
                      count(*) filter (where kept_a and kept_b) as kept_both,
                      count(*) filter (where kept_a and kept_b is not true) as only_a,
                      count(*) filter (where kept_b and kept_a is not true) as only_b
               from pairs"""
        ).pl().to_dicts()[0]
        configs = {}
        for alias in ("run_a", "run_b"):
            rows = con.execute(f"select config from {alias}.runs order by ended_at desc limit 1").fetchall()
            configs[alias] = json.loads(rows[0][0]).get("stages") if rows else None
        return {
            "a": str(run_a), "b": str(run_b), **counts,
            "stages_a": configs["run_a"], "stages_b": configs["run_b"],
            "kept_only_in_a": _groups(con, "run_a", "run_b", examples),
            "kept_only_in_b": _groups(con, "run_b", "run_a", examples),
        }
    finally:
        con.close()


def _print(result: dict) -> None:
    out_console.print(
        f"A = {result['a']}: kept {result['kept_a']:,}\nB = {result['b']}: kept {result['kept_b']:,}\n"
        f"kept by both {result['kept_both']:,}; only by A {result['only_a']:,}; only by B {result['only_b']:,}",
        highlight=False,
    )
    if result["stages_a"] != result["stages_b"]:
        out_console.print(f"stages of A: {json.dumps(result['stages_a'])}\nstages of B: {json.dumps(result['stages_b'])}",
                          highlight=False, markup=False)
    for key, kept, other in (("kept_only_in_a", "A", "B"), ("kept_only_in_b", "B", "A")):
        groups = result[key]
        table = Table(title=f"kept by {kept}, not by {other}: what {other} did with them")
        for col in ("stage in " + other, "reason in " + other, "docs", "examples (id: start of text)"):
            table.add_column(col, overflow="fold")
        for g in groups:
            ex = "\n".join(f"{e['id']}: {' '.join(e['text_start'].split())[:120]}" for e in g["examples"])
            table.add_row(g["stage"], g["reason"], f"{g['n_docs']:,}", ex)
        if groups:
            out_console.print(table)
        else:
            out_console.print(f"no document kept by {kept} was dropped by {other}", highlight=False)


@app.command()
def diff(
    run_a: Annotated[Path, typer.Argument(help="output folder of the first run")],
    run_b: Annotated[Path, typer.Argument(help="output folder of the second run")],
    examples: Annotated[int, typer.Option("--examples", "-n", min=0, help="example documents per reason")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="print the comparison as JSON")] = False,
) -> None:
    """Show documents kept by one run and not the other, grouped by the other run's stage and reason."""
    try:
        result = diff_runs(run_a, run_b, examples)
    except FileNotFoundError as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps(result, indent=2, default=str))
    else:
        _print(result)
