"""Overview: the verdict board (is each gap widening?), freshness, and two real gaps over time."""

import streamlit as st

from pages.ui import board as board_ui
from pages.ui import data, drift_sections, figure, freshness, measured_sections, tables
from pages.ui.charts import gaps as gap_charts
from warehouse.analysis import labels
from warehouse.contract import board_queries

SOURCES = {
    "arena": "Source: LMArena / Chatbot Arena text leaderboard ratings (nakasyou/lmarena-history, "
             "MIT; fboulnois/llm-leaderboard-csv, MPL-2.0; refreshed from LMArena's leaderboard "
             "dataset, CC BY 4.0). The gap is computed within each "
             "snapshot, the 10th among the distinct models that snapshot lists; packs that carry "
             "the same ratings are joined into one series; colours mark the pack; dotted lines "
             "mark where the series breaks (a new rating method or listing, `method_changes`), "
             "and no verdict spans a break.",
    "eci": "Source: Epoch AI, Epoch Capabilities Index (CC BY 4.0), by release date; open = "
           "downloadable weights. A group's frontier is its best model released by that month.",
    "board": "Source: the `gap_verdicts` and `gap_series` views (Arena, Epoch AI ECI, OpenRouter "
             "prices, and your own measurements). Verdict: the last 12 months of the series "
             "(never across a recorded break: a new rating method, listing, pack version or machine; "
             "a step with no recorded cause is fitted with the trend, its noise model from the "
             "whole stretch); *Then* and *Now* are that period's first and last points. *Months "
             "behind*: how many months ago the closed frontier passed the best open model, "
             "month by month. Whole history: "
             "the whole series, or its latest segment when it has breaks, its slope in the same "
             "unit as the trend. Trend: slope per year "
             "with its 95% interval (one point per month, AR(1) errors); widening/narrowing need "
             "Benjamini–Hochberg adjusted evidence, a change of at least the unit's minimum effect "
             "(e.g. 3 ECI points, 20 Arena points) and the gap to have moved that way; stable: "
             "the change's 90% interval lies within that effect. Fewer than 8 months with data: "
             "`not enough data`.",
}

snap = data.snapshot()
tz = tables.viewer_timezone(st.context)
st.title("GapWatch: are the gaps between LLMs widening?")
st.caption("Public history now; your own scheduled measurements join it as they arrive.")

st.subheader("Verdict board: is each gap widening?")
source = st.segmented_control("Source", list(tables.SOURCE_CHOICES), default="both",
                              format_func=tables.SOURCE_CHOICES.get, key="board_source") or "both"
rows = data.verdict_board(source, *snap)
frames = data.overview(*snap)
sources = frames["sources"]
extra = {freshness.COLUMN: freshness.board_column(rows, sources)}  # how recent each source is
board = tables.board_table(rows)
board.insert(len(board.columns) - 1, freshness.COLUMN, extra[freshness.COLUMN])
# A static table, not st.dataframe: its cells wrap at any width, and Overview's first load skips
# the data grid's code. One short line per dimension (pages/ui/board.py); the rest on demand.
st.table(board_ui.compact(rows, extra), hide_index=True)
st.caption(board_ui.unit_legend(rows))
if stale := freshness.stale_note(sources):
    st.caption(stale)
if source == "measured":
    st.caption("Verdicts over time need 8 months of your runs; what they say today is under "
               "*My measurements* below.")
if (board["Dimension"].eq("speed") & board["Verdict"].eq(board_queries.NOT_ENOUGH)).any():
    # Inline code, not st.code: the code block's syntax highlighter cost Overview's first load
    # 0.3 s of the browser's main thread (Chrome CPU profile).
    if len(data.latency_samples(*snap)):
        st.caption("Speed: your latency runs so far are under *My measurements*; a speed trend "
                   "needs open- and closed-weights models measured over 8 months.")
    else:
        st.caption(f"Speed: {board_queries.SPEED_GAP_NOTE}. Your own runs: `{board_queries.MEASURE_SPEED}`")
