"""Summaries of a run computed in SQL: the funnel ``curate inspect`` prints and ``report.html``.

Every aggregate is a DuckDB query over the run's Parquet (histogram bins, top domains, samples), so
a report over millions of documents reads a few columns and never loads the corpus into Python.
Charts are Plotly figures; ``plotly.js`` is inlined once, so the page opens offline with no server.
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path

import duckdb

REPORT = "report.html"

#: Bins of a signal histogram.
BINS = 40
#: Bars in the language and domain charts.
TOP_N = 20
#: Sample documents shown per score band and per rejection reason.
SAMPLES = 3
KEPT, DROPPED, OTHER = "#2a9d8f", "#e76f51", "#b8b8b8"
#: Columns that are never plotted as signals.
_NOT_SIGNALS = {"int_score"}
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
            "UBIGINT", "FLOAT", "DOUBLE", "REAL")


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
        "select stage, rule, n_in, n_dropped, n_out from stage_stats order by position, rule_no"
    ).fetchall()
    for stage, rule, n_in, n_dropped, n_out in stats:
        rows.append({"step": stage, "rule": rule, "in": n_in, "dropped": n_dropped, "out": n_out})
    rows.append({"step": "kept", "rule": None, "in": run["n_kept"], "dropped": 0, "out": run["n_kept"]})
    return rows, run


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def signal_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Numeric columns of ``all_docs`` (the run's signals), in schema order."""
    cols = con.sql("describe all_docs").pl()
    return [
        name for name, typ in zip(cols["column_name"], cols["column_type"], strict=True)
        if typ.upper().startswith(_NUMERIC) or typ.upper().startswith("DECIMAL")
        if name not in _NOT_SIGNALS
    ]


def has_column(con: duckdb.DuckDBPyConnection, column: str) -> bool:
    """Whether ``all_docs`` has ``column``."""
    return column in con.sql("describe all_docs").pl()["column_name"].to_list()


def histogram(con: duckdb.DuckDBPyConnection, column: str, thresholds: list[float] = (),
              bins: int = BINS) -> dict | None:
    """Bins of ``column`` for kept docs, docs dropped by a rule on it, and docs dropped by another rule.

    Heavy-tailed non-negative signals get log10(x+1) bins; otherwise the range is the 0.5-99.5th
    percentiles widened to the thresholds, with outliers counted in the edge bins.
    """
    col = _ident(column)
    finite = f"from all_docs where isfinite({col}::double)"
    lo, hi, n, qs = con.sql(
        f"select min({col})::double, max({col})::double, count({col}), "
        f"approx_quantile({col}::double, [0.005, 0.5, 0.995]) {finite}"
    ).fetchall()[0]
    q_lo, p50, q_hi = qs or (lo, None, hi)
    if not n or lo is None:
        return None
    log = lo >= 0 and hi > 1000 and hi > 50 * max(p50 or 0, 1)
    inside = [t for t in thresholds if lo <= t <= hi]
    if log:
        r_lo, r_hi = math.log10(lo + 1), math.log10(hi + 1)
        value = f"log10({col}::double + 1)"
    else:
        r_lo, r_hi = min([q_lo, *inside]), max([q_hi, *inside])
        if r_hi <= r_lo:
            r_lo, r_hi = lo, hi
        value = f"{col}::double"
    integer = not log and float(r_lo).is_integer() and float(r_hi).is_integer() and r_hi - r_lo < bins
    if integer:
        width, r_lo, bins = 1.0, r_lo - 0.5, int(r_hi - r_lo) + 1
    else:
        width = (r_hi - r_lo) / bins or 1.0
    rows = con.sql(
        f"""select case when d.kept then 0 when t.rule is not null then 1 else 2 end as cat,
                   greatest(least(floor(({value} - {r_lo!r}) / {width!r}), {bins - 1}), 0)::int as b, count(*) as n
            from all_docs d
            left join (select distinct stage, rule from thresholds where column_name = ?) t
              on t.stage = d.stage and t.rule = d.reason
            where {col} is not null and isfinite({col}::double) group by all""",
        params=[column],
    ).fetchall()
    counts = [[0] * bins for _ in range(3)]
    for cat, b, cnt in rows:
        counts[cat][b] += cnt
    clipped = not log and (r_lo > lo or r_hi < hi)
    return {"column": column, "log": log, "centers": [r_lo + (i + 0.5) * width for i in range(bins)],
            "width": width, "kept": counts[0], "by_rule": counts[1], "other": counts[2], "n": n,
            "min": lo, "max": hi, "clipped": clipped}


def _figures_html(figures: list) -> list[str]:
    config = {"displaylogo": False, "responsive": True}
    return [
        fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"plot-{i}", config=config)
        for i, fig in enumerate(figures)
    ]


def _style(fig, title: str, height: int = 360):
    fig.update_layout(title=title, height=height, margin={"l": 60, "r": 30, "t": 60, "b": 50},
                      template="plotly_white", barmode="stack",
                      legend={"orientation": "h", "y": -0.2, "traceorder": "normal"})
    return fig


