"""SQL: a read-only explorer over the public views, with CSV and Parquet download."""

import streamlit as st

from pages.ui import data, downloads
from warehouse.contract import sql_worker
from warehouse.contract.sql_guard import RefusedQuery
from warehouse.contract.sql_worker import QueryLimit, cut_message

ROW_CAP = sql_worker.ROW_CAP
EXAMPLE = "SELECT series_id, gap_kind, group_a, group_b, verdict, slope_per_year, ci_low, ci_high\n" \
          "FROM gap_verdicts\nORDER BY series_id"

snap = data.snapshot()
st.title("SQL explorer")
st.caption(f"One reading statement (SELECT, WITH, FROM, DESCRIBE) over the published file, "
           f"opened read-only with file, network and extension access off, in a separate "
           f"process: at most {ROW_CAP:,} rows, {sql_worker.TIMEOUT_S:g} seconds, "
           f"{sql_worker.MEMORY_BYTES / (1 << 30):g} GiB of memory and "
           f"{sql_worker.RESULT_BYTES / 1e6:,.0f} MB of result. "
           f"The views and their columns: docs/schema.md.")


def sentence(text: str) -> str:
    """The worker's lines start in lower case, as parts of longer messages do; alone on the page
    they start a sentence."""
    return text[:1].upper() + text[1:]


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
        st.error(sentence(str(exc)))
        st.stop()
    except Exception as exc:  # a DuckDB error in the user's own query: show it, not a traceback
        st.error(f"DuckDB: {str(exc).splitlines()[0]}")
        st.stop()
    st.metric("Rows", f"{len(rows):,}" + (" (capped)" if truncated else ""))
    if truncated:
        st.warning(sentence(cut_message(ROW_CAP))
                   + " (the explorer's row limit); only these are shown and downloadable.")
    as_text = rows.attrs.get("as_text") or []
    if as_text:
        st.caption(f"Shown as DuckDB's text (pandas cannot hold their values): {', '.join(as_text)}.")
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(f"Source: {data.source_name(snap[0])} (read-only snapshot).")
    parquet, note = downloads.parquet_bytes(rows)
    d1, d2 = st.columns(2)
    d1.download_button("CSV", downloads.csv_text(rows), "query.csv", mime="text/csv")
    if parquet is not None:
        d2.download_button("Parquet", parquet, "query.parquet", mime="application/vnd.apache.parquet")
    if note:
        st.caption(note)
