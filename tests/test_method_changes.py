"""Method changes: where a series' values stop being comparable, and the marks on time axes."""

from datetime import datetime, timedelta, timezone

import pandas as pd
import plotly.graph_objects as go
from helpers import figure_specs
from streamlit.testing.v1 import AppTest

from collectors import capability_scores
from pages.ui.charts import gaps as charts
from warehouse.storage import db, writes

DAY = datetime(2026, 3, 1, tzinfo=timezone.utc)
MODEL = "local/qwen2.5-coder-0.5b"


def context(host_cpu: str, sha: str) -> dict:
    return {"cpu": host_cpu, "models": {MODEL: {"sha256": sha, "quantisation": "Q4_K_M",
                                                "server_build": "xllamacpp 2026.10.11549"}}}


def item(run_id: str, version: str, day: int) -> dict:
    return {"run_id": run_id, "model_id": MODEL, "pack": "memory-retrieval", "pack_version": version,
            "dimension": "memory", "item_id": "needle-00", "variant": "fixed", "seed": 1, "score": 1.0,
            "measured_at_utc": DAY + timedelta(days=day), "prompt_sha256": "0" * 64}


def record_runs(db_path) -> None:
    """Three capability runs: the same machine twice (pack v1 then v2), then a new host and file."""
    runs = [("cap-a", "vm", context("AMD EPYC", "1d96"), "1", 0),
            ("cap-b", "vm", context("AMD EPYC", "1d96"), "2", 10),
            ("cap-c", "lab-2", context("Apple M3", "ffee"), "2", 20)]
    with db.writing(db_path) as con:
        for run_id, host, ctx, version, day in runs:
            writes.start_run(con, run_id, "capability", host, ctx)
            con.execute("UPDATE run_ledger SET started_at_utc = ? WHERE run_id = ?",
                        [DAY + timedelta(days=day), run_id])
            writes.insert_rows(con, "capability_item_result", pd.DataFrame([item(run_id, version, day)]))
            capability_scores.store_scores(con, run_id, (run_id,))


def test_the_view_finds_arena_methods_pack_versions_and_new_machines(db_copy):
    record_runs(db_copy)
    with db.reading(db_copy) as con:
        changes = con.execute("SELECT * FROM method_changes ORDER BY changed_at_utc").df()
    kinds = changes.groupby("kind")["label"].apply(list).to_dict()
    assert "Arena bt rating (nakasyou_result_csv) begins" in kinds["rating method"]
    assert any("online Elo to Bradley–Terry rating" in label for label in kinds["rating method"])
    assert any("no longer listed" in label for label in kinds["listing change"])
    assert kinds["pack version"] == ["memory-retrieval version 2 begins"]
    assert kinds["run context"] == [f"{MODEL}: host lab-2; CPU Apple M3; model file ffee"]
    context_row = changes[changes["kind"] == "run context"].iloc[0]
    assert context_row["scope"] == MODEL and context_row["changed_at_utc"] == DAY + timedelta(days=20)


def test_marks_only_the_shown_scopes_inside_the_shown_span():
    changes = pd.DataFrame({"changed_at_utc": pd.to_datetime(["2024-01-01", "2024-06-01", "2025-01-01"], utc=True),
                            "scope": ["a", "b", "a"], "kind": ["run context"] * 3,
                            "label": ["a moved", "b moved", "a moved again"]})
    when = pd.to_datetime(["2023-12-01", "2024-12-01"], utc=True)
    fig = charts.mark_method_changes(go.Figure(), changes, {"a"}, when)
    assert [a.text for a in fig.layout.annotations] == ["a moved"]
    long = changes.assign(label="Arena's packs switch from online Elo to Bradley–Terry ratings here")
    text = charts.mark_method_changes(go.Figure(), long, {"a"}, when).layout.annotations[0].text
    assert text.replace("<br>", " ") == long["label"][0] and all(len(line) <= 44 for line in text.split("<br>"))
    assert len(fig.layout.shapes) == 1 and fig.layout.shapes[0].line.dash == "dot"


def test_the_overview_arena_chart_marks_where_the_arena_series_breaks(db_copy, monkeypatch):
    monkeypatch.setenv("GAPWATCH_DB", str(db_copy))
    at = AppTest.from_file(charts.__file__.replace("pages/ui/charts/gaps.py", "dashboard.py"),
                           default_timeout=120).run()
    assert not at.exception
    arena = next(s for s in figure_specs(at) if "Arena" in s["layout"]["title"]["text"])
    labels = [a["text"].replace("<br>", " ") for a in arena["layout"]["annotations"]]  # wrapped
    assert any("online Elo to Bradley–Terry rating" in label for label in labels)
    assert any("lists 168 models" in label and "no longer listed" in label for label in labels)
    assert len(arena["layout"]["shapes"]) == len(labels) == 3


def test_the_fboulnois_listing_change_is_a_break_no_verdict_spans(built_db):
    """On 2025-02-16 fboulnois stopped listing 30 models (198 -> 168 model versions; Arena lists
    each version apart, e.g. gpt-4o-2024-05-13 and gpt-4o-2024-08-06): a break."""
    with db.reading(built_db) as con:
        changes = con.execute("SELECT * FROM method_changes WHERE kind = 'listing change'").df()
        spans = con.execute("""SELECT series_id, period, period_start, period_end FROM gap_verdicts
                               WHERE series_id LIKE 'arena:%'""").df()
    fboulnois = changes[changes["scope"] == "arena:fboulnois_lmsys_csv:displayed_rating"]
    assert [f"{t:%Y-%m-%d}" for t in fboulnois["changed_at_utc"]] == ["2025-02-16"]
    assert "lists 168 models, was 198 (30 no longer listed)" in fboulnois["label"].item()
    assert "arena:text" in set(changes["scope"])
    brk = pd.Timestamp("2025-02-16")
    across = spans[(spans["period_start"] < brk) & (spans["period_end"] >= brk)]
    assert across.empty, across
    assert (spans["period_end"] == pd.Timestamp("2025-02-14")).any()  # a segment ends just before
    assert (spans["period_start"] == brk).any()  # and the next one begins on the break
