"""Runs and health: freshness per collector, jobs and next runs, the run ledger, failures by error class, collect now."""

import streamlit as st

from pages.ui import actions, data, measured_sections, tables
from warehouse.analysis import labels

LEDGER_ROWS = 30  # a static table (it wraps, never cut at the right); the CSV has every run

snap = data.snapshot()
tz = tables.viewer_timezone(st.context)
st.title("Runs and health")

ledger = data.runs_ledger(*snap)
running = actions.schedulers()
m1, m2, m3 = st.columns(3)
m1.metric("Runs in the ledger", f"{len(ledger):,}")
m2.metric("Failed or partial runs", f"{ledger['status'].isin(['failed', 'partial']).sum():,}")
m3.metric("Scheduler", f"running on {', '.join(sorted(running))}" if running else "not running",
          help="; ".join(f"{host}: {where}" for host, where in sorted(running.items())) or None)

st.subheader("Freshness per collector")
fresh = data.freshness(*snap)
fresh = fresh.assign(collector=fresh["collector"].map(labels.source), error=fresh["error"].fillna(tables.DASH),
                     finished_at_utc=[tables.local_time(t, tz) for t in fresh["finished_at_utc"]])
st.dataframe(tables.readable(fresh.rename(columns={"finished_at_utc": "finished"})),
             hide_index=True)
st.caption(f"Source: the `runs` view: each collector's newest valid run and its outcome; times "
           f"in {tz or 'UTC'}.")

st.subheader("Jobs and next runs")
try:
    jobs = actions.configured_jobs()
    jobs["next_run"] = [tables.local_time(t, tz) for t in jobs.pop("next_run_utc")]
    jobs["scheduler"] = [running.get(host, "not running") for host in jobs["host"]]
    st.dataframe(tables.readable(jobs), hide_index=True)
except Exception as exc:  # a broken config is shown, not raised: the ledger is still useful
    st.warning(f"Cannot read the jobs from the config: {exc}")

st.subheader("Collect now")
c1, c2 = st.columns([1, 3])
collector = c1.selectbox("Collector", actions.COLLECTORS, format_func=labels.source)
if c2.button(f"Start the {labels.source(collector)} now",
             help="Runs `python -m collectors run` in its own process"):
    started = actions.start_collector(collector)
    st.success(f"Started `python -m collectors run {collector}` as pid {started}; it appears in "
               f"the ledger when it finishes. Log: {actions.collect_log(collector)}")

st.subheader("Run ledger")
st.table(tables.ledger_table(ledger.head(LEDGER_ROWS), tz), hide_index=True)
shown_runs = (f"the newest {LEDGER_ROWS} of {len(ledger):,} runs (all of them in the CSV)"
              if len(ledger) > LEDGER_ROWS else f"all {len(ledger):,} runs")
st.caption(f"Source: the `runs` view; times in {tz or 'UTC'}; {shown_runs}. Host while measuring: *busy* when "
           "other processes used a quarter of the cores or more, the hypervisor took 10% of the "
           "CPU, or another GapWatch run was in flight; such runs are left out of speed trends. "
           "Invalidated runs stay listed (valid: no) and are left out of every other view.")
st.download_button("Run ledger (CSV)", ledger.to_csv(index=False), "runs.csv")

measured_sections.compare_runs(snap)

st.subheader("Failures by error class")
fails = data.failures(*snap)
if len(fails):
    st.dataframe(tables.readable(fails.assign(collector=fails["collector"].map(labels.source))),
                 hide_index=True)
    st.download_button("Failures (CSV)", fails.to_csv(index=False), "failures.csv")
else:
    st.info("No failed requests or items recorded.")
