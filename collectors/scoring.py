"""Scorers: turn a model's raw answer into a score in [0, 1], registered by name.

Items name their scorer (`Item.scorer`) so a stored result can always be re-scored the same way.
Models rarely answer with the bare value: chat models explain first, base models keep writing
the next question. So every scorer first drops that continuation, scores a refusal 0, and looks
for the final answer after an "answer is"/"Answer:" marker before falling back to the first or
last sentence. No database, no network: pure functions of (response, expected, args).
"""

import json
import math
import re
import unicodedata
from collections.abc import Callable

import jsonschema
from text_to_num import alpha2digit

Scorer = Callable[..., float]

# Prompt labels our packs use: a model that starts such a line is echoing or inventing a prompt.
CONTINUATION = re.compile(
    r"(?:^|\n)\s*(?:Question|Passage|Review|Sentence|Instruction|Records|Document|Text):", re.I)
ANSWER_MARKER = re.compile(
    r"(?:\banswers?\b\**\s*(?:is|was|would be|will be|:|=)|####)\s*\**:?\s*", re.I)
REFUSAL = re.compile(
    r"\bas an ai\b|\bas an? (?:large )?language model\b"
    r"|^(?:i'?m sorry|i am sorry|sorry)\b[^.]{0,40}\bi (?:can(?:no|')t|can not|am unable|'m unable)"
    r"|^i (?:can(?:no|')t|can not|won'?t|am unable to|'m unable to|(?:am|'m) not able to) "
    r"(?:help|assist|answer|comply|provide|do that|fulfil)", re.I)
COPULA_ENDING = r"(?:^|.*\s)(?:is|are|was|were|be|s)\s+{}$"  # "it's" normalises to "it s"
ARTICLES = re.compile(r"\b(?:a|an|the)\b")
LIST_MARKER = re.compile(r"^\s*\d+[.)]\s+", re.M)
NUMBER = re.compile(r"(?<![\w.])[-−]?\$?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|(?<![\w.])\.\d+")
# After a leading number, the start of a sum ("40 + 2", "6 * 7", "**18** - 4"); the stars that
# close a bold number ("**42** apples") are no product sign (`?+`: once read as bold, kept so).
STARTS_SUM = re.compile(r"(?:\*\*?(?=\s|$))?+\s*[-+*/×÷=]")
JSON_FENCE = re.compile(r"^```(?:json)?\s*\n?(.*?)\n?```$", re.S | re.I)
BULLET_LINE = re.compile(r"^\s*[-*•]\s+\S", re.M)
WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")


def score(name: str, response: str | None, expected, args: dict | None = None) -> float:
    """Score one answer: 0 for an empty answer or a refusal, else the named scorer's verdict."""
    text = drop_continuation(response or "").strip()
    if not text or is_refusal(text):
        return 0.0
    value = float(SCORERS[name](text, expected, **(args or {})))
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"scorer {name} returned {value}, outside [0, 1]")
    return value


def score_item(item, response: str | None) -> float:
    """Score a response to a task-pack item with the scorer the item names."""
    return score(item.scorer, response, item.answer, item.scorer_args)


def is_refusal(text: str) -> bool:
    """True for the stock refusals ("I cannot help with that", "As an AI ..."), which score 0."""
    return bool(REFUSAL.search(text.strip()[:300].replace("’", "'")))


def drop_continuation(text: str) -> str:
    """Cut a base model's answer where it starts writing a prompt (nothing left if it echoes)."""
    match = CONTINUATION.search(text)
    return text[:match.start()] if match else text


