"""Items and task packs: versioned item sets per capability dimension.

A pack is a list of templates, each a generator of items of one skill at a few difficulty levels.
Item slot i always uses template i mod T at level (i div T) mod L, so any run of a multiple of
T*L items has the same mix of skills and difficulties. Fixed items are that generator's output
at a frozen seed, frozen into `data/<pack>.json` so later generator edits cannot move them: they
are the month-to-month anchor. Fresh items are the same slots drawn from a run's seed, so they
match the fixed items in difficulty but cannot have been trained on.
"""

import hashlib
import json
import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from collectors.scoring import SCORERS
from warehouse.analysis.benchmark_dimensions import DIMENSIONS  # noqa: F401 (defined once, re-exported)

VARIANTS = ("fixed", "fresh")
DATA_DIR = Path(__file__).resolve().parent / "data"
CHARS_PER_TOKEN = 3.5
CANARY_SEED = 1  # the fresh draw whose content the version guard hashes
MAX_DRAWS = 1000


def estimate_tokens(text: str) -> int:
    """A conservative token count without a tokenizer: letters and spaces at 3.5 characters a
    token, every other character (digit, punctuation, newline) a token of its own.

    Measured against the local models' tokenizers (SmolLM2, Gemma 3, Qwen2.5), plain chars/3.5
    undercounts number-heavy prompts by up to 13%: they split numbers into digits and give
    ":", "\n" and the space before a number tokens of their own.
    """
    return token_estimate(len(text), count_symbols(text))


def token_estimate(chars: int, symbols: int) -> int:
    """`estimate_tokens` from counts, so long prompts can be sized piece by piece."""
    return math.ceil((chars - symbols) / CHARS_PER_TOKEN) + symbols


def count_symbols(text: str) -> int:
    """Characters that are neither letters nor plain spaces."""
    return sum(1 for char in text if not (char.isalpha() or char == " "))


@dataclass(frozen=True)
class Draft:
    """What a template builds; the pack adds the id, variant, seed and size."""

    prompt: str
    answer: Any
    scorer: str
    scorer_args: dict
    difficulty: dict  # measurable proxies (steps, options, passage sentences...) for matching
    max_answer_tokens: int = 32  # a short answer in a sentence; templates may ask more


@dataclass(frozen=True)
class Template:
    """One skill: `build(rng, level)` makes an item of that skill at that difficulty level."""

    name: str
    levels: tuple
    build: Callable[..., Draft]
    # Values dealt in turn by slot, not drawn at random, and passed as build's third argument:
    # for a surface feature that changes difficulty for some models (which word a needle's
    # value starts with), so the fixed set and every fresh draw hold the same mix.
    strata: tuple = ()

    def make(self, rng: random.Random, level, turn: int) -> Draft:
        if not self.strata:
            return self.build(rng, level)
        return self.build(rng, level, self.strata[turn % len(self.strata)])


@dataclass(frozen=True)
class Item:
    """One question, its expected answer and how to score it.

    `answer` is a reference response that scores 1.0 (for constraint items: a compliant text).
    `meta` holds template, level, difficulty proxies and `max_answer_tokens`.
    """

    item_id: str
    prompt: str
    answer: Any
    scorer: str
    scorer_args: dict
    variant: str
    seed: int
    context_tokens: int
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ValueError(f"{self.item_id}: variant {self.variant!r} not in {VARIANTS}")
        if self.scorer not in SCORERS:
            raise ValueError(f"{self.item_id}: unknown scorer {self.scorer!r}")

    def fits(self, max_context_tokens: int) -> bool:
        """True if the prompt plus room for the answer fits a model's context window."""
        return self.context_tokens + self.meta.get("max_answer_tokens", 0) <= max_context_tokens

    def to_dict(self) -> dict:
        return asdict(self)


class PackError(ValueError):
    """A pack's data cannot be used; the message names the file and the item."""


