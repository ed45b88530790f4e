"""Task packs by name: one module per pack, each registered by one line in PACK_MODULES.

Packs only make items and name their scorers (collectors/scoring.py); asking models and storing
`capability_item_result` rows is the capability collector's job.

Adding a pack: write `collectors/tasks/<name>.py` defining `PACK = TaskPack(...)` with
`content_hashes={}`, add its module below, run `get_pack("<pack name>").freeze()` once to write
the fixed items to `data/<pack name>.json`, then record `content_hash()` for its version.
"""

import sysconfig
import traceback
from importlib import import_module

from collectors.tasks import base
from collectors.tasks.base import Item, PackError, TaskPack

PACK_MODULES = (
    "collectors.tasks.understanding",
    "collectors.tasks.generation",
    "collectors.tasks.reasoning",
    "collectors.tasks.memory",
)
# Not the pack's own line: the standard library, site-packages, generated code, the pack base.
MACHINERY = (sysconfig.get_paths()["stdlib"], "<", base.__file__)

__all__ = ["Item", "TaskPack", "PACKS", "PACK_PROBLEMS", "get_pack", "all_packs", "load_packs",
           "describe_failure"]


def load_packs(modules: tuple[str, ...] | None = None) -> tuple[dict[str, TaskPack], list[str]]:
    """Packs by name, and one message per module that could not give one.

    Each module is imported on its own, so a syntax error, a missing field or a bad template
    in one pack leaves the others usable; the message names the file and line.
    """
    packs, problems = {}, []
    for module in modules or PACK_MODULES:
        try:
            pack = import_module(module).PACK
        except Exception as exc:  # a pack is code anyone may edit: report it, keep the others
            problems.append(f"task pack {module} not loaded: {describe_failure(exc)}")
            continue
        if pack.name in packs:
            problems.append(f"task pack {module} not loaded: pack name {pack.name!r} is taken")
            continue
        packs[pack.name] = pack
    return packs, problems


def describe_failure(exc: BaseException) -> str:
    """`file:line: Error: message` at the pack's own line that failed; a PackError already
    names its file and item.

    Call it where the exception was caught: that first frame is the caller, never the pack.
    Of the rest, the innermost frame outside MACHINERY is the pack's line (a template that
    raised, or the `PACK = TaskPack(...)` that was refused); none when the base itself refused.
    """
    if isinstance(exc, PackError):
        return str(exc)
    if isinstance(exc, SyntaxError):
        return f"{exc.filename}:{exc.lineno}: SyntaxError: {exc.msg}"
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__)[1:]
              if not frame.filename.startswith(MACHINERY)]
    where = f"{frames[-1].filename}:{frames[-1].lineno}: " if frames else ""
    return f"{where}{type(exc).__name__}: {exc}"


PACKS, PACK_PROBLEMS = load_packs()


def get_pack(name: str) -> TaskPack:
    """The pack called `name`; an unknown name is an error that lists the known ones."""
    try:
        return PACKS[name]
    except KeyError:
        known = ", ".join(sorted(PACKS))
        broken = "".join(f"; {problem}" for problem in PACK_PROBLEMS)
        raise KeyError(f"unknown task pack {name!r}; known: {known}{broken}") from None


def all_packs() -> list[TaskPack]:
    return list(PACKS.values())
