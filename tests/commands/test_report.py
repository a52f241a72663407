"""``curate report``: a self-contained HTML page whose every plot is drawn by a real browser."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from curate.cli import app
from curate.report import _samples_html, signal_columns, write_report
from tests.test_catalog import build_run

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
    "--virtual-time-budget=15000",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    run = build_run(tmp_path_factory.mktemp("report") / "run")
    result = CliRunner().invoke(app, ["report", str(run)])
    assert result.exit_code == 0, result.output
    return run / "report.html"


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("headless Chromium is not installed (Debian package `chromium`; scripts/ci_setup.sh installs it)")
    return exe


def _browser(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    cmd = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=True)


def test_report_is_self_contained(report):
    page = report.read_text(encoding="utf-8")
    assert len(page) > 1_000_000  # plotly.js is inlined
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)
    assert "Plotly.newPlot" in page


def test_report_has_every_section(report):
    page = report.read_text(encoding="utf-8")
    for heading in ("Funnel", "Signals", "Languages", "Domains", "int_score", "Samples per score band",
                    "Samples per rejection reason"):
        assert f"<h2>{heading}</h2>" in page
    for rule in ("empty_doc", "too_short", "too_long", "low_score"):
        assert rule in page
    assert "too_short: keep \\u003e= 200" in page  # the threshold's annotation, JSON-escaped
    # funnel + a histogram per numeric signal + languages + domains + int_score
    n_plots = int(re.search(r'data-plots="(\d+)"', page).group(1))
    assert n_plots == len(re.findall(r'<div id="plot-\d+"', page))
    assert n_plots >= 4


def test_plot_count_matches_the_signals(report):
    import curate

    con = curate.open(report.parent)
    signals = signal_columns(con)
    con.close()
    assert set(signals) >= {"n_chars", "n_words", "n_lines", "n_chars_stripped"}
    page = report.read_text(encoding="utf-8")
    assert int(re.search(r'data-plots="(\d+)"', page).group(1)) == 1 + len(signals) + 3


def test_sample_text_is_escaped():
    html = _samples_html("t", {"g": [{"id": "x", "text_start": "<script>alert(1)</script> & more"}]}, ["id"])
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html


def test_report_of_a_run_without_optional_signals(tmp_path):
    run = build_run(tmp_path / "plain", scores=False)
    page = write_report(run).read_text(encoding="utf-8")
    assert "Not shown: the run has no language column." in page
    assert "Not shown: the run has no int_score column." in page


def test_every_plot_is_drawn_in_headless_chromium(report, tmp_path):
    from lxml import html as lhtml

    dom = _browser(["--dump-dom", report.as_uri()], tmp_path).stdout
    tree = lhtml.fromstring(dom)
    expected = int(tree.body.get("data-plots"))
    plots = tree.xpath('//div[starts-with(@id, "plot-")]')
    assert len(plots) == expected > 0
    for plot in plots:
        assert "js-plotly-plot" in plot.get("class", ""), f"{plot.get('id')} was not drawn by plotly.js"
        assert plot.xpath('.//svg[contains(@class, "main-svg")]'), f"{plot.get('id')} has no SVG"
        marks = [p for p in plot.xpath('.//g[contains(@class, "point")]/path') if len(p.get("d", "")) > 4]
        assert marks, f"{plot.get('id')} has no bars drawn"


def test_screenshot(report, tmp_path):
    shot = tmp_path / "report.png"
    _browser(["--window-size=1200,3000", f"--screenshot={shot}", report.as_uri()], tmp_path)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
