"""The SQL page shows any DuckDB type and offers downloads that cannot crash (issue #26).

Real parts: the SQL page headless with AppTest on a copy of the built warehouse, its queries run
by the real worker process. The downloads are read back from AppTest's own media store.
"""

import io
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

DASHBOARD = str(Path(__file__).resolve().parent.parent / "dashboard.py")
STORES: list[MemoryMediaFileStorage] = []


class KeptStorage(MemoryMediaFileStorage):
    """AppTest's media store, kept so the test can read what a download button would send."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        STORES.append(self)


@pytest.fixture(scope="module")
def sql_page(module_db_copy):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GAPWATCH_DB", str(module_db_copy))
        patch.setattr(app_test_module, "MemoryMediaFileStorage", KeptStorage)
        at = AppTest.from_file(DASHBOARD, default_timeout=120).run()
        at.switch_page("pages/sql.py").run()
        assert not at.exception, at.exception
        yield at


def run_query(at: AppTest, sql: str) -> AppTest:
    at.text_area(key="sql").input(sql).run()
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def downloads(at: AppTest) -> dict[str, bytes]:
    """Each download button's label and the bytes it serves."""
    found = {}
    for button in at.get("download_button"):
        name = button.proto.url.rsplit("/", 1)[1]
        found[button.proto.label] = STORES[-1].get_file(name).content
    return found


TYPES = {
    "empty map": ("SELECT MAP() AS m", "{}"),
    "map": ("SELECT MAP {'gpt': 1.5} AS m", "gpt"),
    "struct": ("SELECT {'lab': 'OpenAI', 'scores': [1, 2]} AS s", "OpenAI"),
    "union": ("SELECT union_value(num := 2) AS u", "2"),
    "blob": ("SELECT '\\xAA\\xBB'::BLOB AS b", "xaa"),
    "list of lists": ("SELECT [[1], [2, 3]] AS ll", "3"),
}


@pytest.mark.parametrize("sql, shown", TYPES.values(), ids=TYPES.keys())
def test_any_duckdb_type_is_shown_with_both_downloads(sql_page, sql, shown):
    """Before #26 `SELECT MAP() AS m` ended in an ArrowNotImplementedError traceback: the page
    built its Parquet download unguarded."""
    at = run_query(sql_page, sql)
    table = at.dataframe[-1].value
    assert len(table) == 1 and shown.lower() in str(table.iloc[0, 0]).lower()
    files = downloads(at)
    assert set(files) == {"CSV", "Parquet"}
    assert shown.lower() in files["CSV"].decode().lower()
    back = pq.read_table(io.BytesIO(files["Parquet"])).to_pandas()
    assert list(back.columns) == list(table.columns) and len(back) == 1


def test_a_column_parquet_cannot_hold_is_written_as_text_and_the_page_says_so(sql_page):
    at = run_query(sql_page, "SELECT MAP() AS m, {'a': 1} AS s, 7 AS n")
    back = pq.read_table(io.BytesIO(downloads(at)["Parquet"])).to_pandas()
    assert back["m"].tolist() == ["{}"] and back["n"].tolist() == [7]
    assert back["s"].tolist() == [{"a": 1}]  # a column Parquet holds keeps its type
    note = next(c.value for c in at.caption if c.value.startswith("In the Parquet file"))
    assert note.startswith("In the Parquet file, m is text (pyarrow: Cannot write struct type 'm'")


def test_every_type_duckdb_has_is_shown(sql_page):
    """test_all_types(): one column per DuckDB type, with its extreme values (UHUGEINT, BIGNUM,
    TIME WITH TIME ZONE and a DATE of infinity have no pandas form: they come back as text)."""
    at = run_query(sql_page, "SELECT * FROM test_all_types()")
    table = at.dataframe[-1].value
    assert len(table) == 3 and len(table.columns) >= 50
    note = next(c.value for c in at.caption if c.value.startswith("Shown as DuckDB's text"))
    assert "uhugeint" in note and "bignum" in note
    assert ", varchar," not in note and "struct," not in note  # what pandas holds keeps its type
    assert table["uhugeint"].iloc[1] == "340282366920938463463374607431768211455"
    assert set(downloads(at)) == {"CSV", "Parquet"}
    csv = pd.read_csv(io.BytesIO(downloads(at)["CSV"]))
    assert len(csv) == 3


def test_the_page_names_the_file_but_not_its_folder(sql_page, module_db_copy):
    at = run_query(sql_page, "SELECT 1 AS x")
    captions = " ".join(c.value for c in at.caption)
    assert "Source: `gapwatch.duckdb`" in captions
    assert str(module_db_copy.parent) not in captions
