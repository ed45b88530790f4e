"""understanding-core: reading a short passage, sentiment, topic and word meaning.

How difficulty is matched: the level fixes the passage's people (2-4, so 4-8 sentences), the
review's clauses (1-3) or the number of options (2-4); the seed draws only names, places,
objects, clauses and options. Every passage person has their own place and object, so each
question has exactly one answer. Fixed items are this generator's output at the frozen seed.
"""

import random

from collectors.tasks.base import Draft, TaskPack, Template
from collectors.tasks.reasoning import NAMES

PLACES = ("bakery", "pharmacy", "bookshop", "florist", "market", "cafe", "museum", "station",
          "toyshop", "butcher", "cinema", "harbour", "kiosk", "boutique")
OBJECTS = ("a lamp", "a scarf", "an umbrella", "a kite", "a map", "a candle", "a notebook",
           "a teapot", "a clock", "a basket", "a blanket", "a pillow", "a mirror", "a vase",
           "a wallet", "a hat", "a comb", "a puzzle")
VISITS = ("{name} went to the {place} and bought {thing}.",
          "At the {place}, {name} bought {thing}.",
          "{name} stopped at the {place} to buy {thing}.",
          "{name} walked to the {place} and paid for {thing}.")
FILLERS = ("The sky was grey that morning.", "It had rained the night before.",
           "The streets were busy.", "A bus passed by slowly.", "The air smelled of coffee.",
           "Church bells rang in the distance.", "A cold wind blew from the north.",
           "Most shops opened at nine.", "Pigeons gathered in the square.",
           "The pavement was still wet.", "A delivery van was parked outside.",
           "Children were playing in the park.")
REVIEWED = ("the hotel", "this blender", "the restaurant", "this phone", "the tour", "this jacket",
            "the hair salon", "this lawn mower", "the dentist", "this backpack", "the gym")
CLAUSES = {
    "positive": ("it exceeded my expectations", "the quality is excellent",
                 "it was worth every penny", "I would recommend it to anyone",
                 "everything worked perfectly", "the staff were friendly and helpful",
                 "I loved it", "I will definitely come back", "it made me very happy"),
    "negative": ("it was a complete waste of money", "I was very disappointed",
                 "the quality is terrible", "I would not recommend it",
                 "nothing worked as promised", "the staff were rude and slow",
                 "I regret paying for it", "it broke almost at once", "it made me angry"),
}
TOPICS = {
    "sports": ("{name} scored twice in the second half of the match.",
               "The team trained on the pitch before the final.",
               "{name} won the race and received a gold medal."),
    "cooking": ("{name} chopped the onions and stirred them into the soup.",
                "{name} baked the bread in a hot oven for forty minutes.",
                "{name} added a pinch of salt to the boiling pasta."),
    "weather": ("Heavy rain and strong winds are expected tonight.",
                "Tomorrow will be sunny with a light breeze.",
                "Snow is forecast to fall across the hills this weekend."),
    "music": ("{name} played a slow song on the piano.",
              "The band tuned their guitars before the concert.",
              "{name} sang the chorus while the drummer kept time."),
    "travel": ("{name} packed a suitcase and caught an early flight abroad.",
               "{name} booked a hotel room near the beach for the holiday.",
               "{name} showed a passport at the border crossing."),
}
SYNONYMS = (("big", "large"), ("small", "tiny"), ("happy", "glad"), ("fast", "quick"),
            ("begin", "start"), ("finish", "end"), ("clever", "smart"), ("angry", "furious"),
            ("sad", "unhappy"), ("hard", "difficult"), ("easy", "simple"), ("rich", "wealthy"),
            ("quiet", "silent"), ("choose", "select"), ("gift", "present"), ("help", "assist"),
            ("buy", "purchase"), ("talk", "speak"), ("ill", "sick"), ("loud", "noisy"),
            ("error", "mistake"), ("shout", "yell"), ("hide", "conceal"), ("odd", "strange"),
            ("brave", "courageous"), ("tired", "sleepy"), ("cold", "chilly"), ("scared", "afraid"),
            ("road", "street"), ("shop", "store"), ("wet", "damp"), ("story", "tale"),
            ("mend", "repair"), ("gather", "collect"), ("jump", "leap"), ("rock", "stone"))
LETTERS = "ABCD"


def passage(rng: random.Random, people: int) -> tuple[str, list[tuple[str, str, str]]]:
    """A passage where each person visits their own place and buys their own thing."""
    visits = list(zip(rng.sample(NAMES, people), rng.sample(PLACES, people),
                      rng.sample(OBJECTS, people)))
    sentences = [rng.choice(VISITS).format(name=name, place=place, thing=thing)
                 for name, place, thing in visits]
    sentences += rng.sample(FILLERS, people)
    rng.shuffle(sentences)
    return " ".join(sentences), visits


