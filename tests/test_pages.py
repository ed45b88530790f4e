"""Every page, run headless with AppTest on the public history, shows content from real rows
(the Overview's board: tests/test_overview_page.py)."""

import math
from pathlib import Path

import pandas as pd
import pytest
from helpers import figure_specs, plotly_values
from streamlit.testing.v1 import AppTest

from warehouse.analysis import labels
from warehouse.contract import board_queries
from warehouse.storage import db

DASHBOARD = str(Path(__file__).resolve().parent.parent / "dashboard.py")


@pytest.fixture
def app(db_copy, monkeypatch):
    monkeypatch.setenv("GAPWATCH_DB", str(db_copy))
    at = AppTest.from_file(DASHBOARD, default_timeout=120).run()
    assert not at.exception
    return at


def open_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def traces(at: AppTest) -> list[list[dict]]:
    return [spec["data"] for spec in figure_specs(at)]


def metric(at: AppTest, label: str):
    return next(m for m in at.metric if m.label == label)


def one(db_copy, sql: str):
    with db.reading(db_copy) as con:
        return con.execute(sql).fetchone()


def shown_number(text: str) -> float:
    """A number as a page shows it (`1,234.5`, `−0.08`) back to a float."""
    return float(text.replace(",", "").replace("−", "-"))




# --- Gaps ----------------------------------------------------------------------------------

def test_gaps_page_draws_the_eci_series_with_its_trend_and_lag(app, db_copy):
    at = open_page(app, "pages/gaps.py")
    verdict, slope, n, low, high = one(db_copy, """SELECT verdict, slope_per_year, n_points,
                                       ci_low, ci_high FROM gap_verdicts
                                       WHERE series_id = 'epoch:eci' AND gap_kind = 'frontier_a_minus_b'
                                       AND period = 'last 12 months'""")
    assert at.selectbox(key="gap_period").value == "last 12 months"  # the board's headline
    assert metric(at, "Verdict").value == verdict
    # rounded to what its interval supports: two significant figures of the half-width
    assert metric(at, "Trend per year").value == labels.number(slope, labels.decimals_for(low, high),
                                                               signed=True)
    first, last = one(db_copy, """SELECT arg_min(value, bucket_start), arg_max(value, bucket_start)
                                  FROM gap_series s JOIN gap_verdicts v USING (series_id, gap_kind)
                                  WHERE series_id = 'epoch:eci' AND gap_kind = 'frontier_a_minus_b'
                                  AND v.period = 'last 12 months'
                                  AND s.bucket_start BETWEEN v.period_start AND v.period_end""")
    assert (metric(at, "Gap at start").value, metric(at, "Gap now").value) == (
        f"{first:.1f}", f"{last:.1f}")  # three significant figures of the larger, 10.2
    p = one(db_copy, """SELECT p_adjusted FROM gap_verdicts WHERE series_id = 'epoch:eci'
                        AND gap_kind = 'frontier_a_minus_b' AND period = 'last 12 months'""")[0]
    assert any(f"adjusted p = {labels.p_value(p)}." in c.value for c in at.caption)
    series, over_time, lag = traces(at)
    assert [t["name"] for t in series][:1] == ["gap"]
    assert len(plotly_values(series[0]["y"])) == n == 13
    # the lag over time, drawn for its headline period with its verdict beside it
    lag_verdict, lag_n = one(db_copy, """SELECT verdict, n_points FROM gap_verdicts WHERE
                                         series_id = 'epoch:eci' AND gap_kind = 'lag_months'
                                         AND period = 'last 12 months'""")
    assert len(plotly_values(over_time[0]["y"])) == lag_n
    assert any(f"is the gap widening in months?** {lag_verdict}" in m.value for m in at.markdown)
    level = one(db_copy, """SELECT lag_months, top_months_at_least FROM lags WHERE
                            series_id = 'epoch:eci' AND measure = 'level-averaged'""")
    assert metric(at, "open weights behind closed weights, months").value == f"{level[0]:,.1f}"
    assert metric(at, "At the top, at least (months)").value == f"{level[1]:,.1f}"
    at.selectbox(key="gap_period").select("whole history").run()
    whole, n = one(db_copy, """SELECT verdict, n_points FROM gap_verdicts WHERE series_id = 'epoch:eci'
                               AND gap_kind = 'frontier_a_minus_b' AND period = 'whole history'""")
    assert metric(at, "Verdict").value == whole
    series, _, lag = traces(at)
    assert len(plotly_values(series[0]["y"])) == n
    months = one(db_copy, """SELECT lag_months FROM lags WHERE is_summary AND series_id = 'epoch:eci'
                             AND leader_group = 'closed' AND follower_group = 'open'
                             AND tolerance_points = 0 AND measure = 'record match'""")[0]
    assert metric(at, "open behind closed (median months)").value == f"{months:,.1f}"
    assert [t["name"] for t in lag] == ["open behind closed", "not matched yet (at least)"]
    assert "GLS slope" in " ".join(c.value for c in at.caption)
    # the lag table is a static table (cells wrap, nothing cut), one row per pair and rule
    pairs = one(db_copy, "SELECT count(*) FROM lags WHERE is_summary AND series_id = 'epoch:eci' "
                         "AND measure = 'record match'")[0]
    lag_table = next(t.value for t in at.table if "Follower" in t.value.columns)
    assert len(lag_table) == pairs
    assert not lag_table["Follower"].str.contains(r",\S").any()  # joint labs: "A, B", not "A,B"


