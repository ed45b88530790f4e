"""The warehouse: the only code that opens the GapWatch database.

Collectors hand it rows, pages ask it for DataFrames, and people query the
published file directly; the public views in `views.py` are the contract.
"""
