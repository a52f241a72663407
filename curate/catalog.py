"""The DuckDB catalog beside a run: views over its Parquet, run tables, and macros for common questions.

DuckDB resolves a relative path in a view against the *process's* working directory, not the
database file's folder, so views hold absolute paths (they work from any working directory). When
a run folder is moved, every curate entry point (``curate sql``, ``curate inspect``,
``curate.open``) notices that the recorded root differs and re-points the views; ``curate catalog
DIR`` does it explicitly.

Objects (documented with examples in ``docs/sql.md``):

- views ``docs`` (kept), ``rejected`` (with ``reason``, ``stage``), ``all_docs`` (both, with a
  ``kept`` flag), ``unreadable``;
- tables ``runs`` (one row per run or resume, with its config), ``stage_stats`` (the funnel),
  ``rules`` (each stage's rules as text) and ``thresholds`` (the column / operator / value of every
  rule that compares a signal column with a constant);
- table macros ``funnel()``, ``reasons()``, ``why(doc_id)``, ``sample_by_reason(per_reason)``,
  ``sample_by_score(per_score)``, ``whatif(signal, op, threshold)``, ``domains(top_n)`` and
  ``languages(top_n)``. Each takes an optional ``run := 'alias'`` naming an ATTACHed catalog, so
  several runs can be queried from one connection.
"""

from __future__ import annotations

import ast
import json
import logging
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

log = logging.getLogger("curate")

CATALOG = "catalog.duckdb"

#: Bumped whenever views or macros change; older catalogs are upgraded when opened.
CATALOG_VERSION = 4

VIEWS = {
    "docs": "kept/*.parquet",
    "rejected": "rejected/*.parquet",
    "unreadable": "_state/unreadable/*.parquet",
}

#: Columns an empty view still has, so macros bind on a run with no file of that kind.
_EMPTY_COLUMNS = {
    "docs": "null::varchar as id, null::varchar as text, null::varchar as url, null::varchar as source",
    "rejected": "null::varchar as id, null::varchar as text, null::varchar as url, null::varchar as source, "
                "null::varchar as reason, null::varchar as stage",
    "unreadable": "null::varchar as file, null::bigint as offset, null::bigint as record, null::varchar as error",
}

#: SQL comparison operators a threshold may use, by the Polars operator name.
_POLARS_OPS = {"Gt": ">", "GtEq": ">=", "Lt": "<", "LtEq": "<=", "Eq": "=", "NotEq": "!=",
               "EqValidity": "=", "NotEqValidity": "!="}
_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "=": "=", "!=": "!="}


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


def _src(name: str) -> str:
    """A macro's table reference: ``name`` in the current database, or in the ATTACHed ``run``."""
    return f"query_table(coalesce(run || '.', '') || '{name}')"


def _with_optional(name: str, **columns: str) -> str:
    """``name`` with ``columns`` guaranteed to exist (null where the run has no such signal)."""
    dummy = ", ".join(f"null::{typ} as {col}" for col, typ in columns.items())
    return f"(from (select {dummy} where false) union all by name from {_src(name)})"


_TEXT_CHARS = 500

