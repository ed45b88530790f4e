"""`python -m warehouse COMMAND`: the warehouse from the terminal.

    python -m warehouse init | status | schema [--write|--check] | aliases [--unmatched SOURCE]
    python -m warehouse gaps [--refresh [--include-contended]] [--series TEXT] [--dimension NAME] | dimensions
    python -m warehouse backup DEST [--keep N] | restore SOURCE
    python -m warehouse migrate-to TARGET | maintain [--keep-days N]

`python -m warehouse COMMAND --help` says what each does.

Every user-fixable problem prints one `error:` line and exits 2; no traceback.
"""

import argparse
import sys
from pathlib import Path

import duckdb
import pandas as pd

from warehouse.storage import db, file_errors
from warehouse.analysis.aliases import unmatched_report
from warehouse.bootstrap import init
from warehouse.command_line import CommandParser, add_command, run_quietly
from core.errors import GapWatchError
from core.redaction import redact
from warehouse.storage.migrations import migrate
from core.address import resolve
from core.paths import config_path, warehouse_paths
from warehouse.contract.schema_doc import render
from warehouse.contract.views import VIEWS, create_views

SCHEMA_DOC = Path("docs/schema.md")


def cmd_init(args: argparse.Namespace) -> int:
    models = _configured_models()
    address = resolve()
    report = init(address, models=models)
    print(f"warehouse: {address} (views current)" if address.is_lake else
          f"warehouse: {warehouse_paths(address).published} (writer: {warehouse_paths(address).master.name})")
    print(f"migrations applied: {', '.join(report.migrations) or 'none (up to date)'}")
    if report.public.imported:
        for name, n in report.public.rows.items():
            print(f"  public:{name}: {n} rows, {report.public.skipped[name]} left out")
        _print_unmatched(report.public.unmatched)
    else:
        print("public history: already imported, unchanged")
    print(f"configured models registered: {report.configured_models}")
    _print_counts()
    return 0


def _configured_models() -> list:
    from core.config import load_config

    if not config_path().exists():
        print(f"note: no {config_path()}; no configured models registered")
        return []
    config = load_config()
    for warning in config.missing_keys():
        print(f"warning: {warning}", file=sys.stderr)
    return config.models


def _print_unmatched(report) -> None:
    print("model names per source (unmatched = no other source names the same model):")
    for row in report.itertuples():
        print(f"  {row.source:<11} {row.names:>5} names, {row.unmatched:>5} unmatched")


def cmd_status(_args: argparse.Namespace) -> int:
    """The integrity check of the published file first (every block's checksum, every table
    read in full): a damaged file is one `error:` line with its way out, and exit 2."""
    address = resolve()
    with db.reading(address):
        pass  # a file that is no DuckDB file, or too new, is refused here in its own words
    if not address.is_lake:
        file_errors.verify_published(warehouse_paths(address))
    _print_counts()
    return 0


def _print_counts() -> None:
    with db.reading() as con:
        for v in VIEWS:
            n = con.execute(f"SELECT count(*) FROM {v.name}").fetchone()[0]
            print(f"  {v.name:<18} {n:>8} rows")


def cmd_schema(args: argparse.Namespace) -> int:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    migrate(con)
    create_views(con)
    text = render(con)
    if args.check:
        if not SCHEMA_DOC.exists() or SCHEMA_DOC.read_text() != text:
            print(f"{SCHEMA_DOC} is stale: run `python -m warehouse schema --write`", file=sys.stderr)
            return 1
        print(f"{SCHEMA_DOC} is current")
    elif args.write:
        SCHEMA_DOC.parent.mkdir(exist_ok=True)
        SCHEMA_DOC.write_text(text)
        print(f"wrote {SCHEMA_DOC}")
    else:
        print(text)
    return 0


def cmd_aliases(args: argparse.Namespace) -> int:
    from warehouse.contract import dimension_queries

    with db.reading() as con:
        aliases = con.execute("SELECT alias, source, model_id FROM model_aliases").df()
    _print_unmatched(unmatched_report(aliases))
    if args.unmatched:
        counts = aliases.groupby("model_id")["source"].transform("nunique")
        alone = aliases[(counts == 1) & (aliases["source"] == args.unmatched)]
        print("\n".join(sorted(alone["alias"])))
    _print_labels(dimension_queries.labels_by_source(), dimension_queries.unlabelled())
    return 0


