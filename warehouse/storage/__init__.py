"""The database itself: connections, the file and lake formats, migrations, integrity
checks, backups, and the writes (run ledger, rows, price periods, gap result tables).

May import: `core` (errors, paths, config), and `warehouse.analysis` only to hand it frames
and store what it returns (`gap_tables`). Never `contract`, `ingestion` or the top-level
commands: everything else builds on storage.
"""
