"""reasoning-core: arithmetic chains, word problems, calendar reasoning, ordering and logic.

How difficulty is matched: every template fixes its difficulty by level (the number of
operations, days or months to count, people to order) and draws only the surface from the seed
(names, objects, numbers within the level's operand range). Fixed items are this generator's
output at the frozen seed, so a fresh item in slot i is the fixed item of slot i with other
entities and numbers. Answers are one number, weekday, month, name or yes/no.
"""

import random

from collectors.tasks.base import Draft, TaskPack, Template

NAMES = ("Anna", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
         "Kofi", "Lena", "Marco", "Nadia", "Omar", "Priya", "Rosa", "Sami", "Tara", "Victor",
         "Wei", "Yusuf", "Zoe", "Aiko", "Bruno", "Chloe", "Felix", "Hana", "Ivan", "Julia",
         "Kenji", "Leila", "Mateo", "Nora", "Oscar", "Paula", "Ravi", "Sofia", "Tomas", "Ursula")
THINGS = ("apples", "pencils", "stickers", "marbles", "cookies", "stamps", "shells", "cards",
          "books", "coins", "buttons", "balloons", "candles", "oranges", "eggs", "beads")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
# Comparatives whose order the puzzle fixes: (bigger-than word, extreme-top, extreme-bottom).
SCALES = (("taller than", "tallest", "shortest"), ("older than", "oldest", "youngest"),
          ("faster than", "fastest", "slowest"), ("heavier than", "heaviest", "lightest"))
# Room for a chat model to reason before it answers (base models answer in a few tokens).
ANSWER_TOKENS = 256
# Level -> how far to count: within a week/year, across one wrap, across several. Whole weeks
# or years are left out: their answer is the day or month the prompt names, which a model
# repeating the prompt ("Today is Tuesday.") would get right by accident.
WEEKDAY_DAYS = {1: range(1, 7), 2: range(8, 21), 3: range(21, 61)}
MONTH_COUNTS = {1: range(1, 6), 2: range(6, 12), 3: range(13, 31)}


def apply_step(rng: random.Random, value: int) -> tuple[str, int]:
    """One operation on `value`, kept small and never negative so small models can follow."""
    kind = rng.choice(("add", "subtract", "multiply")) if value <= 60 else "subtract"
    if kind == "add":
        operand = rng.randint(2, 20)
        return f"add {operand}", value + operand
    if kind == "multiply":
        operand = rng.randint(2, 4)
        return f"multiply by {operand}", value * operand
    operand = rng.randint(1, max(1, min(20, value)))
    return f"subtract {operand}", value - operand


def arithmetic_chain(rng: random.Random, steps: int) -> Draft:
    """A start number and `steps` operations; the largest intermediate value is a proxy too."""
    value = start = largest = rng.randint(2, 20)
    phrases = []
    for _ in range(steps):
        phrase, value = apply_step(rng, value)
        phrases.append(phrase)
        largest = max(largest, value)
    prompt = (f"Question: Start with {start}. Then {', then '.join(phrases)}. "
              f"What number do you get?\nAnswer:")
    return Draft(prompt, value, "numeric", {}, {"steps": steps, "largest": largest},
                 ANSWER_TOKENS)


def word_problem(rng: random.Random, operations: int) -> Draft:
    """The arithmetic chain told as a story about one person's things."""
    name, thing = rng.choice(NAMES), rng.choice(THINGS)
    count = largest = rng.randint(5, 20)
    sentences = [f"{name} has {count} {thing}."]
    for _ in range(operations):
        sentence, count = word_problem_step(rng, name, thing, count)
        sentences.append(sentence)
        largest = max(largest, count)
    prompt = (f"Question: {' '.join(sentences)} How many {thing} does {name} have now?\n"
              f"Answer:")
    return Draft(prompt, count, "numeric", {}, {"steps": operations, "largest": largest},
                 ANSWER_TOKENS)