def _print_labels(by_source, unlabelled) -> None:
    """Who labelled each model version open or closed, and the scored versions nobody did:
    they sit out of every closed − open gap, so they are named rather than dropped unseen."""
    print("open/closed label, by the source that gave it (model versions):")
    for row in by_source.itertuples():
        print(f"  {row.labelled_by:<11} {row.n_models:>5}")
    print(f"unlabelled model versions with Epoch benchmark scores: {len(unlabelled)} "
          f"({int(unlabelled['n_scores'].sum())} scores), left out of closed − open gaps:")
    for row in unlabelled.itertuples():
        print(f"  {row.model_id:<45} {row.n_scores:>3} scores  {row.dimensions}: {row.benchmarks}")


def cmd_dimensions(_args: argparse.Namespace) -> int:
    """Each capability dimension's answer, its checks and every benchmark's story (Markdown)."""
    from warehouse.analysis import dimension_report
    from warehouse.analysis.benchmark_dimensions import DIMENSIONS
    from warehouse.contract import dimension_queries as q

    parts = {d: (q.headline(d), q.checks(d), q.stories(d)) for d in DIMENSIONS}
    if all(h.empty for h, _, _ in parts.values()):
        print("no dimension verdicts stored yet: run `python -m warehouse gaps --refresh`")
        return 0
    print(dimension_report.report(parts))
    return 0


def cmd_gaps(args: argparse.Namespace) -> int:
    """Print the verdict board, then the stored verdicts and lags (filtered by --series and
    --dimension); `--refresh` recomputes and stores them first."""
    from warehouse.analysis import gap_report
    from warehouse.contract import board_queries
    from warehouse.storage import gap_tables

    if args.refresh:
        from warehouse.contract import board_flips

        before = board_flips.board_verdicts()
        with db.writing(atomic=False) as con:
            gap_tables.refresh(con, args.include_contended)
        for flip in board_flips.alert_flips(before, board_flips.board_verdicts()):
            print(f"verdict flipped: {flip['dimension']}: {flip['before']} -> {flip['after']}")
    with db.reading() as con:
        table = con.execute("SELECT * FROM gap_verdicts").df()
        lag_rows = con.execute("SELECT * FROM lags").df()
    if table.empty:
        print("no verdicts stored yet: run `python -m warehouse gaps --refresh`")
        return 0
    overview = board_queries.gap_overview("both")
    dims = overview.drop_duplicates(["series_id", "gap_kind"]).set_index(["series_id", "gap_kind"])
    dimension_of = pd.Series([dims["dimension"].get((m, k)) for m, k in
                              zip(table["series_id"], table["gap_kind"])], index=table.index)
    text = gap_report.report(board_queries.verdict_board(overview), table, lag_rows, args.series,
                             args.dimension, dimension_of)
    print(text)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from warehouse.storage.backup import backup

    path, counts = backup(Path(args.dest), keep=args.keep)
    print(f"backup {path}: {len(counts)} tables, {sum(counts.values())} rows, verified")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from warehouse.storage.backup import restore

    counts = restore(Path(args.source))
    print(f"restored {args.source}: {len(counts)} tables, {sum(counts.values())} rows, "
          "row counts verified")
    return 0


def cmd_migrate_to(args: argparse.Namespace) -> int:
    from warehouse.lake_copy import copy_to_lake

    counts = copy_to_lake(None, args.target)
    print("| table | rows in the file | rows in the lake |\n|---|---:|---:|")
    for c in counts:
        print(f"| {c.table} | {c.source_rows:,} | {c.lake_rows:,} |")
    print(f"copied {len(counts)} tables, {sum(c.lake_rows for c in counts):,} rows; row counts and gap "
          f"verdicts verified. Point GAPWATCH_DB at the lake to read it; the file is untouched.")
    return 0