def test_gaps_page_switches_to_arena_and_says_no_lag(app, db_copy):
    at = open_page(app, "pages/gaps.py")
    at.selectbox[0].select("top1_minus_top10").run()
    labels = at.selectbox[1].options
    assert labels == ["Arena text leaderboard: leader vs 10th model"]  # one Arena series, in words
    periods = at.selectbox(key="gap_period").options
    assert periods[0] == "last 12 months" and "segment 2025-02-16 to 2025-07-18" in periods
    at.selectbox(key="gap_period").select("segment 2025-02-16 to 2025-07-18").run()
    assert not at.exception
    verdict = one(db_copy, """SELECT verdict FROM gap_verdicts WHERE series_id = 'arena:text'
                              AND period = 'segment 2025-02-16 to 2025-07-18'""")[0]
    assert metric(at, "Verdict").value == verdict
    assert "No lag is computed" in at.info[-1].value


# --- SQL -----------------------------------------------------------------------------------

def test_sql_page_runs_the_example_and_refuses_a_drop(app, db_copy):
    at = open_page(app, "pages/sql.py")
    n = one(db_copy, "SELECT count(*) FROM gap_verdicts")[0]
    assert metric(at, "Rows").value == f"{n:,}"
    assert len(at.dataframe[-1].value) == n
    at.text_area(key="sql").input("DROP TABLE runs").run()
    at.button[0].click().run()
    assert not at.exception
    assert at.error[0].value.startswith("Refused:") and "DROP statement" in at.error[0].value
    assert one(db_copy, "SELECT count(*) FROM runs")[0] > 0


# --- Capability, Speed, Price and cost, Leaderboard vs fresh, Runs and health ------------------

def test_capability_page_shows_the_best_eci_models_and_the_margin(app, db_copy):
    at = open_page(app, "pages/capability.py")
    n = one(db_copy, "SELECT count(DISTINCT model_id) FROM capability_scores WHERE pack = 'epoch:eci'")[0]
    assert metric(at, "Models scored").value == f"{n:,}"
    scores, margin, dimension_gaps = traces(at)
    assert len(dimension_gaps) >= 1  # the gap series of the overall-capability dimension
    best = one(db_copy, "SELECT arg_max(model_id, value) FROM capability_scores WHERE pack = 'epoch:eci'")[0]
    assert len(scores) == 8 and best in [t["name"] for t in scores]
    assert all(t["text"][-1] == t["name"].split("/", 1)[-1] for t in scores)  # named on the chart
    assert [t["name"] for t in margin] == ["leader's margin"]


def test_speed_page_shows_the_public_2023_snapshot(app, db_copy):
    """No measurements yet: the page says so, and draws the LLMPerf 2023 rows as bars per
    provider, one colour per Llama-2 model (three legend entries, not one per row)."""
    at = open_page(app, "pages/speed.py")
    workload = at.selectbox[0].value
    n, models = one(db_copy, f"SELECT count(*), count(DISTINCT model_id) FROM latency_stats "
                             f"WHERE workload = '{workload}' AND source LIKE 'public:%'")
    (chart,) = traces(at)
    assert sum(len(t["y"]) for t in chart) == n > 0 and len(chart) == models
    assert all(t["type"] == "bar" and t["name"].startswith("meta-llama/llama-2") for t in chart)
    assert any("No measured requests" in i.value for i in at.info)
    assert any("LLMPerf" in m.value and "Llama-2 models only" in m.value for m in at.markdown)


