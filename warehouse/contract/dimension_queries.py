"""Read-only queries behind a dimension's answer: its composite verdicts, their checks, each
benchmark's story with its own verdict, and the scored models no source labels open or closed.
Shared by the Capability page and `python -m warehouse aliases`; each returns a DataFrame."""

import pandas as pd

from warehouse.analysis.benchmark_dimensions import MAPPING_VERSION
from warehouse.contract.reads import read


def composite_id(dimension: str) -> str:
    return f"dimension:{dimension}@{MAPPING_VERSION}"


def headline(dimension: str, db_path=None) -> pd.DataFrame:
    """The closed − open composite's verdicts (last 12 months first), with its newest month."""
    return read("""
        SELECT v.*, (SELECT max(bucket_start) FROM gap_series s WHERE s.series_id = v.series_id
                     AND s.gap_kind = v.gap_kind) AS newest_month
        FROM gap_verdicts v WHERE v.series_id = ? AND v.gap_kind = 'frontier_a_minus_b'
        ORDER BY v.period <> 'last 12 months', v.period_start""",
                [composite_id(dimension)], db_path=db_path)


def checks(dimension: str, db_path=None) -> pd.DataFrame:
    """Every check of the closed − open composite's verdicts."""
    return read("""SELECT * FROM dimension_checks WHERE series_id = ?
                   AND gap_kind = 'frontier_a_minus_b' ORDER BY period, check_kind DESC, check_label""",
                [composite_id(dimension)], db_path=db_path)


def stories(dimension: str, db_path=None) -> pd.DataFrame:
    """Each benchmark of the dimension with its own last-12-months verdict beside its story."""
    return read("""
        SELECT b.*, v.verdict, v.slope_per_year, v.ci_low, v.ci_high, v.unit AS verdict_unit,
               v.period_start AS verdict_start, v.period_end AS verdict_end, v.note, v.p_value,
               v.p_adjusted, v.change, v.min_effect
        FROM benchmark_stories b LEFT JOIN gap_verdicts v ON v.series_id = b.series_id
         AND v.gap_kind = 'frontier_a_minus_b' AND v.period = 'last 12 months'
        WHERE b.dimension = ? ORDER BY b.in_composite DESC, b.last_month DESC, b.series_id""",
                [dimension], db_path=db_path)


def unlabelled(db_path=None) -> pd.DataFrame:
    """Model versions with benchmark scores that no source labels open or closed: they sit
    out of every closed − open gap, so they are listed rather than dropped unseen."""
    return read("""
        SELECT m.model_id, m.family, m.organization, min(s.measured_at_utc) AS released,
               count(*) AS n_scores, string_agg(DISTINCT s.dimension, ', ' ORDER BY s.dimension)
               AS dimensions, string_agg(DISTINCT replace(s.pack, 'epoch:', ''), ', '
               ORDER BY replace(s.pack, 'epoch:', '')) AS benchmarks
        FROM capability_scores s JOIN models m USING (model_id)
        WHERE m.open_weights IS NULL AND s.pack LIKE 'epoch:%' AND s.pack <> 'epoch:eci'
        GROUP BY ALL ORDER BY n_scores DESC, m.model_id""", db_path=db_path)


def labels_by_source(db_path=None) -> pd.DataFrame:
    """How many model versions each source labelled open or closed (and how many none did)."""
    return read("""SELECT coalesce(CASE WHEN open_weights_from LIKE 'family:%' THEN 'family'
                                   ELSE open_weights_from END, 'unlabelled') AS labelled_by,
                          count(*) AS n_models
                   FROM models GROUP BY ALL ORDER BY n_models DESC""", db_path=db_path)
