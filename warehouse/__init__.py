"""The warehouse: the only code that opens the GapWatch database.

Collectors hand it rows, pages ask it for DataFrames, and people query the
published file directly; the public views in `views.py` are the contract.
"""

import warnings

# duckdb 1.5.5 calls a pandas API that pandas 3.1 deprecates; the warning is theirs, not ours.
warnings.filterwarnings("ignore", message=".*inplace keyword.*")
