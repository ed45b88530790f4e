"""What the prices collector asks while it applies a source: which stored names mean which model.

Why here: the collector maps a source's names to GapWatch ids (collectors/prices.py) inside the
same write transaction that then updates the periods (`warehouse.storage.price_periods`), so the names
it matched and the periods it wrote are one snapshot. It passes that transaction in
(`run_ledger.writing`); the SQL stays in the warehouse.
"""

from warehouse.analysis.aliases import match_key


def source_aliases(tx, source: str) -> dict[str, str]:
    """alias -> model id, as the crosswalk maps `source`'s names."""
    return dict(tx.execute("SELECT alias, model_id FROM model_alias WHERE source = ?",
                           [source]).fetchall())


def ids_by_match_key(tx) -> dict[str, set[str]]:
    """Every name any source uses, and every id, by match key: one new spelling still matches."""
    index: dict[str, set[str]] = {}
    for name, model_id in tx.execute("SELECT alias, model_id FROM model_alias UNION "
                                     "SELECT model_id, model_id FROM model_registry").fetchall():
        index.setdefault(match_key(name), set()).add(model_id)
    return index
