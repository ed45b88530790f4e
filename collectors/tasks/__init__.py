"""Task packs by name: one module per pack, each registered by one line in PACK_MODULES.

Packs only make items and name their scorers (collectors/scoring.py); asking models and storing
`capability_item_result` rows is the capability collector's job.

Adding a pack: write `collectors/tasks/<name>.py` defining `PACK = TaskPack(...)` with
`content_hashes={}`, add its module below, run `get_pack("<pack name>").freeze()` once to write
the fixed items to `data/<pack name>.json`, then record `content_hash()` for its version.
"""

from importlib import import_module

from collectors.tasks.base import Item, TaskPack

PACK_MODULES = (
    "collectors.tasks.understanding",
    "collectors.tasks.generation",
    "collectors.tasks.reasoning",
    "collectors.tasks.memory",
)
PACKS: dict[str, TaskPack] = {pack.name: pack
                              for pack in (import_module(module).PACK for module in PACK_MODULES)}

__all__ = ["Item", "TaskPack", "PACKS", "get_pack", "all_packs"]


def get_pack(name: str) -> TaskPack:
    """The pack called `name`; an unknown name is an error that lists the known ones."""
    try:
        return PACKS[name]
    except KeyError:
        raise KeyError(f"unknown task pack {name!r}; known: {', '.join(sorted(PACKS))}") from None


def all_packs() -> list[TaskPack]:
    return list(PACKS.values())