def test_price_page_draws_log_scale_price_steps(app, db_copy):
    """Closed and open models by default; a log axis labelled in decades with its unit; each
    line ends on its last listing's last day, and no free (zero) price reaches the log axis."""
    at = open_page(app, "pages/prices.py")
    with db.reading(db_copy) as con:
        kinds = dict(con.execute("SELECT model_id, open_weights FROM models").fetchall())
        ends = dict(con.execute("SELECT model_id, max(coalesce(effective_to, CAST(last_seen_utc AS "
                                "DATE) + 1)) FROM prices WHERE usd_per_mtok_out > 0 AND "
                                "source_name NOT LIKE '%:free' GROUP BY model_id").fetchall())
    picked = at.multiselect[0].value
    assert [kinds[m] for m in picked] == [False] * 3 + [True] * 3
    chart, frontier = traces(at)[:2]  # price steps, the price-capability frontier, ...
    assert {t["name"] for t in chart} == set(picked)
    for t in chart:
        assert pd.Timestamp(t["x"][-1]).date() == ends[t["name"]]
        assert min(plotly_values(t["y"])) > 0
    assert frontier[0]["name"].startswith("models priced on ")
    axis = figure_specs(at)[0]["layout"]["yaxis"]
    assert axis["type"] == "log" and axis["title"]["text"] == "$ per million output tokens"
    assert all(t.startswith("$") for t in axis["ticktext"])
    assert [round(v, 6) for v in axis["tickvals"]] == [round(10.0 ** k, 6) for k in
                                                       range(round(math.log10(axis["tickvals"][0])),
                                                             round(math.log10(axis["tickvals"][-1])) + 1)]
    assert "No capability runs yet" in at.info[0].value


def test_fresh_page_says_there_are_no_runs_yet(app):
    at = open_page(app, "pages/fresh.py")
    assert metric(at, "Models compared").value == "0"
    assert "No capability runs yet" in at.info[0].value


def test_runs_page_lists_the_ledger_and_starts_a_detached_collector(app, db_copy, monkeypatch):
    started = []

    class FakePopen:
        def __init__(self, args, **kwargs):
            started.append((args, kwargs))
            self.pid = 4242

    monkeypatch.setattr("subprocess.Popen", FakePopen)
    at = open_page(app, "pages/runs.py")
    n = one(db_copy, "SELECT count(*) FROM runs")[0]
    assert metric(at, "Runs in the ledger").value == f"{n:,}"
    # a static table (cells wrap, nothing cut at 1280 px), the newest 30 runs
    ledger = next(t.value for t in at.table if "Run" in t.value.columns)
    assert len(ledger) == min(n, 30)
    assert not any("_" in c for c in ledger.columns)  # headers in words, not the view's names
    assert "import: LMArena rating history" in set(ledger["Run"])
    names_only = ledger.set_index("Run").loc["import: Epoch AI notable models", "Rows"]
    assert names_only == "0 (model names, labs and release dates only)"  # not a bare "0, ok"
    at.selectbox[0].select("prices").run()
    next(b for b in at.button if b.label.startswith("Start")).click().run()
    assert not at.exception
    (args, kwargs), = started
    assert args[1:] == ["-m", "collectors", "run", "prices"] and kwargs["start_new_session"]
    assert "pid 4242" in at.success[0].value


def test_runs_page_shows_each_collectors_newest_run(app, db_copy):
    """Freshness per collector (on Overview until issue 18's cold load moved it here)."""
    at = open_page(app, "pages/runs.py")
    fresh = next(d.value for d in at.dataframe if "Collector" in d.value.columns
                 and "Finished" in d.value.columns)
    collectors = one(db_copy, "SELECT list(DISTINCT collector) FROM runs WHERE valid")[0]
    assert sorted(fresh["Collector"]) == sorted(labels.source(c) for c in collectors)
    assert fresh["Finished"].str.match(r"^20\d\d-\d\d-\d\d \d\d:\d\d$").all()


def test_gaps_page_lists_every_gap_series_by_source(app, db_copy):
    """Every series behind the board, with its verdicts, in words (moved from Overview)."""
    at = open_page(app, "pages/gaps.py")
    expected = {source: len(board_queries.gap_overview(source, db_copy))
                for source in ("both", "public", "measured")}
    assert expected["both"] == expected["public"] + expected["measured"] and expected["public"] >= 10

    def shown():
        return next(d.value for d in at.dataframe if "Gap kind" in d.value.columns)
    assert not any("Gap kind" in d.value.columns for d in at.dataframe)  # drawn on request
    at.toggle(key="all_series").set_value(True).run()
    assert len(shown()) == expected["both"]
    assert "Epoch Capabilities Index" in set(shown()["Series"])
    for source in ("public", "measured"):
        at.segmented_control(key="series_source").set_value(source).run()
        assert len(shown()) == expected[source]


