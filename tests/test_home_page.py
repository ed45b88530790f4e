"""The Overview page, run headless with AppTest, shows numbers that come from real rows."""

from pathlib import Path

import pytest
from helpers import figure_specs, plotly_values
from streamlit.proto.Metric_pb2 import Metric
from streamlit.testing.v1 import AppTest

from warehouse.storage import db
from core.paths import warehouse_paths


DASHBOARD = str(Path(__file__).resolve().parent.parent / "dashboard.py")


def run_dashboard(timeout=120) -> AppTest:
    return AppTest.from_file(DASHBOARD, default_timeout=timeout).run()


def traces(at: AppTest) -> list[list[dict]]:
    return [spec["data"] for spec in figure_specs(at)]


def metric(at: AppTest, label: str):
    return next(m for m in at.metric if m.label == label)


@pytest.mark.slow  # imports the whole public history from a blank file, as the session's built_db does
def test_first_open_builds_the_database_and_shows_real_gaps(gapwatch_env):
    assert not gapwatch_env.exists()
    at = run_dashboard()
    assert not at.exception
    assert gapwatch_env.exists()
    with db.reading(gapwatch_env) as con:
        n_models = con.execute("SELECT count(DISTINCT model_id) FROM capability_scores").fetchone()[0]
        latest_gap = con.execute("""SELECT value FROM gap_series WHERE series_id = 'epoch:eci'
                                    ORDER BY bucket_start DESC LIMIT 1""").fetchone()[0]
    assert metric(at, "Models with scores").value == f"{n_models:,}"
    assert metric(at, "ECI gap, closed − open").value == f"{latest_gap:.1f}"
    assert metric(at, "Years of history").value == "2019–2026"


def test_the_headline_change_wears_its_verdict(db_copy, monkeypatch):
    """The ECI gap's change over 12 months is shown with the board's verdict for that period, and
    coloured (red = widening) only when that verdict says the gap moved."""
    monkeypatch.setenv("GAPWATCH_DB", str(db_copy))
    at = run_dashboard()
    with db.reading(db_copy) as con:
        verdict = con.execute("""SELECT verdict FROM gap_verdicts WHERE series_id = 'epoch:eci'
                                 AND gap_kind = 'frontier_a_minus_b'
                                 AND period = 'last 12 months'""").fetchone()[0]
    headline = metric(at, "ECI gap, closed − open")
    assert headline.delta.endswith(" in 12 months") and headline.proto.delta_description == verdict
    colour = Metric.MetricColor.Name(headline.proto.color)
    assert colour == {"widening": "RED", "narrowing": "GREEN"}.get(verdict, "GRAY"), headline.proto


def test_charts_have_traces_from_the_public_history(db_copy, monkeypatch):
    monkeypatch.setenv("GAPWATCH_DB", str(db_copy))
    at = run_dashboard()
    arena, eci = traces(at)
    assert sum(len(t["x"]) for t in arena) > 150
    assert any("displayed rating" in t["name"] for t in arena)
    assert [t["name"] for t in eci] == ["closed frontier", "open frontier", "gap (closed − open)"]
    assert max(plotly_values(eci[0]["y"])) > 150  # the best closed model's ECI is above 150 by 2026
    captions = " ".join(c.value for c in at.caption)
    assert "Epoch AI" in captions and "LMArena" in captions


def test_page_does_not_write_when_the_file_is_current(db_copy, monkeypatch):
    monkeypatch.setenv("GAPWATCH_DB", str(db_copy))
    master = warehouse_paths(db_copy).master
    before = (master.stat().st_mtime_ns, db_copy.stat().st_mtime_ns)
    assert not run_dashboard().exception
    assert (master.stat().st_mtime_ns, db_copy.stat().st_mtime_ns) == before


def test_unreadable_database_is_one_message_not_a_traceback(tmp_path, monkeypatch):
    bad = tmp_path / "gapwatch.duckdb"
    bad.write_text("not a database")
    monkeypatch.setenv("GAPWATCH_DB", str(bad))
    at = run_dashboard()
    assert not at.exception
    assert "not a DuckDB database file" in at.error[0].value
    assert bad.read_text() == "not a database"


def test_each_board_row_says_how_recent_its_source_is(db_copy, monkeypatch):
    """Before any refresh every public source is the shipped history, older than it publishes:
    each public row says so, and a line under the board names the stale sources."""
    from helpers import verdict_board

    monkeypatch.setenv("GAPWATCH_DB", str(db_copy))
    at = run_dashboard()
    board = verdict_board(at).set_index("Dimension")["Data (how recent)"]
    assert board["human preference (Arena)"] == "Arena ratings to 2025-08-04, shipped with GapWatch; stale"
    assert board["overall capability"] == ("Epoch Capabilities Index to 2026-03-05, shipped with "
                                           "GapWatch; stale")
    assert board["speed"] == "—"
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Stale, older than their sources publish: Arena ratings (to 2025-08-04)")
               and c.endswith("`python -m collectors run public`.") for c in captions), captions
