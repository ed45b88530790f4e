"""The strict base of every config section and the patterns its fields share.

A key the model does not know is an error (`extra="forbid"`): a typo in `gapwatch.toml` must
not silently mean months of missing data. Kept apart from `config.py` so that section modules
(`public_sources.py`) can build on it without importing the whole config.
"""

from pydantic import BaseModel, ConfigDict

MODEL_ID = r"^[a-z0-9][a-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._:@-]*$"
ENV_NAME = r"^[A-Z_][A-Z0-9_]*$"
URL = r"^https?://\S+$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