with st.expander("Each row in full: the series, whole history, periods and how verdicts are made"):
    st.table(board.drop(columns="Unit"), hide_index=True)  # the unit is in the trend
    st.caption(SOURCES["board"])
    st.download_button("Verdict board (CSV)", board.to_csv(index=False), "verdict_board.csv")

measured_sections.my_measurements(snap)
drift_sections.overview(snap, tz)  # one row per model: still the one measured?

cov, eci, arena = frames["coverage"].iloc[0], frames["eci"], frames["arena"]

c1, c2, c3, c4 = st.columns([1, 1.2, 1, 1.8])  # room for the ECI change and its verdict
c1.metric("Models with scores", f"{cov.n_models:,}")
c2.metric("Years of history", f"{cov.first_utc:%Y}–{cov.last_utc:%Y}",
          help=f"{cov.first_utc:%Y-%m} to {cov.last_utc:%Y-%m}")
c3.metric("Arena snapshots", f"{cov.n_arena_snapshots:,}")
if len(eci) > 12:
    now, year_ago = eci.iloc[-1], eci.iloc[-13]
    eci_verdicts = frames["gap_verdicts"].query("series_id == 'epoch:eci' and gap_kind == "
                                                  "'frontier_a_minus_b'").set_index("period")
    recent = eci_verdicts["verdict"].get("last 12 months", "not enough data")
    # The change is coloured only when the verdict says the gap moved: a red "+5" beside a board
    # that says "no clear change" would be a headline the data does not support.
    c4.metric("ECI gap, closed − open", f"{now.value:.1f}",
              delta=f"{now.value - year_ago.value:+.1f} in 12 months", delta_description=recent,
              delta_color="inverse" if recent in ("widening", "narrowing") else "off",
              help=f"Last 12 months ({year_ago.bucket_start:%Y-%m} → {now.bucket_start:%Y-%m}): "
                   f"{recent}; whole history: {eci_verdicts['verdict'].get('whole history', '—')}.")

last = frames["last_run"]
f1, f2, f3 = st.columns(3)
if len(last):
    run = last.iloc[0]
    f1.metric("Last collection", f"{run.status}", help=f"{labels.source(run.collector)}: {run.error or 'no error'}")
    f2.metric("Last collection finished", tables.local_time(run.finished_at_utc, tz))
    f3.metric("Newest data", tables.local_time(cov.last_utc, tz, "%Y-%m-%d"))
    st.caption(f"Last run: {labels.source(run.collector)}, {tables.age_text(run.finished_at_utc)}; "
               f"times in {tz or 'UTC'}. Every collector's newest run: *Runs and health*.")
else:
    f1.metric("Last collection", "none yet")

st.subheader("Leader vs 10th model on Arena")
# One series (`arena:text`) chained from packs; drawn per pack, marked where it breaks.
figure.show(gap_charts.mark_method_changes(gap_charts.arena_top_gap_figure(arena),
                                       frames["method_changes"], set(arena["series_id"]),
                                       arena["bucket_start"]))
st.caption(f'{SOURCES["arena"]} {freshness.caption(frames["sources"], "arena")}')
st.download_button("Arena gap data (CSV)", arena.to_csv(index=False), "arena_top_gap.csv")

st.subheader("Closed vs open weights on the Epoch Capabilities Index")
figure.show(gap_charts.frontier_gap_figure(eci))
st.caption(f'{SOURCES["eci"]} {freshness.caption(frames["sources"], "epoch_eci")}')
st.download_button("ECI gap data (CSV)", eci.to_csv(index=False), "eci_open_closed_gap.csv")

with st.expander("Data freshness per collector"):
    fresh = data.freshness(*snap)  # a static table: no data-grid code on Overview's first load
    st.table(tables.readable(fresh.assign(collector=fresh["collector"].map(labels.source),
                                          error=fresh["error"].fillna(tables.DASH))),
             hide_index=True)