def normalise(text: str) -> str:
    """Casefold, drop accents, punctuation and articles, collapse spaces (SQuAD-style)."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s]", " ", text.casefold())
    return " ".join(ARTICLES.sub(" ", text).split())


def marked_answer(text: str) -> str | None:
    """The line after the last "the answer is"/"Answer:" marker, if the model wrote one."""
    matches = list(ANSWER_MARKER.finditer(text))
    if not matches:
        return None
    rest = text[matches[-1].end():].strip()
    return rest.splitlines()[0] if rest else ""


def answer_spans(text: str) -> list[str]:
    """Where the answer sits: after a marker if there is one, else the first sentence (direct
    answers, "Carl. Because ...") and the last (conclusions, "... Therefore, Carl is tallest.")."""
    marked = marked_answer(text)
    if marked is not None:
        return [marked]
    sentences = [part.strip() for part in SENTENCE_BREAK.split(text) if part.strip()]
    return sentences[:1] + sentences[-1:] if len(sentences) > 1 else sentences


def exact_match(response: str, expected, aliases: tuple = ()) -> float:
    """Normalised exact match of the final answer; "It will be Friday." counts for "Friday"."""
    targets = {normalise(value) for value in (expected, *aliases)}
    for span in answer_spans(response):
        said = normalise(span)
        if said in targets or any(re.fullmatch(COPULA_ENDING.format(re.escape(t)), said)
                                  for t in targets):
            return 1.0
    return 0.0


def parse_number(token: str) -> float:
    """"$1,234.5" -> 1234.5: currency signs, thousands separators and U+2212 minus allowed."""
    return float(token.replace("$", "").replace(",", "").replace("−", "-"))


def numbers_in(text: str) -> list[float]:
    """All numbers in the text; number words ("forty-two") only when no digits are present."""
    found = NUMBER.findall(text)
    if not found:
        spelled = alpha2digit(text, "en", threshold=0)
        found = NUMBER.findall(re.sub(r"\b(?:minus|negative)\s+(?=\d)", "-", spelled, flags=re.I))
    return [parse_number(token) for token in found]


def final_number(text: str) -> float | None:
    """The number the model settled on, in order of evidence: the first after an answer
    marker; a leading number that does not start a sum ("42 apples (40 + 2)"); the first after
    the last "=" ("18 - 4 + 18 = 32"); else the last number (the end of its reasoning).

    A numbered list ("1. Add 3 ... 2. Multiply ...") would lead with its markers, so they go first.
    """
    marked = marked_answer(text)
    if marked is not None:
        return first(numbers_in(marked))
    if len(LIST_MARKER.findall(text)) > 1:
        text = LIST_MARKER.sub("", text)
    lead = NUMBER.match(text.lstrip("*( "))
    if lead and not STARTS_SUM.match(text.lstrip("*( ")[lead.end():]):
        return parse_number(lead.group())
    if "=" in text:
        return first(numbers_in(text.rsplit("=", 1)[1]))
    values = numbers_in(text)
    return values[-1] if values else None


def first(values: list[float]) -> float | None:
    return values[0] if values else None


def numeric(response: str, expected, rel_tol: float = 1e-9, abs_tol: float = 1e-6) -> float:
    """1 if the final number equals `expected` within tolerance; units and prose are ignored."""
    value = final_number(response)
    if value is None:
        return 0.0
    return float(math.isclose(value, float(expected), rel_tol=rel_tol, abs_tol=abs_tol))


def chosen_letter(text: str, options: dict[str, str]) -> str | None:
    """The option picked in the answer spans, by letter or else by its exact text; an unmarked
    answer that lists several options line by line picks none."""
    listed = re.findall(rf"^\**([{''.join(options)}])\**[).:]", text, re.M)
    if marked_answer(text) is None and len(set(listed)) > 1:
        return None
    for span in answer_spans(text):
        letter = letter_in(span, options) or option_named(span, options)
        if letter:
            return letter
    return None


def letter_in(span: str, options: dict[str, str]) -> str | None:
    """A letter given alone or marked ("(B)", "B)", "B.", "option B"); one only, so a copied
    option list is no choice. Capitals only, so the article in "A cat ..." is not a choice."""
    bare = span.rstrip(".").strip("()* ").upper()
    if bare in options:
        return bare
    letters = "".join(options)
    pattern = rf"\(([{letters}])\)|^\**([{letters}])\**[).:]|\b(?:option|choice) ([{letters}])\b"
    found = {group for match in re.finditer(pattern, span, re.M)
             for group in match.groups() if group}
    return found.pop() if len(found) == 1 else None


def option_named(span: str, options: dict[str, str]) -> str | None:
    """The one option whose text the span contains ("Paris" for "B) Paris")."""
    said = normalise(span)
    named = [letter for letter, option in options.items()
             if re.search(rf"\b{re.escape(normalise(option))}\b", said)]
    return named[0] if len(named) == 1 else None


def multiple_choice(response: str, expected: str, options: dict[str, str]) -> float:
    """1 if the answer picks the expected letter, by letter or by the option's text."""
    return float(chosen_letter(response, options) == expected)