#: Table macros, created in every catalog. Parameter names never collide with column names
#: (DuckDB substitutes a macro parameter wherever its name appears as an identifier).
MACROS: dict[str, str] = {
    "funnel": f"""() as table
        with r as (select * from {_src('runs')} order by ended_at desc limit 1),
        steps as (
            select 0 as step_no, 'read' as step, null::varchar as rule, n_read as n_in,
                   n_unreadable as n_dropped, n_read - n_unreadable as n_out from r
            union all
            select 1 + rule_no, stage, rule, n_in, n_dropped, n_out
            from {_src('stage_stats')}
            union all
            select 1000000, 'kept', null, n_kept, 0, n_kept from r)
        select step, rule, n_in, n_dropped, n_out,
               n_out / nullif((select n_read from r), 0) as share_of_read
        from steps order by step_no""",
    "reasons": f"""() as table
        select stage, reason, count(*) as n_docs,
               count(*) / sum(count(*)) over () as share_of_rejected
        from {_src('rejected')} group by all order by n_docs desc""",
    "why": f"""(doc_id) as table
        select d.kept, d.stage, d.reason, r.expr as rule_keeps,
               d.* exclude (kept, stage, reason, text), left(d.text, {_TEXT_CHARS}) as text_start
        from {_src('all_docs')} d
        left join {_src('rules')} r on r.stage = d.stage and r.rule = d.reason
        where d.id = doc_id""",
    "sample_by_reason": f"""(per_reason) as table
        with picked as (
            select id, stage, reason from {_src('rejected')}
            qualify row_number() over (partition by stage, reason order by hash(id)) <= per_reason)
        select p.stage, p.reason, d.id, d.url, left(d.text, {_TEXT_CHARS}) as text_start
        from picked p join {_src('rejected')} d using (id)
        order by p.stage, p.reason, hash(d.id)""",
    "sample_by_score": f"""(per_score) as table
        with d as {_with_optional('all_docs', int_score='bigint')},
        picked as (
            select id, int_score from d where int_score is not null
            qualify row_number() over (partition by int_score order by hash(id)) <= per_score)
        select p.int_score, d.kept, d.stage, d.reason, d.id, d.url, left(d.text, {_TEXT_CHARS}) as text_start
        from picked p join d using (id)
        order by p.int_score, hash(d.id)""",
    "whatif": f"""(signal, op, threshold) as table
        with s as (select kept, stage, reason, COLUMNS(lambda c: c = signal) as v from {_src('all_docs')}),
        by_rule as (select distinct stage, rule from {_src('thresholds')} where column_name = signal),
        f as (
            select s.kept, b.rule is not null as on_rule,
                   case op when '>=' then v >= threshold when '>' then v > threshold
                           when '<=' then v <= threshold when '<' then v < threshold
                           when '=' then v = threshold when '!=' then v != threshold
                           else error('whatif: op must be one of >=, >, <=, <, =, != (got ' || op || ')')
                   end as passes
            from s left join by_rule b on b.stage = s.stage and b.rule = s.reason),
        c as (
            select count(*) as n_docs, count(*) filter (where kept) as kept_now,
                   count(*) filter (where kept and passes is false) as lost,
                   count(*) filter (where not kept and on_rule and passes is not false) as regained
            from f)
        select signal as signal_column, op as keep_op, threshold as keep_threshold, n_docs, kept_now,
               lost, regained, kept_now - lost + regained as kept_after,
               kept_now / nullif(n_docs, 0) as share_now,
               (kept_now - lost + regained) / nullif(n_docs, 0) as share_after
        from c""",
    "domains": f"""(top_n) as table
        with d as {_with_optional('all_docs', url='varchar')},
        a as (
            select case when starts_with(url, 'https://') or starts_with(url, 'http://') then split_part(url, '/', 3)
                        else regexp_extract(url, '^(?:[A-Za-z][A-Za-z0-9+.-]*://)?([^/?#]+)', 1) end as authority,
                   count(*) as n, count(*) filter (where kept) as k
            from d where url is not null group by 1),
        b as (select lower(split_part(split_part(split_part(split_part(authority, '?', 1), '#', 1), '@', -1), ':', 1))
                  as host, n, k from a),
        h as (select case when starts_with(host, 'www.') then host[5:] else host end as domain, n, k from b)
        select domain, sum(n)::bigint as n_docs, sum(k)::bigint as n_kept, (sum(n) - sum(k))::bigint as n_rejected,
               sum(k) / sum(n) as kept_share
        from h where domain <> '' group by domain order by n_docs desc, domain limit top_n""",
    "languages": f"""(top_n) as table
        with d as {_with_optional('all_docs', language='varchar')}
        select language, count(*) as n_docs, count(*) filter (where kept) as n_kept,
               count(*) filter (where not kept) as n_rejected,
               count(*) filter (where kept) / count(*) as kept_share
        from d where language is not null group by language order by n_docs desc, language limit top_n""",
}


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() and table_name = ?",
        [name],
    ).fetchall()
    return bool(rows[0][0])


def create_views(con: duckdb.DuckDBPyConnection, root: Path, temp: bool = False) -> None:
    """(Re)create the views (absolute paths under ``root``) and the macros; add missing rule tables.

    With ``temp``, they are created as temporary objects of this connection only (they shadow the
    stored ones): how a read-only catalog of a moved folder is re-pointed.
    """
    root = Path(root).resolve()
    kind = "temp " if temp else ""
    for view, pattern in VIEWS.items():
        if sorted(root.glob(pattern)):
            con.execute(
                f"create or replace {kind}view {view} as select * from "
                f"read_parquet({_q(str(root / pattern))}, union_by_name = true)"
            )
        else:
            con.execute(f"create or replace {kind}view {view} as select {_EMPTY_COLUMNS[view]} where false")
    con.execute(
        f"create or replace {kind}view all_docs as "
        "select true as kept, null::varchar as stage, null::varchar as reason, * from docs "
        "union all by name select false as kept, * from rejected"
    )
    if temp:
        for name, body in MACROS.items():
            con.execute(_macro_sql(name, body, temp=True))
        return
    if not _has_table(con, "rules"):
        config = None
        if _has_table(con, "runs"):
            rows = con.execute("select config from runs order by ended_at desc limit 1").fetchall()
            config = json.loads(rows[0][0]) if rows else None
        write_rules(con, rule_table(config or {}))
    for table, ddl in (
        ("runs", _RUNS_DDL),
        ("stage_stats", _STAGE_STATS_DDL),
    ):
        if not _has_table(con, table):
            con.execute(ddl)
    for name, body in MACROS.items():
        con.execute(_macro_sql(name, body))
    con.execute(
        "create or replace table catalog_info as select ? as root, now() as updated_at, ? as version",
        [str(root), CATALOG_VERSION],
    )