def cmd_maintain(args: argparse.Namespace) -> int:
    from warehouse.storage import lake

    address = resolve()
    if not address.is_lake:
        print(f"{warehouse_paths(address).published} is a DuckDB file: it needs no upkeep (every write ends with a CHECKPOINT)")
        return 0
    for name, (before, after) in lake.maintain(lake.parse_target(address.text), args.keep_days).items():
        print(f"{name}: {before} -> {after}")
    return 0


def parser() -> CommandParser:
    p = CommandParser(prog="python -m warehouse", description=__doc__,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_command(sub, "init", "create or upgrade the database and import public history",
                "Applies the migrations not yet applied, imports the shipped public history once, "
                "registers the models of gapwatch.toml and prints each view's row count.")
    add_command(sub, "status", "row counts of the public views")
    schema = add_command(sub, "schema", "print, --write or --check docs/schema.md",
                         "The documentation of every public view and column, made from the code.")
    schema.add_argument("--write", action="store_true", help="write docs/schema.md")
    schema.add_argument("--check", action="store_true", help="fail if docs/schema.md is stale")
    aliases = add_command(sub, "aliases", "how many model names each source leaves unmatched, "
                                          "and which scored models nobody labels open or closed",
                          "A name is unmatched when no other source names the same model. "
                          "Every model version's open/closed label is counted by the source "
                          "that gave it, and the versions with benchmark scores but no label "
                          "are listed (they sit out of every closed − open gap).")
    aliases.add_argument("--unmatched", metavar="SOURCE", help="list that source's unmatched names")
    gaps = add_command(sub, "gaps", "is each gap widening? verdicts and lags, with units",
                       "Prints the stored verdict of every gap series (widening, narrowing or no "
                       "clear change, over the last 12 months and the whole history) and the "
                       "lags in months.")
    gaps.add_argument("--refresh", action="store_true", help="recompute and store them first")
    gaps.add_argument("--include-contended", action="store_true",
                      help="with --refresh: speed gaps also use runs measured under contention "
                           "(left out by default; `runs list` marks them)")
    gaps.add_argument("--series", metavar="TEXT",
                      help="only series whose name or id contains TEXT (e.g. 'Arena', 'eci')")
    gaps.add_argument("--dimension", metavar="NAME",
                      help="only this board row (e.g. 'reasoning', 'price', 'overall')")
    add_command(sub, "dimensions", "each capability dimension's answer and what it rests on",
                "Prints, as Markdown, each dimension's closed − open composite verdicts, every "
                "check of them (without each benchmark, on a second yardstick) and every "
                "benchmark's own story (gap first → last, its verdict, coverage, saturation).")
    backup = add_command(sub, "backup", "copy the warehouse without stopping collection",
                         "It copies the published snapshot (no lock, no pause for collectors) and "
                         "checks every table's row count in the copy.")
    backup.add_argument("dest", help="a folder (time-stamped file) or a .duckdb path")
    backup.add_argument("--keep", type=int, metavar="N",
                        help="keep only the newest N backups in the folder")
    restore = add_command(sub, "restore", "make a backup the warehouse; checks row counts",
                          "It replaces the master file under the write lock, publishes it, and "
                          "checks that every table holds the backup's row count.")
    restore.add_argument("source", help="the backup file (.duckdb)")
    migrate_to = add_command(sub, "migrate-to", "copy this warehouse into an empty DuckLake; "
                                                "verified", "The file is left untouched.")
    migrate_to.add_argument("target", help="ducklake:postgres:<libpq conninfo> data_path=<folder or URL>")
    maintain = add_command(sub, "maintain", "lake upkeep: merge small files, expire old snapshots",
                           "A DuckDB file needs none (every write ends with a CHECKPOINT).")
    maintain.add_argument("--keep-days", type=int, default=7, metavar="N",
                          help="keep snapshots this many days (time travel; default 7)")
    return p


COMMANDS = {"init": cmd_init, "status": cmd_status, "schema": cmd_schema, "aliases": cmd_aliases,
            "gaps": cmd_gaps, "dimensions": cmd_dimensions, "backup": cmd_backup, "restore": cmd_restore, "migrate-to": cmd_migrate_to,
            "maintain": cmd_maintain}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except GapWatchError as exc:
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(run_quietly(main))