def regex_match(response: str, expected, pattern: str, fullmatch: bool = True,
                ignore_case: bool = True) -> float:
    """1 if the final answer matches `pattern` (whole answer by default, else anywhere in it)."""
    flags = re.I if ignore_case else 0
    match = re.fullmatch if fullmatch else re.search
    return float(any(match(pattern, span.rstrip("."), flags) for span in answer_spans(response)))


def mentions(text: str, value) -> bool:
    """True if `value` appears in `text` as a whole token, ignoring case and markdown."""
    return re.search(rf"(?<![\w-]){re.escape(str(value).casefold())}(?![\w-])",
                     text.casefold().replace("*", "")) is not None


def retrieval(response: str, expected, distractors: tuple = ()) -> float:
    """1 if an answer span gives the needle/name and none of the other values the prompt
    offered: naming every value in the haystack would find the needle by luck."""
    return float(any(mentions(span, expected) and not any(mentions(span, d) for d in distractors)
                     for span in answer_spans(response)))


def strip_fence(text: str) -> str:
    """The contents of a ```json fenced block, or the text itself."""
    match = JSON_FENCE.match(text.strip())
    return match.group(1).strip() if match else text.strip()


def json_matches(text: str, schema: dict) -> bool:
    """True if the whole response (a code fence allowed) is JSON valid under `schema`."""
    try:
        jsonschema.validate(json.loads(strip_fence(text)), schema)
    except (json.JSONDecodeError, jsonschema.ValidationError):
        return False
    return True


def words(text: str) -> list[str]:
    return WORD.findall(text)


def sentence_count(text: str) -> int:
    return sum(1 for part in SENTENCE_END.split(text) if re.search(r"[^\W\d_]", part))


def within(value: int, at_least: int | None, at_most: int | None) -> bool:
    return (at_least is None or value >= at_least) and (at_most is None or value <= at_most)


def has_word(text: str, word: str) -> bool:
    return re.search(rf"\b{re.escape(word)}\b", text, re.I) is not None


def has_letters(text: str) -> bool:
    return any(char.isalpha() for char in text)


# IFEval-style verifiable instructions: each checks the whole response, never a judgement call.
CONSTRAINTS: dict[str, Callable[..., bool]] = {
    "word_count": lambda text, at_least=None, at_most=None:
        within(len(words(text)), at_least, at_most),
    "sentence_count": lambda text, at_least=None, at_most=None:
        within(sentence_count(text), at_least, at_most),
    "include_words": lambda text, words: all(has_word(text, word) for word in words),
    "forbid_words": lambda text, words: not any(has_word(text, word) for word in words),
    "json_schema": lambda text, schema: json_matches(text, schema),
    "lowercase": lambda text: has_letters(text) and text == text.lower(),
    "uppercase": lambda text: has_letters(text) and text == text.upper(),
    "bullets": lambda text, count: len(BULLET_LINE.findall(text)) == count,
    "starts_with": lambda text, phrase: text.lower().startswith(phrase.lower()),
    "ends_with": lambda text, phrase: text.lower().endswith(phrase.lower()),
}


def holds(text: str, rule: dict) -> bool:
    """Check one constraint, e.g. {"kind": "bullets", "count": 3}."""
    params = {key: value for key, value in rule.items() if key != "kind"}
    return CONSTRAINTS[rule["kind"]](text, **params)


def all_constraints_hold(response: str, expected, constraints: list[dict]) -> float:
    """1 only if every constraint holds (IFEval's strict prompt-level accuracy).

    `expected` is a reference response, used only to prove each item satisfiable.
    """
    text = response.strip()
    return float(all(holds(text, rule) for rule in constraints))


# The scorers by the names items refer to; names are part of stored results. One table rather
# than a registering decorator: mutmut (bench/mutation.py) leaves decorated functions unmutated.
SCORERS: dict[str, Scorer] = {"exact": exact_match, "numeric": numeric, "choice": multiple_choice,
                              "regex": regex_match, "retrieval": retrieval,
                              "constraints": all_constraints_hold}