def _kept_rejected_bars(go, labels: list, kept: list, rejected: list, horizontal: bool = False) -> list:
    def bar(name, values, color):
        if horizontal:
            return go.Bar(name=name, y=labels, x=values, orientation="h", marker_color=color)
        return go.Bar(name=name, x=labels, y=values, marker_color=color)
    return [bar("kept", kept, KEPT), bar("rejected", rejected, DROPPED)]


def _samples_html(title: str, groups: dict[str, list[dict]], fields: list[str]) -> str:
    parts = [f"<h3>{html.escape(title)}</h3>"]
    for group, docs in groups.items():
        parts.append(f"<h4>{html.escape(group)}</h4>")
        for doc in docs:
            meta = " · ".join(
                f"<b>{html.escape(k)}</b> {html.escape(_fmt(doc.get(k)))}" for k in fields if doc.get(k) is not None
            )
            parts.append(
                f'<div class="doc"><div class="meta">{meta}</div>'
                f"<pre>{html.escape(doc.get('text_start') or '')}</pre></div>"
            )
    return "\n".join(parts)


def _fmt(value) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else str(value)


def build_report(con: duckdb.DuckDBPyConnection, title: str = "curate run") -> str:
    """The self-contained HTML report of the run behind ``con``."""
    import plotly.graph_objects as go
    from plotly.offline import get_plotlyjs

    rows, run = funnel(con)
    figures: list = []
    sections: list[tuple[str, str, list[int]]] = []  # (heading, html, figure indexes)

    # funnel
    labels = ["read"] + [f"{r['step']}: {r['rule'] or '(no rule)'}" for r in rows[1:-1]] + ["kept"]
    values = [rows[0]["in"]] + [r["out"] for r in rows[1:-1]] + [rows[-1]["out"]]
    fig = go.Figure(go.Funnel(y=labels, x=values, textinfo="value+percent initial",
                              marker={"color": "#264653"}))
    figures.append(_style(fig, "Funnel: documents remaining after each rule", 120 + 40 * len(labels)))
    n_read = run["n_read"] or 0
    table = ["<table><tr><th>step</th><th>rule</th><th>in</th><th>dropped</th><th>out</th>"
             "<th>share of read</th></tr>"]
    for r in rows:
        share = f"{r['out'] / n_read:.1%}" if n_read else "-"
        table.append(f"<tr><td>{html.escape(r['step'])}</td><td>{html.escape(r['rule'] or '')}</td>"
                     f"<td>{r['in']:,}</td><td>{r['dropped']:,}</td><td>{r['out']:,}</td><td>{share}</td></tr>")
    table.append("</table>")
    sections.append(("Funnel", "\n".join(table), [0]))

    # signal histograms with thresholds
    thresholds = con.sql("select * from thresholds order by stage, rule").pl().to_dicts()
    idx = []
    for column in signal_columns(con):
        h = histogram(con, column, [t["value"] for t in thresholds if t["column_name"] == column])
        if h is None:
            continue
        fig = go.Figure([
            go.Bar(name="kept", x=h["centers"], y=h["kept"], marker_color=KEPT),
            go.Bar(name="dropped by a rule on this signal", x=h["centers"], y=h["by_rule"], marker_color=DROPPED),
            go.Bar(name="dropped by another rule", x=h["centers"], y=h["other"], marker_color=OTHER),
        ])
        fig.update_traces(width=h["width"] * 0.95)
        for t in (t for t in thresholds if t["column_name"] == column):
            x = math.log10(t["value"] + 1) if h["log"] and t["value"] > -1 else t["value"]
            fig.add_vline(x=x, line_dash="dash", line_color="#1d3557",
                          annotation_text=f"{t['rule']}: keep {t['op']} {_fmt(t['value'])}",
                          annotation_position="top")
        if h["log"]:
            powers = range(0, int(math.log10(h["max"] + 1)) + 1)
            fig.update_xaxes(title=f"{column} (log scale)", tickvals=[0] + [math.log10(10**k + 1) for k in powers],
                             ticktext=["0"] + [f"{10**k:,}" for k in powers])
        else:
            fig.update_xaxes(title=column)
        fig.update_yaxes(title="documents")
        idx.append(len(figures))
        note = "; outliers counted in the edge bins" if h["clipped"] else ""
        figures.append(_style(fig, f"{column} (n={h['n']:,}, min {_fmt(h['min'])}, max {_fmt(h['max'])}{note})"))
    sections.append(("Signals", "<p>Every numeric signal of the documents that reached its stage: kept, "
                     "dropped by a rule on that signal, dropped by another rule. Dashed lines are the thresholds "
                     "of the run's rules.</p>" if idx else "<p>No numeric signal columns.</p>", idx))

    # languages and domains
    for name, macro, column in (("Languages", "languages", "language"), ("Domains", "domains", "url")):
        df = con.sql(f"select * from {macro}({TOP_N})").pl()
        key = df.columns[0]
        if df.height:
            fig = go.Figure(_kept_rejected_bars(go, df[key].to_list()[::-1], df["n_kept"].to_list()[::-1],
                                                df["n_rejected"].to_list()[::-1], horizontal=True))
            fig.update_xaxes(title="documents")
            sections.append((name, "", [len(figures)]))
            figures.append(_style(fig, f"Top {df.height} {key}s, kept vs rejected", 140 + 22 * df.height))
        else:
            why = f"the run has no {column} column" if not has_column(con, column) else f"no document has a {column}"
            sections.append((name, f"<p class='note'>Not shown: {why}.</p>", []))

    # int_score
    if has_column(con, "int_score"):
        df = con.sql("select int_score, count(*) filter (where kept) as k, count(*) filter (where not kept) as r "
                     "from all_docs where int_score is not null group by 1 order by 1").pl()
        fig = go.Figure(_kept_rejected_bars(go, df["int_score"].to_list(), df["k"].to_list(), df["r"].to_list()))
        fig.update_xaxes(title="int_score", dtick=1)
        fig.update_yaxes(title="documents")
        sections.append(("int_score", "", [len(figures)]))
        figures.append(_style(fig, "int_score distribution"))
        samples = con.sql(f"select * from sample_by_score({SAMPLES})").pl().to_dicts()
        groups: dict[str, list[dict]] = {}
        for s in samples:
            groups.setdefault(f"int_score = {s['int_score']}", []).append(s)
        sections.append(("Samples per score band", _samples_html(
            "", groups, ["id", "url", "kept", "stage", "reason"]), []))
    else:
        sections.append(("int_score", "<p class='note'>Not shown: the run has no int_score column.</p>", []))

    # samples per rejection reason, with the values of the rule's columns
    samples = con.sql(f"select * from sample_by_reason({SAMPLES})").pl().to_dicts()
    groups = {}
    for s in samples:
        groups.setdefault(f"{s['stage']} / {s['reason']}", []).append(s)
    rule_cols: dict[tuple, list[str]] = {}
    for t in thresholds:
        rule_cols.setdefault((t["stage"], t["rule"]), []).append(t["column_name"])
    fields = ["id", "url"]
    for s in samples:
        cols = sorted(set(rule_cols.get((s["stage"], s["reason"]), [])))
        if cols:
            sel = ", ".join(_ident(c) for c in cols)
            vals = con.execute(f"select {sel} from rejected where id = ? limit 1", [s["id"]]).fetchall()
            if vals:
                s.update(dict(zip(cols, vals[0], strict=True)))
                fields += [c for c in cols if c not in fields]
    sections.append(("Samples per rejection reason",
                     _samples_html("", groups, fields) if groups else "<p>No rejected documents.</p>", []))

    return _page(title, run, sections, _figures_html(figures), get_plotlyjs())


