"""The out-of-core reduce: LSH buckets → candidate pairs → connected components → decisions, in DuckDB.

Every signature row (this run's map files plus any index of earlier corpora) gets a ``node`` number
in keep order, so the smallest node of a cluster is the member to keep (index documents first, as
they are already kept). For each bucket column, documents sharing a key are linked to the bucket's
smallest node (a star, not a clique: as many pairs as members). Components are found by min-label
propagation with pointer jumping, as DuckDB queries over the pair table: every step is a join and a
group-by that DuckDB spills to disk past ``memory_limit``, so neither the corpus nor the pair list
has to fit in memory (a Python union-find would need the pair list in RAM). Rounds are
logarithmic in the component diameter thanks to the jumping.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import duckdb

log = logging.getLogger("curate")

#: Columns of the decisions file: one row per non-index document in a cluster; ``dup_cluster`` is the
#: id of the kept member, ``dup_of`` the same id on every other member (null on the kept one).
DECISION_COLUMNS = ("shard", "id", "dup_cluster", "dup_of")

KEEP_ORDER = {
    "first": "id ASC, shard ASC",
    "longest": "n_chars DESC NULLS LAST, id ASC, shard ASC",
    "highest_score": "score DESC NULLS LAST, id ASC, shard ASC",
}


def _quote(path: str | Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _file_list(paths: Sequence[Path]) -> str:
    return "[" + ", ".join(_quote(p) for p in paths) + "]"


def find_clusters(
    work_dir: Path,
    map_files: Sequence[Path],
    index_files: Sequence[Path],
    keys: Sequence[str],
    keep: str,
    *,
    memory_limit: str = "2GB",
    threads: int = 1,
) -> Path:
    """Write ``work_dir/decisions.parquet`` (sorted by shard, id) from signature Parquet files; return it."""
    out = work_dir / "decisions.parquet"
    db_path = work_dir / "reduce.duckdb"
    spill = work_dir / "duckdb_tmp"
    db_path.unlink(missing_ok=True)
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db_path))
    try:
        con.execute(f"SET memory_limit = {_quote(memory_limit)}")
        con.execute(f"SET temp_directory = {_quote(spill)}")
        con.execute(f"SET threads = {max(1, int(threads))}")
        con.execute("SET preserve_insertion_order = false")
        key_cols = ", ".join(keys)
        sources = []
        if map_files:
            sources.append(
                f"SELECT id, shard, false AS is_index, n_chars, score, {key_cols} "
                f"FROM read_parquet({_file_list(map_files)}, union_by_name = true)"
            )
        if index_files:
            sources.append(
                f"SELECT id, NULL::VARCHAR AS shard, true AS is_index, n_chars, NULL::DOUBLE AS score, {key_cols} "
                f"FROM read_parquet({_file_list(index_files)}, union_by_name = true)"
            )
        if not map_files:
            _write_empty(con, out)
            return out
        con.execute(
            f"CREATE TABLE sigs AS SELECT (row_number() OVER (ORDER BY is_index DESC, {KEEP_ORDER[keep]}))::BIGINT - 1"
            f" AS node, * FROM ({' UNION ALL '.join(sources)})"
        )
        con.execute("CREATE TABLE edges (node BIGINT, rep BIGINT)")
        for key in keys:
            con.execute(
                f"INSERT INTO edges SELECT node, min(node) OVER (PARTITION BY {key}) AS rep "
                f"FROM sigs WHERE {key} IS NOT NULL QUALIFY node <> rep"
            )
        con.execute("CREATE TABLE pairs AS SELECT DISTINCT node, rep FROM edges")
        con.execute("DROP TABLE edges")
        n_pairs = con.execute("SELECT count(*) FROM pairs").fetchone()[0]
        rounds = _components(con)
        con.execute(
            "CREATE TABLE decisions AS SELECT d.shard, d.id, r.id AS dup_cluster, "
            "CASE WHEN l.label = l.node THEN NULL ELSE r.id END AS dup_of "
            "FROM labels l JOIN sigs d ON d.node = l.node JOIN sigs r ON r.node = l.label "
            "WHERE NOT d.is_index"
        )
        dup_ids = con.execute(
            "SELECT count(*) FROM (SELECT shard, id FROM decisions GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()[0]
        if dup_ids:
            log.warning("dedup: %d document id(s) occur more than once in a shard; they share one decision",
                        dup_ids)
        tmp = out.with_name(out.name + ".tmp")
        con.execute(
            f"COPY (SELECT * FROM decisions QUALIFY row_number() OVER (PARTITION BY shard, id ORDER BY dup_of "
            f"NULLS FIRST) = 1 ORDER BY shard, id) TO {_quote(tmp)} (FORMAT parquet)"
        )
        os.replace(tmp, out)
        n_removed = con.execute("SELECT count(*) FROM decisions WHERE dup_of IS NOT NULL").fetchone()[0]
        log.info("dedup reduce: %d candidate pair(s), components in %d round(s), %d duplicate(s)",
                 n_pairs, rounds, n_removed)
    finally:
        con.close()
        db_path.unlink(missing_ok=True)
        db_path.with_name(db_path.name + ".wal").unlink(missing_ok=True)
        shutil.rmtree(spill, ignore_errors=True)
    return out


def _components(con: duckdb.DuckDBPyConnection) -> int:
    """Label every node of ``pairs`` with the smallest node of its component (table ``labels``)."""
    con.execute(
        "CREATE TABLE labels AS SELECT node, min(label) AS label FROM ("
        " SELECT node, rep AS label FROM pairs UNION ALL SELECT rep, rep FROM pairs) GROUP BY node"
    )
    rounds = 0
    while True:
        rounds += 1
        con.execute(
            "CREATE TABLE spread AS SELECT node, min(label) AS label FROM ("
            " SELECT node, label FROM labels"
            " UNION ALL SELECT p.node, l.label FROM pairs p JOIN labels l ON p.rep = l.node"
            " UNION ALL SELECT p.rep, l.label FROM pairs p JOIN labels l ON p.node = l.node"
            ") GROUP BY node"
        )
        # pointer jumping: a node takes its label's label
        con.execute(
            "CREATE TABLE jumped AS SELECT s.node, least(s.label, t.label) AS label "
            "FROM spread s JOIN spread t ON s.label = t.node"
        )
        changed = con.execute(
            "SELECT count(*) FROM jumped j JOIN labels l USING (node) WHERE j.label <> l.label"
        ).fetchone()[0]
        con.execute("DROP TABLE labels")
        con.execute("DROP TABLE spread")
        con.execute("ALTER TABLE jumped RENAME TO labels")
        if changed == 0:
            return rounds


def _write_empty(con: duckdb.DuckDBPyConnection, out: Path) -> None:
    tmp = out.with_name(out.name + ".tmp")
    con.execute(
        "COPY (SELECT NULL::VARCHAR AS shard, NULL::VARCHAR AS id, NULL::VARCHAR AS dup_cluster, "
        f"NULL::VARCHAR AS dup_of WHERE false) TO {_quote(tmp)} (FORMAT parquet)"
    )
    os.replace(tmp, out)
