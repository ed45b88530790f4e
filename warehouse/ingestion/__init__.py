"""Public ingestion: the bundled public history (`public_data/`, its loaders and
importer). The alias crosswalk's matching rules are pure, so they live in
`warehouse.analysis.aliases`.

May import: `warehouse.storage` (idempotent writes), `warehouse.analysis` (pure mappings such
as `benchmark_dimensions`), `core`.
"""
