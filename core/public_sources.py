"""`[importers]`: where each public source is fetched from, and how long to wait for it.

Each source is one class (its own URL, timeout and switch), so adding a source is one class
here plus one field of `ImportersConfig`.
"""

from pydantic import Field

from core.strict import URL, Strict


class OpenRouterImporter(Strict):
    enabled: bool = True
    url: str = Field("https://openrouter.ai/api/v1/models", pattern=URL)
    timeout_s: float = Field(30.0, gt=0, le=600)


class LiteLLMImporter(Strict):
    enabled: bool = True
    url: str = Field("https://raw.githubusercontent.com/BerriAI/litellm/main/"
                     "model_prices_and_context_window.json", pattern=URL)
    timeout_s: float = Field(30.0, gt=0, le=600)


HF_ARENA = "https://huggingface.co/datasets/lmarena-ai/leaderboard-dataset/resolve/main"
EPOCH_EXPORT = "https://epoch.ai/data/benchmark_data.zip"


class ArenaImporter(Strict):
    """LMArena's leaderboard dataset (CC BY 4.0), for `python -m collectors run public`."""

    enabled: bool = True
    url: str = Field(f"{HF_ARENA}/text/full-00000-of-00001.parquet", pattern=URL)
    style_control_url: str | None = Field(f"{HF_ARENA}/text_style_control/full-00000-of-00001.parquet",
                                          pattern=URL, description="None: raw ratings only")
    timeout_s: float = Field(300.0, gt=0, le=3600)


class EpochImporter(Strict):
    """Epoch AI's exports (CC BY 4.0): its zip, or CSVs in the shapes GapWatch ships."""

    enabled: bool = True
    eci_url: str = Field(EPOCH_EXPORT, pattern=URL)
    benchmarks_url: str = Field(EPOCH_EXPORT, pattern=URL)
    timeout_s: float = Field(120.0, gt=0, le=3600)


class ImportersConfig(Strict):
    openrouter: OpenRouterImporter = OpenRouterImporter()
    litellm: LiteLLMImporter = LiteLLMImporter()
    arena: ArenaImporter = ArenaImporter()
    epoch: EpochImporter = EpochImporter()