@lru_cache(maxsize=None)
def load_items(path: Path) -> tuple[Item, ...]:
    """Frozen items from a data file, read once per process; a broken file or item, or an id
    used twice (rows are keyed by id), is a PackError naming the file and the item."""
    try:
        rows = json.loads(path.read_text())["items"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PackError(f"{path}: cannot read its items: {type(exc).__name__}: {exc}") from exc
    items = tuple(_item(path, index, row) for index, row in enumerate(rows))
    twice = [item_id for item_id, n in Counter(item.item_id for item in items).items() if n > 1]
    if twice:
        raise PackError(f"{path}: item id {twice[0]!r} is used more than once")
    return items


def _item(path: Path, index: int, row: dict) -> Item:
    try:
        return Item(**row)
    except (TypeError, ValueError) as exc:
        name = row.get("item_id", "?") if isinstance(row, dict) else "?"
        raise PackError(f"{path}: item {index} ({name}): {exc}") from exc


@dataclass(frozen=True)
class TaskPack:
    """A versioned set of templates for one dimension; see the module docstring.

    `content_hashes` maps each version to the hash of its items: editing items or generators
    without bumping `version` (and recording the new hash) fails the test suite.
    """

    name: str
    dimension: str
    version: str
    templates: tuple[Template, ...]
    content_hashes: dict[str, str]
    slots: int  # fixed items, and the default number of fresh items per run
    frozen_seed: int

    def __post_init__(self):
        if self.dimension not in DIMENSIONS:
            raise ValueError(f"{self.name}: dimension {self.dimension!r} not in {DIMENSIONS}")
        names = [template.name for template in self.templates]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:  # item ids are template name + slot: two templates of one name collide
            raise ValueError(f"{self.name}: template name {twice[0]!r} is used more than once")

    @property
    def data_file(self) -> Path:
        return DATA_DIR / f"{self.name}.json"

    def fixed_items(self) -> list[Item]:
        """The frozen items; callers skip those whose `fits()` is false for a model."""
        return list(load_items(self.data_file))

    def fresh_items(self, seed: int, n: int | None = None,
                    max_context_tokens: int | None = None) -> list[Item]:
        """New items for `seed` (same seed, same items), never equal to a fixed item.

        Items that would not fit `max_context_tokens` are left out (skipped, not failed); the
        others keep their slot ids, so models with different windows share the items they get.
        """
        taken = {item.prompt for item in self.fixed_items()}
        items = self.generate(seed, self.slots if n is None else n, "fresh", taken)
        if max_context_tokens is None:
            return items
        return [item for item in items if item.fits(max_context_tokens)]

    def slot_plan(self, slot: int) -> tuple[Template, Any]:
        """The template and difficulty level of slot `slot` (the mix fixed and fresh share)."""
        template = self.templates[slot % len(self.templates)]
        return template, template.levels[(slot // len(self.templates)) % len(template.levels)]

    def generate(self, seed: int, n: int, variant: str, taken: set[str]) -> list[Item]:
        """Items for slots 0..n-1, redrawing any prompt already in `taken` (which grows)."""
        return [self.draw(seed, slot, variant, taken) for slot in range(n)]

    def draw(self, seed: int, slot: int, variant: str, taken: set[str]) -> Item:
        """Slot `slot`'s item: the first draw from the slot's own random stream not yet taken."""
        template, level = self.slot_plan(slot)
        for attempt in range(MAX_DRAWS):
            rng = random.Random(f"{self.name}|{seed}|{slot}|{attempt}")
            draft = template.make(rng, level, turn=slot // len(self.templates))
            if draft.prompt not in taken:
                taken.add(draft.prompt)
                return self.to_item(draft, template, level, seed, slot, variant)
        raise RuntimeError(f"{self.name}/{template.name}: no unused prompt in {MAX_DRAWS} draws")

    def to_item(self, draft: Draft, template: Template, level, seed: int, slot: int,
                variant: str) -> Item:
        suffix = f"{slot:02d}" if variant == "fixed" else f"{seed}-{slot:02d}"
        item_id = f"{template.name}-{suffix}"
        meta = {"template": template.name, "level": level, "difficulty": draft.difficulty,
                "max_answer_tokens": draft.max_answer_tokens}
        return Item(item_id, draft.prompt, draft.answer, draft.scorer, draft.scorer_args,
                    variant, seed, estimate_tokens(draft.prompt), meta)

    def freeze(self) -> Path:
        """(Re)write the fixed items from the generator; only together with a version bump."""
        items = self.generate(self.frozen_seed, self.slots, "fixed", set())
        payload = {"pack": self.name, "frozen_seed": self.frozen_seed,
                   "items": [item.to_dict() for item in items]}
        self.data_file.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
        load_items.cache_clear()
        return self.data_file

    def content_hash(self) -> str:
        """Hash of the fixed items and of the canary fresh draw: changes iff the items do."""
        content = {"fixed": [item.to_dict() for item in self.fixed_items()],
                   "fresh": [item.to_dict() for item in self.fresh_items(CANARY_SEED)]}
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]
