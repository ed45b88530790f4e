"""generation-constraints: writing under verifiable constraints, scored like IFEval.

Each item asks for a short text about a topic under constraints a program can check (bullet
count, letter case, JSON fields, length, required and forbidden words, opening and closing
phrases) and is scored 1 only if all hold. How difficulty is matched: the level fixes which
constraints apply and how many (bullets 2-4, JSON keys 2-4, one to three constraints); the seed
draws only the topic, words, phrases, names and numbers. Fixed items are this generator's
output at the frozen seed. The reference answer is built from the same sentences, so it proves
every item satisfiable.
"""

import json
import random

from collectors.tasks.base import Draft, TaskPack, Template
from collectors.tasks.reasoning import NAMES

TOPICS = ("the ocean", "coffee", "dogs", "winter", "trains", "gardening", "the moon", "bicycles",
          "bread", "rain", "forests", "music lessons", "old maps", "mountains", "libraries",
          "honey bees", "city parks", "kites", "lighthouses", "chess")
SENTENCES = ("The history of {t} is long and interesting.", "Learning about {t} can be fun.",
             "Some of the best stories involve {t}.", "Children and adults can both enjoy {t}.",
             "There is always something new to learn about {t}.",
             "Thinking about {t} can make a quiet afternoon pass quickly.",
             "Writers and painters have been inspired by {t}.",
             "Nobody forgets their first experience with {t}.")
REQUIRED = ("bright", "gentle", "simple", "strange", "useful", "colourful", "calm", "lively",
            "famous", "curious", "ancient", "peaceful")
FORBIDDEN = ("very", "really", "good", "nice", "many", "also", "things", "great", "people")
OPENINGS = ("In short,", "Here is my answer:", "Dear reader,", "To begin,", "Well,")
CLOSINGS = ("That is all.", "Thank you for reading.", "The end.", "Any questions?",
            "I hope this helps.")
CITIES = ("Lisbon", "Nairobi", "Oslo", "Lima", "Hanoi", "Dublin", "Quito", "Tunis")
JOBS = ("teacher", "baker", "pilot", "nurse", "farmer", "painter", "engineer", "chef")
FACTS = {"name": "named {}", "age": "who is {} years old", "city": "who lives in {}",
         "job": "who works as a {}"}
MAX_ANSWER_TOKENS = 150


def topic_sentences(rng: random.Random, count: int) -> tuple[str, list[str]]:
    """A topic and `count` distinct sentences about it (reference answers are built from them)."""
    topic = rng.choice(TOPICS)
    chosen = [sentence.format(t=topic) for sentence in rng.sample(SENTENCES, count)]
    return topic, [sentence[0].upper() + sentence[1:] for sentence in chosen]


def constrained(prompt: str, reference: str, rules: list[dict], **difficulty) -> Draft:
    """A generation item: the constraint count is always one of its difficulty proxies."""
    return Draft(f"Instruction: {prompt}\nResponse:", reference, "constraints",
                 {"constraints": rules}, {"constraints": len(rules), **difficulty},
                 MAX_ANSWER_TOKENS)


def bullets(rng: random.Random, count: int) -> Draft:
    """Exactly `count` markdown bullets about a topic."""
    topic, sentences = topic_sentences(rng, count)
    prompt = (f'Write exactly {count} bullet points about {topic}. Start each bullet with "- " '
              f"and write nothing else.")
    reference = "\n".join(f"- {sentence}" for sentence in sentences)
    return constrained(prompt, reference, [{"kind": "bullets", "count": count}], bullets=count)


def letter_case(rng: random.Random, level: int) -> Draft:
    """Level 1 all lowercase, 2 all capitals, 3 lowercase in exactly two sentences."""
    topic, sentences = topic_sentences(rng, 2 if level == 3 else 1)
    if level == 2:
        prompt = f"Write one sentence about {topic} using only capital letters."
        return constrained(prompt, sentences[0].upper(), [{"kind": "uppercase"}])
    rules = [{"kind": "lowercase"}]
    if level == 3:
        rules.append({"kind": "sentence_count", "at_least": 2, "at_most": 2})
    count = "exactly two sentences" if level == 3 else "one sentence"
    prompt = f"Write {count} about {topic} using only lowercase letters."
    return constrained(prompt, " ".join(sentences).lower(), rules)


