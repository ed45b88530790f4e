"""SQL: a read-only explorer over the public views, with CSV and Parquet download."""

import io

import streamlit as st

from pages import data
from warehouse.sql_worker import QueryLimit, cut_message
from warehouse.sql_guard import RefusedQuery

ROW_CAP = 10_000
EXAMPLE = "SELECT metric, gap_kind, group_a, group_b, verdict, slope_per_year, ci_low, ci_high\n" \
          "FROM gap_verdicts\nORDER BY metric"

snap = data.snapshot()
st.title("SQL explorer")
st.caption(f"One reading statement (SELECT, WITH, FROM, DESCRIBE) over the published file, "
           f"opened read-only with file, network and extension access off, in a separate "
           f"process: at most {ROW_CAP:,} rows, 10 seconds, 1 GiB of memory and 20 MB of "
           f"result. The views and their columns: docs/schema.md.")

with st.expander("Public views"):
    st.dataframe(data.public_views(*snap), hide_index=True)

sql = st.text_area("Query", EXAMPLE, height=160, key="sql")
if st.button("Run", type="primary") or sql == EXAMPLE:
    try:
        rows, truncated = data.explore(sql, ROW_CAP, *snap)
    except RefusedQuery as exc:
        st.error(f"Refused: {exc}")
        st.stop()
    except QueryLimit as exc:  # killed or over a limit: one line naming it
        st.error(str(exc)[:1].upper() + str(exc)[1:])
        st.stop()
    except Exception as exc:  # a DuckDB error in the user's own query: show it, not a traceback
        st.error(f"DuckDB: {str(exc).splitlines()[0]}")
        st.stop()
    st.metric("Rows", f"{len(rows):,}" + (" (capped)" if truncated else ""))
    if truncated:
        st.warning(cut_message(ROW_CAP)[:1].upper() + cut_message(ROW_CAP)[1:]
                   + " (the explorer's row limit); only these are shown and downloadable.")
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(f"Source: `{snap[0]}` (read-only snapshot).")
    parquet = io.BytesIO()
    rows.to_parquet(parquet, index=False)
    d1, d2 = st.columns(2)
    d1.download_button("CSV", rows.to_csv(index=False), "query.csv", mime="text/csv")
    d2.download_button("Parquet", parquet.getvalue(), "query.parquet",
                       mime="application/vnd.apache.parquet")