def passage_who(rng: random.Random, people: int) -> Draft:
    """Who went to a place: the other people in the passage are distractors."""
    text, visits = passage(rng, people)
    name, place, _ = rng.choice(visits)
    prompt = f"Passage: {text}\nQuestion: Who went to the {place}?\nAnswer:"
    others = [other for other, _, _ in visits if other != name]
    return Draft(prompt, name, "retrieval", {"distractors": others}, {"sentences": 2 * people})


def passage_where(rng: random.Random, people: int) -> Draft:
    """Where someone bought something: the other places in the passage are distractors."""
    text, visits = passage(rng, people)
    name, place, thing = rng.choice(visits)
    prompt = f"Passage: {text}\nQuestion: Where did {name} buy {thing}?\nAnswer:"
    others = [other for _, other, _ in visits if other != place]
    return Draft(prompt, place, "retrieval", {"distractors": others}, {"sentences": 2 * people})


def lettered(rng: random.Random, correct: str, wrong: list[str]) -> tuple[str, dict[str, str]]:
    """Options in random order under letters A, B...; returns the correct letter and options."""
    choices = [correct, *wrong]
    rng.shuffle(choices)
    options = dict(zip(LETTERS, choices))
    return LETTERS[choices.index(correct)], options


def option_lines(options: dict[str, str]) -> str:
    return "\n".join(f"{letter}) {text}" for letter, text in options.items())


def passage_what(rng: random.Random, people: int) -> Draft:
    """Multiple choice whose wrong options include the other people's purchases."""
    text, visits = passage(rng, people)
    name, _, thing = rng.choice(visits)
    bought = [other for _, _, other in visits if other != thing]
    unbought = [other for other in OBJECTS if other not in bought and other != thing]
    letter, options = lettered(rng, thing, bought + rng.sample(unbought, 4 - people))
    prompt = (f"Passage: {text}\nQuestion: What did {name} buy?\n{option_lines(options)}\n"
              f"Answer:")
    return Draft(prompt, letter, "choice", {"options": options},
                 {"sentences": 2 * people, "options": 4})


def sentiment(rng: random.Random, clauses: int) -> Draft:
    """A review whose clauses all share one polarity, so the label is never a judgement call."""
    label = rng.choice(sorted(CLAUSES))
    said = [clause[0].upper() + clause[1:] for clause in rng.sample(CLAUSES[label], clauses)]
    review = f"Review of {rng.choice(REVIEWED)}: {'. '.join(said)}."
    prompt = f"{review}\nQuestion: Is this review positive or negative?\nAnswer:"
    other = "negative" if label == "positive" else "positive"
    return Draft(prompt, label, "retrieval", {"distractors": [other]}, {"clauses": clauses})


def topic(rng: random.Random, options_count: int) -> Draft:
    """Classify a sentence among 2-4 topics, lettered."""
    label = rng.choice(sorted(TOPICS))
    sentence = rng.choice(TOPICS[label]).format(name=rng.choice(NAMES))
    wrong = rng.sample([other for other in sorted(TOPICS) if other != label], options_count - 1)
    letter, options = lettered(rng, label, wrong)
    prompt = (f"Sentence: {sentence}\nQuestion: Which topic is this sentence about?\n"
              f"{option_lines(options)}\nAnswer:")
    return Draft(prompt, letter, "choice", {"options": options}, {"options": options_count})


def word_meaning(rng: random.Random, options_count: int) -> Draft:
    """Synonym choice; wrong options come from other pairs, so none means the same."""
    pairs = rng.sample(SYNONYMS, options_count)
    word, same = pairs[0] if rng.random() < 0.5 else pairs[0][::-1]
    wrong = [rng.choice(pair) for pair in pairs[1:]]
    letter, options = lettered(rng, same, wrong)
    prompt = (f'Question: Which word means the same as "{word}"?\n{option_lines(options)}\n'
              f"Answer:")
    return Draft(prompt, letter, "choice", {"options": options}, {"options": options_count})


PACK = TaskPack(
    name="understanding-core",
    dimension="understanding",
    version="1",
    templates=(
        Template("passage-who", (2, 3, 4), passage_who),
        Template("passage-where", (2, 3, 4), passage_where),
        Template("passage-what", (2, 3, 4), passage_what),
        Template("sentiment", (1, 2, 3), sentiment),
        Template("topic", (2, 3, 4), topic),
        Template("word-meaning", (2, 3, 4), word_meaning),
    ),
    content_hashes={"1": "b794da0e8d1a6b2d"},  # version -> content_hash(); never edit old ones
    slots=36,
    frozen_seed=20250101,
)
