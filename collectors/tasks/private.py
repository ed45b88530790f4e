"""Private task packs: your own items, in a folder the config names, never shipped.

Why: the public fixed items of any leaderboard leak into training sets; items only you hold
cannot. One file per pack, TOML or JSON Lines:

    # support-tickets.toml                      # support-tickets.jsonl
    dimension = "understanding"                 {"pack": {"dimension": "understanding",
    version = "3"                                         "version": "3", "scorer": "exact"}}
    scorer = "exact"          # items' default  {"id": "t1", "prompt": "...", "answer": "..."}
    [[items]]                                   {"id": "t2", "prompt": "...", "answer": "...",
    id = "t1"                                    "scorer": "numeric", "scorer_args": {"tol": 0.5}}
    prompt = "..."
    answer = "..."

Pack keys: `dimension` and `version` (required), `name` (default: the file name), `scorer`
and `scorer_args` (defaults for items), `store_text` (default false: the database keeps the
answer's SHA-256, `sha256:<hex>`, instead of its text; prompts are only ever stored as
hashes). Item keys: `id`, `prompt`, `answer` (required), `scorer`, `scorer_args`,
`max_answer_tokens` (default 64). Unknown keys are errors. Private packs have fixed items
only (no generator, so no fresh twins and no fixed-minus-fresh). The stored version is
`<version>+<content hash>`, so editing items without bumping `version` still never mixes
old and new scores.
"""

import hashlib
import inspect
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from collectors.scoring import SCORERS
from collectors.tasks.base import Item, PackError, TaskPack, estimate_tokens

SUFFIXES = (".toml", ".jsonl")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PackHeader(_Strict):
    dimension: str
    version: str
    name: str | None = None
    scorer: str | None = None
    scorer_args: dict = {}
    store_text: bool = False


class ItemRow(_Strict):
    id: str
    prompt: str
    answer: str | int | float | list
    scorer: str | None = None
    scorer_args: dict | None = None
    max_answer_tokens: int = 64


@dataclass(frozen=True)
class FilePack(TaskPack):
    """A pack whose fixed items come from the user's file; it never generates fresh ones."""

    path: Path = Path()
    items: tuple[Item, ...] = ()
    store_text: bool = False
    private: bool = field(default=True, init=False)

    @property
    def data_file(self) -> Path:
        return self.path

    def fixed_items(self) -> list[Item]:
        return list(self.items)

    def fresh_items(self, seed: int, n: int | None = None,
                    max_context_tokens: int | None = None) -> list[Item]:
        return []

    def freeze(self) -> Path:
        raise PackError(f"{self.path}: a private pack is its file; there is nothing to freeze")


def load_folders(folders) -> tuple[dict[str, FilePack], list[str]]:
    """Packs from every `*.toml` / `*.jsonl` in the folders, and one message per broken file."""
    packs, problems = {}, []
    for folder in map(Path, folders):
        if not folder.expanduser().is_dir():
            problems.append(f"private packs folder {folder} not found")
            continue
        for path in sorted(p for p in folder.expanduser().iterdir() if p.suffix in SUFFIXES):
            try:
                pack = load_file(path)
            except PackError as exc:
                problems.append(f"private pack not loaded: {exc}")
                continue
            if pack.name in packs:
                problems.append(f"private pack not loaded: {path}: pack name {pack.name!r} is taken")
                continue
            packs[pack.name] = pack
    return packs, problems


def load_file(path: Path) -> FilePack:
    """One pack file; PackError naming the file, and the line or item, for anything wrong."""
    header, rows = _read_toml(path) if path.suffix == ".toml" else _read_jsonl(path)
    pack = _validated(PackHeader, header, f"{path}: pack")
    items = tuple(_item(path, where, pack, row) for where, row in rows)
    twice = sorted({i.item_id for i in items if sum(j.item_id == i.item_id for j in items) > 1})
    if twice:
        raise PackError(f"{path}: item id {twice[0]!r} is used more than once")
    if not items:
        raise PackError(f"{path}: the pack has no items")
    content = json.dumps([pack.model_dump(), [i.to_dict() for i in items]], sort_keys=True, default=str)
    digest = hashlib.sha256(content.encode()).hexdigest()[:8]
    try:
        return FilePack(name=pack.name or path.stem, dimension=pack.dimension,
                        version=f"{pack.version}+{digest}", templates=(), content_hashes={},
                        slots=len(items), frozen_seed=0, path=path, items=items,
                        store_text=pack.store_text)
    except ValueError as exc:
        raise PackError(f"{path}: {exc}") from None


def _read_toml(path: Path) -> tuple[dict, list[tuple[str, dict]]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PackError(f"{path}: {exc}") from None
    items = data.pop("items", [])
    if not isinstance(items, list):
        raise PackError(f"{path}: `items` must be an array of tables ([[items]])")
    return data, [(f"items[{i}]", row) for i, row in enumerate(items)]


def _read_jsonl(path: Path) -> tuple[dict, list[tuple[str, dict]]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PackError(f"{path}: {exc}") from None
    rows = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                rows.append((f"line {number}", json.loads(line)))
            except json.JSONDecodeError as exc:
                raise PackError(f"{path}:{number}: not JSON: {exc.msg} (column {exc.colno})") from None
    if not rows or not isinstance(rows[0][1], dict) or set(rows[0][1]) != {"pack"}:
        raise PackError(f"{path}:1: the first line must be {{\"pack\": {{...}}}} with dimension and version")
    return rows[0][1]["pack"], rows[1:]


def _validated(model: type[_Strict], data, where: str):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors())
        raise PackError(f"{where}: {problems}") from None


def scorer_options(name: str) -> set[str]:
    """The keyword options a scorer takes (beyond the response and the expected answer)."""
    function = SCORERS.get(name)
    return set(list(inspect.signature(function).parameters)[2:]) if function else set()


def _item(path: Path, where: str, pack: PackHeader, data) -> Item:
    row = _validated(ItemRow, data, f"{path}: {where}")
    scorer = row.scorer or pack.scorer
    if scorer is None:
        raise PackError(f"{path}: {where} ({row.id}): no scorer (set it on the item or the pack)")
    args = pack.scorer_args if row.scorer_args is None else row.scorer_args
    unknown = set(args) - scorer_options(scorer)
    if unknown:
        raise PackError(f"{path}: {where} ({row.id}): scorer {scorer!r} has no option "
                        f"{sorted(unknown)[0]!r} (it takes {sorted(scorer_options(scorer)) or 'none'})")
    meta = {"template": "private", "level": None, "difficulty": {},
            "max_answer_tokens": row.max_answer_tokens}
    try:
        return Item(row.id, row.prompt, row.answer, scorer, args, "fixed", 0,
                    estimate_tokens(row.prompt), meta)
    except ValueError as exc:  # the message starts with the item id
        raise PackError(f"{path}: {where}: {exc}") from None