def test_the_overview_reads_its_frames_over_one_connection(db_copy, monkeypatch):
    """Opening the published file costs ~14 ms; Overview's cold view opened it six times for
    frames that `data.overview` now reads over one. The frames are the ones the single
    queries give."""
    from pages.ui import data
    from warehouse.contract import queries as q

    opened = []
    real = q.db.reading
    monkeypatch.setattr(q.db, "reading", lambda *a: opened.append(a) or real(*a))
    frames = data.overview.__wrapped__(str(db_copy), 0)
    assert len(opened) == 1
    pd.testing.assert_frame_equal(frames["method_changes"], q.method_changes(str(db_copy)))
    eci = q.gap_series("frontier_a_minus_b", str(db_copy))
    pd.testing.assert_frame_equal(frames["eci"], eci[eci["series_id"] == "epoch:eci"])
    assert len(opened) == 3  # outside the block, each read opens its own again


def test_the_database_check_runs_once_per_snapshot_not_on_every_rerun(db_copy, monkeypatch):
    """dashboard.py calls database_ready() on every rerun; on a lake the check attaches the
    catalog (~0.4 s), so it must run again only when a new snapshot arrives."""
    from pages.ui import data
    from warehouse import bootstrap

    calls = []
    real = bootstrap.ensure_ready
    monkeypatch.setattr(bootstrap, "ensure_ready", lambda *a: calls.append(1) or real(*a))
    monkeypatch.setenv("GAPWATCH_DB", str(db_copy))
    assert data.database_ready() and data.database_ready() and len(calls) == 1
    with db.writing(db_copy) as con:  # a collector publishes a new snapshot
        con.execute("INSERT INTO model_alias VALUES ('acme/x', 'config', 'acme/x')")
    assert data.database_ready() and len(calls) == 2


# --- Layout --------------------------------------------------------------------------------

def test_every_page_script_is_registered_once_and_helpers_sit_in_pages_ui():
    """Streamlit's older pages-folder mode (a fresh server, before dashboard.py's first
    st.navigation) turns every top-level pages/*.py but __init__.py into a page of its own: so
    only page scripts sit there, each one line of dashboard.py's PAGES, and every helper lives
    in pages/ui/."""
    from bench.pages import registered_pages

    root = Path(DASHBOARD).parent
    scripts = sorted(str(p.relative_to(root)) for p in (root / "pages").glob("*.py")
                     if p.name != "__init__.py")
    registered = [page["script"] for page in registered_pages()]
    assert sorted(registered) == scripts and len(set(registered)) == len(registered)


def test_the_gap_chart_marks_its_own_fitted_steps_not_another_pairs(app, db_copy):
    """Fitted steps are stored under their series id only; the ECI closed-vs-open chart drew the
    organisations' lag resets (Mistral AI, xAI) as if its own gap had stepped."""
    from pages.ui.charts import gaps as gap_charts

    others = one(db_copy, "SELECT count(*) FROM method_changes WHERE kind = 'level shift' AND "
                          "scope = 'epoch:eci' AND label NOT LIKE '%closed weights vs open weights%'")[0]
    assert others >= 2  # the lag resets the chart must leave out
    at = open_page(app, "pages/gaps.py")
    notes = [a.get("text", "").replace("<br>", " ") for a in figure_specs(at)[0]["layout"].get("annotations", [])]
    assert not [n for n in notes if "fitted step" in n and "closed weights vs open weights" not in n], notes
    with db.reading(db_copy) as con:
        changes = con.execute("SELECT * FROM method_changes").df()
        mistral = con.execute("SELECT * FROM gap_verdicts WHERE series_id = 'epoch:eci' AND "
                              "gap_kind = 'lag_months' AND group_b = 'Mistral AI'").df()
    kept = gap_charts.own_steps_only(changes, mistral)
    steps = kept[kept["kind"] == "level shift"]
    assert len(steps) == 1 and "Mistral AI" in steps["label"].iloc[0]  # its own reset, shown
    assert len(kept[kept["kind"] != "level shift"]) == len(changes[changes["kind"] != "level shift"])