def person(rng: random.Random) -> dict:
    """A person to describe; JSON items use the first 2-4 of these keys."""
    return {"name": rng.choice(NAMES), "age": rng.randint(18, 90), "city": rng.choice(CITIES),
            "job": rng.choice(JOBS)}


def json_object(rng: random.Random, keys: int) -> Draft:
    """A JSON object whose values the prompt states, so the schema can pin each one."""
    record = dict(list(person(rng).items())[:keys])
    facts = ", ".join(FACTS[key].format(value) for key, value in record.items())
    quoted = [f'"{key}"' for key in record]
    names = f"{', '.join(quoted[:-1])} and {quoted[-1]}"
    prompt = (f"Reply with only a JSON object with the keys {names}, describing a person "
              f"{facts}. Use a number for the age.")
    schema = {"type": "object", "required": list(record),
              "properties": {key: {"const": value} for key, value in record.items()}}
    return constrained(prompt, json.dumps(record), [{"kind": "json_schema", "schema": schema}],
                       keys=keys)


def length(rng: random.Random, level: int) -> Draft:
    """Level 1 a short word range, 2 a longer one, 3 exactly three sentences within 40 words."""
    if level == 3:
        topic, sentences = topic_sentences(rng, 3)
        prompt = f"Write exactly three sentences about {topic}, using at most 40 words in total."
        rules = [{"kind": "sentence_count", "at_least": 3, "at_most": 3},
                 {"kind": "word_count", "at_most": 40}]
        return constrained(prompt, " ".join(sentences), rules)
    low = rng.randint(5, 8) if level == 1 else rng.randint(15, 20)
    high = low + (7 if level == 1 else 15)
    topic, sentences = topic_sentences(rng, len(SENTENCES))
    words = " ".join(sentences).split()[:(low + high) // 2]
    prompt = f"Write about {topic} in {low} to {high} words."
    rules = [{"kind": "word_count", "at_least": low, "at_most": high}]
    return constrained(prompt, " ".join(words).rstrip(".,") + ".", rules, span=high - low)


def keywords(rng: random.Random, level: int) -> Draft:
    """Level 1 one required word, 2 plus a forbidden word, 3 two required and one forbidden."""
    topic, sentences = topic_sentences(rng, 1)
    required = rng.sample(REQUIRED, 2 if level == 3 else 1)
    forbidden = rng.sample(FORBIDDEN, 0 if level == 1 else 1)
    asks = [f'Use the word "{word}".' for word in required]
    asks += [f'Do not use the word "{word}".' for word in forbidden]
    prompt = f"Write one or two sentences about {topic}. {' '.join(asks)}"
    reference = f"{sentences[0]} It is {' and '.join(required)}."
    rules = [{"kind": "include_words", "words": required}]
    if forbidden:
        rules.append({"kind": "forbid_words", "words": forbidden})
    return constrained(prompt, reference, rules, words=len(required) + len(forbidden))


def framing(rng: random.Random, level: int) -> Draft:
    """Level 1 a required opening, 2 a required closing, 3 both."""
    topic, sentences = topic_sentences(rng, 1)
    opening = rng.choice(OPENINGS) if level in (1, 3) else ""
    closing = rng.choice(CLOSINGS) if level in (2, 3) else ""
    asks, rules = [], []
    if opening:
        asks.append(f'start your reply with "{opening}"')
        rules.append({"kind": "starts_with", "phrase": opening})
    if closing:
        asks.append(f'end your reply with "{closing}"')
        rules.append({"kind": "ends_with", "phrase": closing})
    prompt = f"Write a short reply about {topic}, and {' and '.join(asks)}."
    body = sentences[0][0].lower() + sentences[0][1:] if opening else sentences[0]
    reference = " ".join(part for part in (opening, body, closing) if part)
    return constrained(prompt, reference, rules)


PACK = TaskPack(
    name="generation-constraints",
    dimension="generation",
    version="1",
    templates=(
        Template("bullets", (2, 3, 4), bullets),
        Template("letter-case", (1, 2, 3), letter_case),
        Template("json-object", (2, 3, 4), json_object),
        Template("length", (1, 2, 3), length),
        Template("keywords", (1, 2, 3), keywords),
        Template("framing", (1, 2, 3), framing),
    ),
    content_hashes={"1": "02b12fc56a461595"},  # version -> content_hash(); never edit old ones
    slots=36,
    frozen_seed=20250101,
)
