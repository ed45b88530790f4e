"""Analysis: gap series, trends, level shifts, lags, verdicts, the frontier, price
index, contamination, the model-name matching of the alias crosswalk and display labels. Pure functions of DataFrames: no I/O.

May import: `core`, nothing of the warehouse outside `warehouse.analysis`, never `duckdb`: storage
and contract functions read the frames and write the results (`.importlinter`,
"Analysis is pure"). SQL text naming an analysis' inputs (`verdicts.SQL`) may live here.
"""
