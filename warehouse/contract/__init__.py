"""The public contract: the views people and pages query (`views`, its registry and
definitions), their documentation (`schema_doc`), the dashboard's read queries (`queries`) and
the guarded SQL explorer (`sql_guard`, `sql_worker`, run as `python -m warehouse.contract.sql_worker`).

May import: `warehouse.storage` (to open the database), `warehouse.analysis` (pure functions
over the frames it reads), `core`.
"""
