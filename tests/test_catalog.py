"""The catalog: views, tables and macros answer what Polars computes over the run's Parquet."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import polars as pl
import pytest

import curate
from curate.catalog import CATALOG, CATALOG_VERSION, _comparisons, create_views, rule_table
from curate.io.readers.base import FieldMap
from curate.pipeline import Pipeline
from curate.registry import register_stage
from curate.stages.base import Rule, Stage
from curate.stages.length import LengthFilter
from tests.conftest import shared


@register_stage
class ToyScores(Stage):
    """Test-only signals with FineWeb names: ``int_score`` from word count, ``language``, a ``url``.

    Args:
        min_score: drop documents whose int_score is below this.
    """

    name = "toy_scores"

    def __init__(self, min_score: int = 1):
        self.min_score = min_score

    def compute(self, df: pl.DataFrame) -> pl.DataFrame:
        if "language" not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=pl.String).alias("language"))
        words = pl.col("text").fill_null("").str.count_matches(r"\S+")
        return df.with_columns(
            (words // 150).clip(0, 5).cast(pl.Int64).alias("int_score"),
            # the CCNet sample's ids are the page URLs
            pl.when(pl.col("id").str.starts_with("http")).then(pl.col("id")).otherwise(pl.col("url")).alias("url"),
        )

    def rules(self) -> list[Rule]:
        return [Rule("low_score", pl.col("int_score") >= self.min_score)]


def web_text() -> Path:
    """The real JSONL documents of ../shared/data/web_text."""
    return shared("web_text")


def build_run(out: Path, min_chars: int = 200, max_chars: int = 20_000, scores: bool = True) -> Path:
    """A real run over web_text: length rules, plus toy int_score / language / url signals."""
    stages: list[Stage] = [LengthFilter(min_chars=min_chars, max_chars=max_chars)]
    if scores:
        stages.append(ToyScores())
    fields = FieldMap(extra={"language": "lang"}) if scores else None
    Pipeline(stages, fields=fields).run(
        input=str(web_text()), output=out, overwrite=True, progress=False)
    return out


def parquet(run: Path, kind: str) -> pl.DataFrame:
    """All rows of ``kept`` or ``rejected`` read with Polars."""
    files = sorted((run / kind).glob("*.parquet"))
    return pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed")


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return build_run(tmp_path_factory.mktemp("catalog") / "run")


@pytest.fixture(scope="module")
def plain_run(tmp_path_factory) -> Path:
    """A run without int_score / language / url signals."""
    return build_run(tmp_path_factory.mktemp("catalog") / "plain", scores=False)


@pytest.fixture
def con(run):
    c = curate.open(run)
    yield c
    c.close()


def test_views_hold_exactly_the_parquet_rows(run, con):
    kept, rejected = parquet(run, "kept"), parquet(run, "rejected")
    assert con.sql("select count(*) from docs").fetchall()[0][0] == kept.height > 0
    assert con.sql("select count(*) from rejected").fetchall()[0][0] == rejected.height > 0
    all_docs = con.sql("select id, kept, reason from all_docs").pl()
    assert all_docs.height == kept.height + rejected.height
    assert set(all_docs.filter(pl.col("kept"))["id"]) == set(kept["id"])
    assert set(all_docs.filter(~pl.col("kept"))["id"]) == set(rejected["id"])
    assert all_docs.filter(pl.col("kept"))["reason"].null_count() == kept.height
    assert con.sql("select count(*) from unreadable").fetchall()[0][0] == 0
    run_row = con.sql("select n_read, n_kept, n_rejected from runs").fetchall()[-1]
    assert run_row == (kept.height + rejected.height, kept.height, rejected.height)


def test_funnel_and_reasons_macros_match_the_data(run, con):
    rejected = parquet(run, "rejected")
    by_reason = dict(rejected.group_by("reason").len().iter_rows())
    funnel = con.sql("select * from funnel()").pl()
    assert funnel["step"].to_list() == ["read", "length", "length", "length", "toy_scores", "kept"]
    assert funnel["rule"].to_list()[1:-1] == ["empty_doc", "too_short", "too_long", "low_score"]
    for rule, dropped in zip(funnel["rule"][1:-1], funnel["n_dropped"][1:-1], strict=True):
        assert dropped == by_reason.get(rule, 0)
    n_read = funnel["n_in"][0]
    assert funnel["n_out"][-1] == n_read - rejected.height
    assert funnel["share_of_read"][-1] == pytest.approx((n_read - rejected.height) / n_read)
    reasons = con.sql("select * from reasons()").pl()
    assert dict(zip(reasons["reason"], reasons["n_docs"], strict=True)) == by_reason
    assert reasons["share_of_rejected"].sum() == pytest.approx(1.0)


def test_why_names_the_stage_reason_rule_and_signals(run, con):
    rejected = parquet(run, "rejected")
    row = rejected.filter(pl.col("reason") == "too_short").row(0, named=True)
    why = con.sql("select * from why(?)", params=[row["id"]]).pl().row(0, named=True)
    assert (why["kept"], why["stage"], why["reason"]) == (False, "length", "too_short")
    assert why["n_chars_stripped"] == row["n_chars_stripped"] < 200
    assert "n_chars_stripped" in why["rule_keeps"] and "200" in why["rule_keeps"]
    assert row["text"].startswith(why["text_start"])
    kept_id = parquet(run, "kept")["id"][0]
    assert con.sql("select kept, reason from why(?)", params=[kept_id]).fetchall() == [(True, None)]
    assert con.sql("select * from why('no-such-id')").fetchall() == []


def test_sample_by_reason_takes_n_per_reason(run, con):
    rejected = parquet(run, "rejected")
    sample = con.sql("select * from sample_by_reason(2)").pl()
    expected = {r: min(2, n) for r, n in rejected.group_by("reason").len().iter_rows()}
    assert dict(sample.group_by("reason").len().iter_rows()) == expected
    truth = dict(zip(rejected["id"], rejected["reason"], strict=True))
    assert all(truth[i] == r for i, r in zip(sample["id"], sample["reason"], strict=True))
    again = con.sql("select * from sample_by_reason(2)").pl()
    assert again["id"].to_list() == sample["id"].to_list()  # deterministic


def test_sample_by_score_takes_n_per_int_score(run, con):
    every = pl.concat([parquet(run, "kept"), parquet(run, "rejected")], how="diagonal_relaxed")
    scores = every.filter(pl.col("int_score").is_not_null())
    sample = con.sql("select * from sample_by_score(3)").pl()
    expected = {s: min(3, n) for s, n in scores.group_by("int_score").len().iter_rows()}
    assert len(expected) >= 3
    assert dict(sample.group_by("int_score").len().iter_rows()) == expected
    truth = dict(zip(scores["id"], scores["int_score"], strict=True))
    assert all(truth[i] == s for i, s in zip(sample["id"], sample["int_score"], strict=True))


def test_whatif_counts_lost_and_regained_documents(run, con):
    kept, rejected = parquet(run, "kept"), parquet(run, "rejected")
    for threshold in (500, 100):
        got = con.sql("select * from whatif('n_chars_stripped', '>=', ?)", params=[threshold]).pl().row(0, named=True)
        lost = kept.filter(pl.col("n_chars_stripped") < threshold).height
        regained = rejected.filter(
            pl.col("reason").is_in(["empty_doc", "too_short"]) & (pl.col("n_chars_stripped") >= threshold)
        ).height
        assert (got["kept_now"], got["lost"], got["regained"]) == (kept.height, lost, regained)
        assert got["kept_after"] == kept.height - lost + regained
        assert got["share_after"] == pytest.approx(got["kept_after"] / (kept.height + rejected.height))
    assert con.sql("select lost, regained from whatif('n_chars_stripped', '>=', 200)").fetchall() == [(0, 0)]
    with pytest.raises(duckdb.Error, match="op must be one of"):
        con.sql("select * from whatif('n_chars', '=>', 5)").fetchall()


def test_domains_and_languages_match_polars(run, con):
    every = pl.concat([parquet(run, "kept"), parquet(run, "rejected")], how="diagonal_relaxed")
    domain = (
        pl.col("url").str.extract(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://)?([^/?#]+)", 1)
        .str.split("@").list.last().str.split(":").list.first()
        .str.to_lowercase().str.replace(r"^www\.", "")
    )
    doms = every.filter(pl.col("url").is_not_null()).with_columns(domain.alias("domain"))
    expected = dict(doms.group_by("domain").len().iter_rows())
    got = con.sql("select domain, n_docs, n_kept + n_rejected from domains(1000)").fetchall()
    assert len(got) == len(expected) > 10
    assert {d: n for d, n, _ in got} == expected
    assert all(n == total for _, n, total in got)
    langs = dict(every.filter(pl.col("language").is_not_null()).group_by("language").len().iter_rows())
    got_langs = con.sql("select language, n_docs from languages(5)").fetchall()
    assert [n for _, n in got_langs] == sorted(langs.values(), reverse=True)[:5]
    assert all(langs[lang] == n for lang, n in got_langs)


def test_thresholds_are_read_from_the_rules(con):
    rows = set(con.sql("select stage, rule, column_name, op, value from thresholds").fetchall())
    assert rows == {
        ("length", "empty_doc", "n_chars_stripped", ">", 0.0),
        ("length", "too_short", "n_chars_stripped", ">=", 200.0),
        ("length", "too_long", "n_chars", "<=", 20000.0),
        ("toy_scores", "low_score", "int_score", ">=", 1.0),
    }


def test_thresholds_from_a_pipeline_file_config_and_expression_shapes():
    rows = rule_table({"stages": [{"type": "length", "params": {"min_chars": 50, "max_chars": 900}}]})
    assert [(r["rule"], r["thresholds"]) for r in rows] == [
        ("empty_doc", [("n_chars_stripped", ">", 0.0)]),
        ("too_short", [("n_chars_stripped", ">=", 50.0)]),
        ("too_long", [("n_chars", "<=", 900.0)]),
    ]
    tree = json.loads(((pl.lit(3) < pl.col("a")) & pl.col("b").is_between(0.1, 0.9)).meta.serialize(format="json"))
    assert _comparisons(tree) == [("a", ">", 3.0), ("b", ">=", 0.1), ("b", "<=", 0.9)]
    assert rule_table({"stages": [{"type": "no-such-stage"}]}) == []


def test_macros_work_on_a_run_without_optional_columns(plain_run):
    con = curate.open(plain_run)
    assert con.sql("select * from sample_by_score(3)").fetchall() == []
    assert con.sql("select * from domains(10)").fetchall() == []
    assert con.sql("select * from languages(10)").fetchall() == []
    assert con.sql("select count(*) from sample_by_reason(1)").fetchall()[0][0] == 3
    assert con.sql("select kept_now from whatif('n_chars', '<=', 5000)").fetchall()[0][0] > 0


def test_catalog_answers_from_another_working_directory(run, tmp_path):
    script = textwrap.dedent(f"""
        import duckdb
        con = duckdb.connect({str(run / CATALOG)!r}, read_only=True)
        print(con.sql("select count(*) from all_docs").fetchall()[0][0])
        print(con.sql("select count(*) from sample_by_reason(1)").fetchall()[0][0])
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True)
    n_all, n_sample = map(int, out.stdout.split())
    assert n_all == parquet(run, "kept").height + parquet(run, "rejected").height
    assert n_sample == parquet(run, "rejected")["reason"].n_unique()


