"""The drift sentinel's canary set: a few dozen fixed items a model answers the same way every
day as long as it is the same model, and a fixed probe text for its tokenizer.

Why a set of its own, frozen in `tasks/data/drift-canary.json`: a check compares today's
answers with the baseline's item by item, so the items must never move, even when a task pack
gets a new version. Why these items: the first fixed items of each short pack (every template
of the pack, so every skill) and the shortest memory items, with answers capped at
`MAX_ANSWER_TOKENS`. Short prompts keep a run cheap; short answers are the most repeatable at
temperature 0 (a long answer has more places to diverge on a server that is not bit-exact).
On the three local models every item answered identically in 20 runs out of 20
(docs/performance.md, "Drift sentinel").

`VERSION` names the set: a check compares only answers to the same version, and a new version
starts a new baseline. `CONTENT_HASH` guards it (tests/test_drift.py): editing the items
without a new version fails the tests.
"""

import hashlib
import json
from dataclasses import replace
from pathlib import Path

from collectors import tasks
from collectors.tasks.base import DATA_DIR, Item, load_items

VERSION = "1"
CONTENT_HASH = "6899dfa7331c4779"
DATA_FILE = DATA_DIR / "drift-canary.json"
PER_DIMENSION = 8
MAX_ANSWER_TOKENS = 48
# Words, accents, CJK, code, numbers, a URL and emoji: a new tokenizer (or vocabulary) splits
# this text into a different number of tokens, whatever else it shares with the old one.
PROBE = ("GapWatch drift probe: naïve café déjà vu, 東京の天気は晴れです, Ünïcödé; "
         "def f(x): return x ** 2  # 3.14159 ≈ π; https://example.org/a?b=c&d=1 🙂🚀 "
         "antidisestablishmentarianism 1234567890")


def items() -> list[Item]:
    """The frozen canary items (a PackError names the file if it is broken)."""
    return list(load_items(Path(DATA_FILE)))


def content_hash() -> str:
    content = [item.to_dict() for item in items()] + [PROBE]
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def build() -> list[Item]:
    """The set from the shipped packs' fixed items (see the module docstring)."""
    chosen = []
    for pack in sorted(tasks.all_packs(), key=lambda p: p.dimension):
        fixed = pack.fixed_items()
        if pack.dimension == "memory":  # long haystacks: only the shortest
            fixed = sorted(fixed, key=lambda item: (item.context_tokens, item.item_id))
        for item in fixed[:PER_DIMENSION]:
            meta = {**item.meta, "dimension": pack.dimension, "pack": pack.name,
                    "pack_version": pack.version,
                    "max_answer_tokens": min(item.meta["max_answer_tokens"], MAX_ANSWER_TOKENS)}
            chosen.append(replace(item, item_id=f"{pack.dimension}-{item.item_id}", meta=meta))
    return chosen


def freeze() -> Path:
    """(Re)write the frozen set; only together with a new VERSION and CONTENT_HASH."""
    payload = {"canary_version": VERSION, "items": [item.to_dict() for item in build()]}
    DATA_FILE.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
    load_items.cache_clear()
    return DATA_FILE
