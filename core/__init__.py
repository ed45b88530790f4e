"""What every layer needs: config parsing, errors, paths, redaction and the warehouse address.

The bottom layer (docs/architecture.md): it imports nothing else of GapWatch, so warehouse,
collectors, pages and bench can all use it without reaching up a layer.
"""