def test_catalog_follows_a_moved_folder(tmp_path):
    first = build_run(tmp_path / "first", scores=False)
    n_kept = parquet(first, "kept").height
    moved = tmp_path / "elsewhere" / "moved"
    moved.parent.mkdir()
    shutil.move(first, moved)
    con = curate.open(moved)
    assert con.sql("select count(*) from docs").fetchall()[0][0] == n_kept
    assert con.sql("select root from catalog_info").fetchall()[0][0] == str(moved.resolve())
    assert con.sql("select count(*) from why((select min(id) from rejected))").fetchall()[0][0] == 1


def test_two_runs_attached_side_by_side(run, plain_run):
    con = duckdb.connect()
    con.execute(f"attach '{run / CATALOG}' as a (read_only)")
    con.execute(f"attach '{plain_run / CATALOG}' as b (read_only)")
    n_a = con.sql("select count(*) from a.docs").fetchall()[0][0]
    n_b = con.sql("select count(*) from b.docs").fetchall()[0][0]
    assert (n_a, n_b) == (parquet(run, "kept").height, parquet(plain_run, "kept").height)
    # macros take the attached run's name; after USE they default to it
    assert con.sql("select n_out from a.funnel(run := 'b') where step = 'kept'").fetchall()[0][0] == n_b
    con.execute("use a")
    assert con.sql("select n_out from funnel() where step = 'kept'").fetchall()[0][0] == n_a
    only_a = con.sql("select count(*) from a.docs where id not in (select id from b.docs)").fetchall()[0][0]
    assert only_a == len(set(parquet(run, "kept")["id"]) - set(parquet(plain_run, "kept")["id"]))


