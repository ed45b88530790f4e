"""Small helpers shared by page tests."""

import base64

import numpy as np


def plotly_values(array) -> list:
    """Plotly ships numeric arrays as typed `{dtype, bdata}`; lists stay lists."""
    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)
