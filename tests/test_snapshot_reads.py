"""Reads see the newest published snapshot, even while this process holds the old one open.

DuckDB keeps one database instance per path in a process: before #26, a read opened after a
publish, while any connection to the published file was still open, got that old instance (the
old snapshot) although `version_key()` already named the new one. Real parts: a copy of the
built warehouse, real writes and publishes, in this one process.
"""

import duckdb
import pytest

from core.paths import warehouse_paths
from warehouse.contract import queries, reads
from warehouse.storage import db

NEW_MODEL = "test/published-while-open"
COUNT = f"SELECT count(*) AS n FROM models WHERE model_id = '{NEW_MODEL}'"


def publish_a_model(db_path) -> None:
    with db.writing(db_path) as con:
        con.execute("INSERT INTO model_registry (model_id, display_name, organization, open_weights, release_date, source) VALUES (?, 'new', 'Test', true, NULL, 'config')",
                    [NEW_MODEL])


@pytest.mark.parametrize("holder", ["a user's own connection", "a dashboard read under way"])
def test_a_read_after_a_publish_sees_it_while_the_old_snapshot_is_open(db_copy, holder):
    published = warehouse_paths(db_copy).published
    key_before = queries.version_key(db_copy)
    if holder == "a user's own connection":
        held = duckdb.connect(str(published), read_only=True)
        old = held
    else:
        reading = db.reading(db_copy)
        held = old = reading.__enter__()
    try:
        assert old.execute(COUNT).fetchone()[0] == 0
        publish_a_model(db_copy)
        assert queries.version_key(db_copy) != key_before
        assert reads.read(COUNT, db_path=db_copy)["n"].iloc[0] == 1  # the new snapshot
        with reads.shared_reading(db_copy):
            assert reads.read(COUNT, db_path=db_copy)["n"].iloc[0] == 1
        assert old.execute(COUNT).fetchone()[0] == 0  # the open one keeps its consistent view
    finally:
        if holder == "a user's own connection":
            held.close()
        else:
            reading.__exit__(None, None, None)


def test_publish_after_publish_while_each_old_snapshot_stays_open(db_copy):
    """Each read sees the rows `version_key()` names, publish after publish, with a connection to
    every earlier snapshot still open in the process."""
    held = []
    try:
        for n in range(1, 4):
            held.append(duckdb.connect(str(db_copy), read_only=True))
            with db.writing(db_copy) as con:
                con.execute("INSERT INTO model_registry (model_id, display_name, organization, open_weights, release_date, source) VALUES (?, 'new', 'Test', true, NULL, "
                            "'config')", [f"test/publish-{n}"])
            seen = reads.read("SELECT count(*) AS n FROM models WHERE model_id LIKE 'test/publish-%'",
                              db_path=db_copy)["n"].iloc[0]
            assert seen == n
    finally:
        for con in held:
            con.close()