def _page(title: str, run: dict, sections, figs: list[str], plotlyjs: str) -> str:
    config = json.dumps(json.loads(run["config"]) if isinstance(run["config"], str) else run["config"], indent=2)
    summary = (f"run <b>{html.escape(str(run['run_id']))}</b> of pipeline <b>{html.escape(str(run['pipeline']))}</b>"
               f" ({html.escape(str(run['status']))}): read {run['n_read']:,} = kept {run['n_kept']:,} + "
               f"rejected {run['n_rejected']:,} + unreadable {run['n_unreadable']:,} in {run['seconds']:.1f}s")
    body, toc = [], []
    for heading, text, fig_idx in sections:
        anchor = re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")
        toc.append(f'<a href="#{anchor}">{html.escape(heading)}</a>')
        body.append(f'<section id="{anchor}"><h2>{html.escape(heading)}</h2>{text}')
        body.extend(f'<div class="fig">{figs[i]}</div>' for i in fig_idx)
        body.append("</section>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 3px 8px; text-align: right; }}
td:nth-child(-n+2), th:nth-child(-n+2) {{ text-align: left; }}
.doc {{ border-left: 4px solid #e9c46a; margin: 0.6em 0; padding: 0.3em 0.8em; background: #fafafa; }}
.doc pre {{ white-space: pre-wrap; word-break: break-word; max-height: 12em; overflow: auto; margin: 0.3em 0; }}
.meta {{ font-size: 0.85em; color: #555; }} .note {{ color: #777; }}
details pre {{ font-size: 0.8em; }}
</style>
<script type="text/javascript">{plotlyjs}</script>
</head>
<body data-plots="{len(figs)}">
<h1>{html.escape(title)}</h1>
<p>{summary}</p>
<nav>{" · ".join(toc)}</nav>
<details><summary>configuration</summary><pre>{html.escape(config)}</pre></details>
{chr(10).join(body)}
</body></html>
"""


def write_report(run_dir: str | Path, output: str | Path | None = None) -> Path:
    """Write ``run_dir/report.html`` (or ``output``) and return its path."""
    from curate.catalog import connect

    run_dir = Path(run_dir)
    con = connect(run_dir, read_only=True)
    try:
        page = build_report(con, title=f"curate report: {run_dir.resolve().name}")
    finally:
        con.close()
    out = Path(output) if output else run_dir / REPORT
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return out
