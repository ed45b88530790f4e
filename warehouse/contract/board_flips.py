"""A board verdict that flips when the gaps are recomputed, said as an alert (`[alerts]`).

Why: the drift sentinel alerts when a model changes; a person watching the gaps wants the same
word when the board's answer changes (a dimension's gap from `no clear change` to `widening`),
without opening the dashboard. `python -m warehouse gaps --refresh` reads the board before
and after and hands each flip to `core.alerts`.
"""

import logging

from core import alerts
from core.errors import GapWatchError
from warehouse.contract import board_queries

log = logging.getLogger("gapwatch.alerts")


def board_verdicts(db_path=None) -> dict[str, dict]:
    """The verdict board as published now: dimension -> its verdict and series ({} if none)."""
    try:
        board = board_queries.verdict_board(board_queries.gap_overview("both", db_path))
    except Exception as exc:  # noqa: BLE001 - a board that cannot be read has nothing to flip
        log.info("board not read before the refresh: %s", exc)
        return {}
    return {row["dimension"]: {"verdict": row["verdict"], "series_id": row.get("series_id")}
            for row in board.to_dict("records")}


def flips(before: dict[str, dict], after: dict[str, dict]) -> list[dict]:
    """One event per dimension whose verdict changed (new dimensions are not flips)."""
    return [{"event": "board verdict flipped", "dimension": dim, "before": was["verdict"],
             "after": after[dim]["verdict"], "series_id": after[dim]["series_id"],
             "text": f"GapWatch: the {dim} gap is now {after[dim]['verdict']} (was "
                     f"{was['verdict']})"}
            for dim, was in before.items() if dim in after and after[dim]["verdict"] != was["verdict"]]


def alert_flips(before: dict[str, dict], after: dict[str, dict]) -> list[dict]:
    """Send each flip where `[alerts]` says (nothing without it, or without a readable config)."""
    found = flips(before, after)
    if not found:
        return found
    from core.config import load_config

    try:
        config = load_config()
    except GapWatchError as exc:
        log.warning("board verdicts flipped but no alert was sent: %s", exc)
        return found
    for event in found:
        alerts.send(config.alerts, event)
    return found
