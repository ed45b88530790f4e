"""The SQL of every public vintage, shared by `capability_scores` (views_inputs), which keeps
only the rows in use, and the vintage views (views_vintages), which show them all.

A module of its own because importing views_vintages registers its views: views_inputs needs
the SQL before those views are registered (they are listed after the others).
"""

from warehouse.analysis.vintages import FAMILIES
from warehouse.contract.view_registry import VALID_RUN

_SHIPPED = ", ".join(f"('{family}', '{f.bundled[0]}', DATE '{f.bundled[1]}')"
                     for family, f in FAMILIES.items() if f.bundled)
# Every vintage of every refreshable source, the shipped files included (`bundled`), newest
# first per family; `superseded_from`: the first date of the newer vintages, from which on this
# one's rows are no longer used.
VINTAGES = f"""
    WITH spans AS (
        SELECT run_id, min(measured_at_utc)::DATE AS data_from, max(measured_at_utc)::DATE AS data_through
        FROM public_capability_score GROUP BY run_id
        UNION ALL
        SELECT run_id, min(effective_from), max(last_seen_utc)::DATE FROM price_period
        WHERE source LIKE 'public:%' GROUP BY run_id),
    shipped(family, dataset, vintage_date) AS (VALUES {_SHIPPED}),
    every AS (
        SELECT family, dataset, run_id, url, fetched_at_utc, last_checked_utc, content_sha256,
               n_bytes, n_rows, data_from, data_through, licence, citation, false AS bundled
        FROM public_vintage
        UNION ALL
        SELECT s.family, d.dataset, d.run_id,
               'shipped with GapWatch: warehouse/ingestion/public_data/' || d.dataset || '.csv',
               s.vintage_date::TIMESTAMPTZ, d.imported_at_utc, d.file_sha256, NULL::BIGINT,
               d.n_rows, sp.data_from, sp.data_through, d.licence, d.credit, true
        FROM public_dataset d JOIN shipped s USING (dataset) LEFT JOIN spans sp USING (run_id))
    SELECT *, row_number() OVER (PARTITION BY family ORDER BY bundled, fetched_at_utc DESC) = 1
                  AS is_newest,
           min(data_from) OVER (PARTITION BY family ORDER BY bundled, fetched_at_utc DESC
                                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS superseded_from
    FROM every WHERE {VALID_RUN}"""

