"""memory-retrieval: key-value lookup and needle-in-a-haystack at several context lengths.

How difficulty is matched: the level is the prompt's size in estimated tokens (about 200, 500,
1000 and 1800, so the largest still fits a 2048-token window with room for the answer); the
haystack is filled up to that size, and the seed draws only the records, filler sentences, the
needle and where it sits (anywhere from start to end); the word that starts a needle's value is
dealt by slot, so fixed and fresh items start their values with the same words. Fixed items are this generator's output
at the frozen seed. Items larger than a model's window are skipped, never failed: see
`Item.fits` and `TaskPack.fresh_items`.
"""

import random

from collectors.tasks.base import Draft, TaskPack, Template, count_symbols, token_estimate
from collectors.tasks.reasoning import NAMES

CONTEXT_LEVELS = (200, 500, 1000, 1800)
ADJECTIVES = ("amber", "silver", "quiet", "rapid", "golden", "hidden", "northern", "broken",
              "gentle", "crimson", "frozen", "distant", "hollow", "bright", "ancient", "narrow",
              "velvet", "copper", "misty", "scarlet")
NOUNS = ("falcon", "harbor", "lantern", "meadow", "canyon", "orchard", "glacier", "compass",
         "violin", "tower", "river", "garden", "anchor", "forest", "island", "castle", "bridge",
         "engine", "mirror", "valley")
FRUITS = ("plum", "mango", "lemon", "cherry", "peach", "melon", "grape", "kiwi", "apricot", "fig")
VERBS = ("carried", "painted", "cleaned", "moved", "repaired", "checked", "wrapped", "counted",
         "sorted", "polished")
THINGS = ("the chairs", "a wooden box", "the old bicycle", "some letters", "the kitchen table",
          "a pile of books", "the garden gate", "a set of keys", "the blue curtains", "two lamps")
WHEN = ("in the morning", "before lunch", "after dinner", "on Monday", "late at night",
        "during the storm", "at the weekend", "after school", "before sunrise", "in the evening")


def fill_to(budget: int, pieces, frame: str, separator: str) -> list[str]:
    """Take pieces while the prompt (`frame` plus the pieces) stays within `budget` tokens."""
    chars, symbols, chosen = len(frame), count_symbols(frame), []
    for piece in pieces:
        chars += len(separator + piece)
        symbols += count_symbols(separator + piece)
        if token_estimate(chars, symbols) > budget:
            return chosen
        chosen.append(piece)
    raise ValueError("ran out of pieces before filling the budget")


def record_lines(rng: random.Random):
    """Up to 400 distinct "<adjective> <noun>: <4-digit code>" records in random order."""
    keys = [f"{adjective} {noun}" for adjective in ADJECTIVES for noun in NOUNS]
    rng.shuffle(keys)
    codes = rng.sample(range(1000, 10000), len(keys))
    return (f"{key}: {code}" for key, code in zip(keys, codes))


def key_value(rng: random.Random, context_tokens: int) -> Draft:
    """Look up one code among records filling the context; every other code is a distractor."""
    question = "\nQuestion: What is the code for the {}?\nAnswer:"
    frame = "Records:\n" + question.format("x" * 20)  # no key is longer than 20 characters
    lines = fill_to(context_tokens, record_lines(rng), frame, "\n")
    index = rng.randrange(len(lines))
    key, code = lines[index].split(": ")
    prompt = "Records:\n" + "\n".join(lines) + question.format(key)
    others = [line.split(": ")[1] for line in lines if line != lines[index]]
    return Draft(prompt, code, "retrieval", {"distractors": others},
                 {"target_tokens": context_tokens, "depth": round(index / len(lines), 2)})


def filler_sentences(rng: random.Random):
    """Endless mundane sentences that never mention a password."""
    while True:
        yield (f"{rng.choice(NAMES)} {rng.choice(VERBS)} {rng.choice(THINGS)} "
               f"{rng.choice(WHEN)}.")


def needle(rng: random.Random, context_tokens: int, fruit: str) -> Draft:
    """One password sentence hidden at a random depth in filler filling the context.

    The fruit is dealt by slot (Template.strata): version 1 drew it at random, and SmolLM2
    copies some fruits almost never (cherry, grape, melon, plum: 0 of 31) and others mostly,
    so a 16-needle fixed set that drew those four 9 times was far harder than fresh draws.
    """
    vault, value = rng.choice(NOUNS), f"{fruit}-{rng.randint(100, 999)}"
    secret = f"The password for the {vault} vault is {value}."
    question = f"\nQuestion: What is the password for the {vault} vault?\nAnswer:"
    frame = f"Document:\n{secret} {question}"
    sentences = fill_to(context_tokens, filler_sentences(rng), frame, " ")
    depth = rng.randint(0, len(sentences))
    sentences.insert(depth, secret)
    prompt = "Document:\n" + " ".join(sentences) + question
    return Draft(prompt, value, "retrieval", {},
                 {"target_tokens": context_tokens, "depth": round(depth / len(sentences), 2)})


PACK = TaskPack(
    name="memory-retrieval",
    dimension="memory",
    version="2",
    templates=(
        Template("key-value", CONTEXT_LEVELS, key_value),
        Template("needle", CONTEXT_LEVELS, needle, strata=FRUITS),
    ),
    content_hashes={"1": "e2506dbff1cda354", "2": "a0bcc6549991045a"},  # version -> content_hash(); never edit old ones
    slots=32,
    frozen_seed=20250101,
)