def word_problem_step(rng: random.Random, name: str, thing: str, count: int) -> tuple[str, int]:
    """One event in a word problem: giving away, buying more, or buying packs of several."""
    friend = rng.choice([other for other in NAMES if other != name])
    kind = rng.choice(("give", "buy", "packs"))
    if kind == "give" and count > 1:
        given = rng.randint(1, min(count - 1, 12))
        return f"{name} gives {given} to {friend}.", count - given
    if kind == "packs":
        packs, size = rng.randint(2, 4), rng.randint(2, 6)
        return f"{name} buys {packs} packs with {size} {thing} in each pack.", count + packs * size
    bought = rng.randint(2, 15)
    return f"{name} buys {bought} more.", count + bought


def weekday_offset(rng: random.Random, level: int) -> Draft:
    """Counting days modulo 7; the level sets how many days."""
    start, days = rng.randrange(7), rng.choice([n for n in WEEKDAY_DAYS[level] if n % 7])
    answer = WEEKDAYS[(start + days) % 7]
    prompt = (f"Question: Today is {WEEKDAYS[start]}. What day of the week will it be in "
              f"{days} days?\nAnswer:")
    return Draft(prompt, answer, "exact", {}, {"count": days}, ANSWER_TOKENS)


def month_offset(rng: random.Random, level: int) -> Draft:
    """Counting months modulo 12; the level sets how many months."""
    start, months = rng.randrange(12), rng.choice([n for n in MONTH_COUNTS[level] if n % 12])
    answer = MONTHS[(start + months) % 12]
    prompt = (f"Question: It is {MONTHS[start]} now. Which month will it be {months} months "
              f"from now?\nAnswer:")
    return Draft(prompt, answer, "exact", {}, {"count": months}, ANSWER_TOKENS)


def ranked_people(rng: random.Random, people: int) -> tuple[list[str], tuple[str, str, str], str]:
    """People from top to bottom of a scale, and the shuffled chain of facts that orders them."""
    ranking, scale = rng.sample(NAMES, people), rng.choice(SCALES)
    facts = [f"{ranking[i]} is {scale[0]} {ranking[i + 1]}." for i in range(people - 1)]
    rng.shuffle(facts)
    return ranking, scale, " ".join(facts)


def ordering(rng: random.Random, people: int) -> Draft:
    """Chain the shuffled facts to find the top or bottom; other names are distractors."""
    ranking, scale, facts = ranked_people(rng, people)
    top = rng.random() < 0.5
    answer = ranking[0] if top else ranking[-1]
    prompt = f"Question: {facts} Who is the {scale[1] if top else scale[2]}?\nAnswer:"
    distractors = [name for name in ranking if name != answer]
    return Draft(prompt, answer, "retrieval", {"distractors": distractors}, {"people": people},
                 ANSWER_TOKENS)


def comparison(rng: random.Random, people: int) -> Draft:
    """Yes/no on a pair the facts only relate through others (never a stated fact)."""
    ranking, scale, facts = ranked_people(rng, people)
    high = rng.randrange(people - 2)
    low = rng.randrange(high + 2, people)
    first, second = (ranking[high], ranking[low]) if rng.random() < 0.5 else \
        (ranking[low], ranking[high])
    answer = "yes" if first == ranking[high] else "no"
    prompt = f"Question: {facts} Is {first} {scale[0]} {second}? Answer yes or no.\nAnswer:"
    distractors = ["no" if answer == "yes" else "yes"]
    return Draft(prompt, answer, "retrieval", {"distractors": distractors}, {"people": people},
                 ANSWER_TOKENS)


PACK = TaskPack(
    name="reasoning-core",
    dimension="reasoning",
    version="1",
    templates=(
        Template("arithmetic-chain", (2, 3, 4), arithmetic_chain),
        Template("word-problem", (1, 2, 3), word_problem),
        Template("weekday-offset", tuple(WEEKDAY_DAYS), weekday_offset),
        Template("month-offset", tuple(MONTH_COUNTS), month_offset),
        Template("ordering", (3, 4, 5), ordering),
        Template("comparison", (3, 4, 5), comparison),
    ),
    content_hashes={"1": "91cb7a1ec08f224e"},  # version -> content_hash(); never edit old ones
    slots=36,
    frozen_seed=20250101,
)