def test_a_read_only_moved_catalog_is_re_pointed_for_the_session(tmp_path):
    first = build_run(tmp_path / "first", scores=False)
    n_kept = parquet(first, "kept").height
    moved = tmp_path / "moved"
    shutil.move(first, moved)
    con = duckdb.connect(str(moved / CATALOG), read_only=True)  # as if the folder were not writable
    create_views(con, moved, temp=True)
    assert con.sql("select count(*) from docs").fetchall()[0][0] == n_kept
    assert con.sql("select n_out from funnel() where step = 'kept'").fetchall()[0][0] == n_kept
    assert con.sql("select count(*) from sample_by_reason(1)").fetchall()[0][0] >= 1


def test_an_older_catalog_is_upgraded_when_opened(run):
    con = duckdb.connect(str(run / CATALOG))
    con.execute("drop macro table why")
    con.execute("update catalog_info set version = 0")
    con.close()
    con = curate.open(run)
    assert con.sql("select version from catalog_info").fetchall()[0][0] == CATALOG_VERSION
    assert con.sql("select count(*) from why('no-such-id')").fetchall()[0][0] == 0
    con.close()


def test_rule_table_from_stage_objects_matches_the_rebuilt_one():
    stages = [LengthFilter(min_chars=30), LengthFilter(min_chars=60)]
    from_objects = rule_table({}, [("length", stages[0]), ("length#2", stages[1])])
    config = {"stages": [{"type": "length", "repr": repr(s)} for s in stages]}
    assert from_objects == rule_table(config)
    assert [r["stage"] for r in from_objects] == ["length"] * 3 + ["length#2"] * 3


def test_domains_parses_the_host_of_any_url_shape():
    from curate.catalog import MACROS, _macro_sql

    con = duckdb.connect()
    con.execute("create table all_docs (kept boolean, url varchar)")
    con.execute("""insert into all_docs values
        (true, 'https://www.Example.com/a?b=1'), (false, 'http://user:pw@example.com:8080/x'),
        (true, 'example.com/path/more'), (true, 'ftp://files.example.org#top'), (false, 'http://other.net?q=1'),
        (true, null), (false, '')""")
    con.execute(_macro_sql("domains", MACROS["domains"]))
    assert con.sql("select domain, n_docs, n_kept, n_rejected from domains(10)").fetchall() == [
        ("example.com", 3, 2, 1), ("files.example.org", 1, 1, 0), ("other.net", 1, 0, 1)]