def _macro_sql(name: str, body: str, temp: bool = False) -> str:
    """``create macro`` for one entry of MACROS, with the optional ``run := NULL`` parameter added."""
    params, rest = body.split(")", 1)
    params = ", ".join(p for p in (params.strip("( "), "run := NULL") if p)
    return f"create or replace {'temp ' if temp else ''}macro {name}({params}){rest}"


_RUNS_DDL = """create table if not exists runs (
    run_id varchar, pipeline varchar, config json, version varchar,
    started_at timestamp, ended_at timestamp, status varchar, resumed boolean,
    workers integer, n_read bigint, n_kept bigint, n_rejected bigint, n_unreadable bigint,
    n_repaired bigint, bytes_read bigint, seconds double)"""

_STAGE_STATS_DDL = """create or replace table stage_stats (
    run_id varchar, position integer, stage varchar, rule varchar,
    n_in bigint, n_out bigint, n_dropped bigint, rule_no integer)"""


def _stages_from_config(config: dict) -> list:
    """Rebuild the run's stage objects from its recorded config (YAML params or a Python repr)."""
    import inspect

    from curate.registry import build_stage, get_stage_class

    stages = []
    for spec in config.get("stages") or []:
        stype = spec.get("type")
        params = spec.get("params")
        try:
            if params is None and spec.get("repr"):
                call = ast.parse(spec["repr"], mode="eval").body
                assert isinstance(call, ast.Call)
                params = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords if kw.arg}
                accepted = inspect.signature(get_stage_class(stype).__init__).parameters
                params = {k: v for k, v in params.items() if k in accepted}
            stages.append(build_stage(stype, params or {}))
        except Exception as exc:  # noqa: BLE001 - a stage we cannot rebuild just has no known thresholds
            log.debug("cannot rebuild stage %r from the run config: %s", stype, exc)
            stages.append(None)
    return stages


def _literal_value(node) -> float | None:
    """The numeric value inside a serialized Polars literal, or None."""
    if isinstance(node, bool):
        return None
    if isinstance(node, int | float):
        return float(node)
    if isinstance(node, dict):
        for value in node.values():
            found = _literal_value(value)
            if found is not None:
                return found
    return None


def _comparisons(node) -> list[tuple[str, str, float]]:
    """(column, op, value) for every ``col <op> constant`` conjunct of a serialized Polars expression."""
    if not isinstance(node, dict):
        return []
    if "BinaryExpr" in node:
        b = node["BinaryExpr"]
        if b["op"] in ("And", "LogicalAnd"):
            return _comparisons(b["left"]) + _comparisons(b["right"])
        op = _POLARS_OPS.get(b["op"])
        left, right = b["left"], b["right"]
        if op and "Column" in left and "Literal" in right:
            value = _literal_value(right["Literal"])
            return [(left["Column"], op, value)] if value is not None else []
        if op and "Literal" in left and "Column" in right:
            value = _literal_value(left["Literal"])
            return [(right["Column"], _FLIP[op], value)] if value is not None else []
        return []
    fn = node.get("Function")
    if isinstance(fn, dict) and "IsBetween" in json.dumps(fn.get("function")):
        col, lo, hi = fn["input"]
        closed = json.dumps(fn["function"])
        if "Column" in col:
            lo_v, hi_v = _literal_value(lo.get("Literal")), _literal_value(hi.get("Literal"))
            lo_op = ">=" if ("Both" in closed or "Left" in closed) else ">"
            hi_op = "<=" if ("Both" in closed or "Right" in closed) else "<"
            return [(col["Column"], op, v) for op, v in ((lo_op, lo_v), (hi_op, hi_v)) if v is not None]
    return []


