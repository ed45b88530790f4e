"""How recent each public source is, in words, for the board's rows and the pages' captions.

Why a helper of its own: the Overview board's layout belongs to pages/ui/tables.py; this only
adds one column and caption sentences (`Arena ratings to 2026-11-30, fetched 2026-12-05`,
`; stale` past the source's cadence) from the `source_freshness` view.
"""

import pandas as pd

from warehouse.analysis.vintages import family_of, freshness_text

DASH = "—"
COLUMN = "Data (how recent)"
REFRESH = "`python -m collectors run public`"


def texts(fresh: pd.DataFrame) -> dict[str, str]:
    """family -> `Arena ratings to …, fetched …` (`; stale` when stale)."""
    return {r["family"]: freshness_text(r["label"], r["data_through"], r["fetched_at_utc"],
                                        r["shipped_only"], r["stale"])
            for r in fresh.to_dict("records")}


def board_column(board: pd.DataFrame, fresh: pd.DataFrame) -> list[str]:
    """One cell per board row: how recent the public source behind its series is."""
    known = texts(fresh)
    out = []
    for source in board.get("source", pd.Series([None] * len(board))):
        family = family_of(source)
        out.append(known.get(family, "your measurements" if source == "measured" else DASH))
    return out


def caption(fresh: pd.DataFrame, family: str) -> str:
    """A caption's sentence for one source: `Arena ratings to …, fetched ….`"""
    text = texts(fresh).get(family)
    return f"{text}." if text else ""


def stale_note(fresh: pd.DataFrame) -> str | None:
    """One sentence naming the stale sources and how to refresh them; None when none is."""
    stale = fresh[fresh["stale"].fillna(True).astype(bool)]
    if stale.empty:
        return None
    names = ", ".join(f"{r['label']} (to {pd.Timestamp(r['data_through']):%Y-%m-%d})"
                      if not pd.isna(r["data_through"]) else r["label"]
                      for r in stale.to_dict("records"))
    return f"Stale, older than their sources publish: {names}. To bring them up to date: {REFRESH}."