def rule_table(config: dict, stages: list[tuple[str, object]] | None = None) -> list[dict]:
    """One dict per rule of the run's stages: stage label, rule, expression and its thresholds.

    ``stages`` are the run's labelled stage objects; without them the stages are rebuilt from ``config``.
    """
    from curate.engine import label_stages

    if stages is None:
        rebuilt = _stages_from_config(config)
        known = [s for s in rebuilt if s is not None]
        labels = iter(label for label, _ in label_stages(known))
        stages = [(next(labels), s) if s is not None else (None, None) for s in rebuilt]
    rows = []
    for position, (label, stage) in enumerate(stages):
        if stage is None:
            continue
        for rule in stage.rules():
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    tree = json.loads(rule.keep.meta.serialize(format="json"))
                comparisons = _comparisons(tree)
            except Exception:  # noqa: BLE001 - an expression we cannot read has no known threshold
                comparisons = []
            rows.append({"position": position, "stage": label, "rule": rule.name,
                         "expr": str(rule.keep), "description": rule.description,
                         "thresholds": comparisons})
    return rows


def write_rules(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    """Replace the ``rules`` and ``thresholds`` tables with ``rows`` (see :func:`rule_table`)."""
    con.execute("create or replace table rules (position integer, stage varchar, rule varchar, "
                "expr varchar, description varchar)")
    con.execute("create or replace table thresholds (stage varchar, rule varchar, column_name varchar, "
                "op varchar, value double)")
    if rows:
        con.executemany("insert into rules values (?, ?, ?, ?, ?)",
                        [[r["position"], r["stage"], r["rule"], r["expr"], r["description"]] for r in rows])
        th = [[r["stage"], r["rule"], c, op, v] for r in rows for c, op, v in r["thresholds"]]
        if th:
            con.executemany("insert into thresholds values (?, ?, ?, ?, ?)", th)


def write_catalog(root: Path, run: RunRecord, stage_rows: list[dict],
                  stages: list[tuple[str, object]] | None = None) -> Path:
    """Write or update ``root/catalog.duckdb``: views, macros, one more ``runs`` row, current stats.

    ``stages`` (the run's ``(label, stage)`` pairs) give the ``rules`` / ``thresholds`` tables; when
    omitted, the stages are rebuilt from ``run.config``.
    """
    path = root / CATALOG
    con = duckdb.connect(str(path))
    try:
        con.execute(_RUNS_DDL)
        con.execute(
            "insert into runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run.run_id, run.pipeline, json.dumps(run.config), run.version, run.started_at, run.ended_at,
             run.status, run.resumed, run.workers, run.n_read, run.n_kept, run.n_rejected, run.n_unreadable,
             run.n_repaired, run.bytes_read, run.seconds],
        )
        con.execute(_STAGE_STATS_DDL)
        if stage_rows:
            con.executemany(
                "insert into stage_stats values (?, ?, ?, ?, ?, ?, ?, ?)",
                [[run.run_id, r["position"], r["stage"], r["rule"], r["n_in"], r["n_in"] - r["n_dropped"],
                  r["n_dropped"], i] for i, r in enumerate(stage_rows)],
            )
        write_rules(con, rule_table(run.config, stages))
        create_views(con, root)
    finally:
        con.close()
    return path


def _needs_refresh(con: duckdb.DuckDBPyConnection, root: Path) -> bool:
    try:
        rows = con.sql("select * from catalog_info").pl().to_dicts()
    except duckdb.Error:
        return True
    if not rows:
        return True
    info = rows[0]
    return Path(info["root"]) != root.resolve() or info.get("version") != CATALOG_VERSION


def connect(root: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a run's catalog, re-pointing its views (and upgrading its macros) if needed."""
    root = Path(root)
    path = root / CATALOG
    if not path.is_file():
        raise FileNotFoundError(f"{root} has no {CATALOG}; is it the output folder of a curate run?")
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("set enable_progress_bar = false")  # it would interleave with printed results
    if _needs_refresh(con, root):
        if read_only:
            con.close()
            try:
                con = duckdb.connect(str(path))
                create_views(con, root)
                con.close()
            except (duckdb.Error, OSError) as exc:  # e.g. a read-only copy: re-point for this session only
                log.info("cannot update %s (%s); using temporary views", path, exc)
                con = duckdb.connect(str(path), read_only=True)
                con.execute("set enable_progress_bar = false")
                create_views(con, root, temp=True)
                return con
            con = duckdb.connect(str(path), read_only=True)
            con.execute("set enable_progress_bar = false")
        else:
            create_views(con, root)
    return con
