"""Scorers on the answers models really give: prose around the answer, units, number words,
markdown, code fences, refusals and base models that carry on writing the next question."""

import pytest

from collectors.scoring import SCORERS, is_refusal, normalise, score

OPTIONS = {"A": "London", "B": "Paris", "C": "Rome", "D": "Madrid"}


@pytest.mark.parametrize("response", [
    "42", "42.0", "42 apples", "$42", "$42.00", "forty-two", "Forty two.", "42.",
    "Let me think... 40 + 2 = 42, so the answer is 42.", "The answer is 42 (because 40 + 2).",
    "Answer: 42", "**42**", "  42\n", "#### 42", "It comes to 42 apples in total.",
    "1. Start with 40.\n2. Add 2 to get 42.", "42\n\nQuestion: What is 3 + 4?\nAnswer: 7",
    "40 + 2 = 42", "12 + 30 = 42 apples", "42\n(because 40 + 2 = 42)", "42 apples (40 + 2)",
    "First 50 - 10 = 40, then 40 + 2 = 42.",
])
def test_numeric_finds_the_final_number(response):
    assert score("numeric", response, 42) == 1.0


@pytest.mark.parametrize("response,expected", [
    ("1,234", 1234), ("$1,234.50", 1234.5), ("-7", -7), ("The result is −7.", -7),
    ("minus seven", -7), ("0.5", 0.5), ("one hundred and five", 105), ("zero", 0),
])
def test_numeric_formats(response, expected):
    assert score("numeric", response, expected) == 1.0


@pytest.mark.parametrize("response", [
    "41", "the answer is 41, not 42", "4.2", "420", "I don't know", "", None,
    "I cannot help with that.", "1,2,3,4",
])
def test_numeric_rejects_wrong_answers(response):
    assert score("numeric", response, 42) == 0.0


def test_numeric_tolerance_is_an_argument():
    assert score("numeric", "3.14", 3.14159, {"abs_tol": 0.01}) == 1.0
    assert score("numeric", "3.14", 3.14159) == 0.0


@pytest.mark.parametrize("response", [
    "Friday", "friday", "Friday.", " FRIDAY! ", "**Friday**", "The answer is Friday.",
    "It will be Friday.", "It's Friday.", "Let me count: Tuesday plus 10 days.\nSo it is Friday.",
    "Friday\nQuestion: What day is it?", "Let me count. Tuesday plus 10 days is Friday.",
])
def test_exact_match_is_normalised(response):
    assert score("exact", response, "Friday") == 1.0


@pytest.mark.parametrize("response", ["Thursday", "Friday or Saturday", "not sure", "Fri"])
def test_exact_match_rejects_other_answers(response):
    assert score("exact", response, "Friday") == 0.0


def test_exact_match_aliases():
    assert score("exact", "NYC", "New York", {"aliases": ["NYC"]}) == 1.0


@pytest.mark.parametrize("response", [
    "B", "b", "(B)", "B.", "B) Paris", "The answer is (B).", "Answer: B", "**B**",
    "Paris", "The capital is Paris.", "I choose option B.", "B\nQuestion: next one",
])
def test_choice_by_letter_or_text(response):
    assert score("choice", response, "B", {"options": OPTIONS}) == 1.0


def test_choice_rejects_a_copied_option_list():
    echoed = "Question: Which city is the capital of France?\nA) London\nB) Paris"
    assert score("choice", echoed, "B", {"options": OPTIONS}) == 0.0
    for letter in "ABC":
        assert score("choice", "A) London\nB) Paris\nC) Rome", letter, {"options": OPTIONS}) == 0
    assert score("choice", "B\n\nA) is wrong: London is in England.", "B",
                 {"options": OPTIONS}) == 1.0


def test_an_echoed_prompt_scores_zero():
    assert score("retrieval", "Passage: Carl went home.\nQuestion: Who went home?", "Carl") == 0.0


@pytest.mark.parametrize("response", [
    "A", "(C)", "London", "Paris or London", "A cat would say Rome.", "The answer is (D).",
    "As an AI, I think it is B.",
])
def test_choice_rejects_other_options(response):
    assert score("choice", response, "B", {"options": OPTIONS}) == 0.0


@pytest.mark.parametrize("response,expected", [
    ("2024-05-03", 1.0), ("The answer is 2024-05-03.", 1.0), ("May 3, 2024", 0.0),
    ("2024-5-3", 0.0),
])
def test_regex_on_the_final_answer(response, expected):
    assert score("regex", response, None, {"pattern": r"\d{4}-\d{2}-\d{2}"}) == expected


def test_regex_search_mode_and_case():
    args = {"pattern": "blue", "fullmatch": False}
    assert score("regex", "It is BLUE, I think.", None, args) == 1.0
    assert score("regex", "It is BLUE.", None, {**args, "ignore_case": False}) == 0.0


@pytest.mark.parametrize("response", [
    "plum-4821", "The password is plum-4821.", "**plum-4821**", "PLUM-4821",
    "The answer is: plum-4821", "plum-4821\nQuestion: what else?",
])
def test_retrieval_finds_the_needle(response):
    assert score("retrieval", response, "plum-4821") == 1.0


@pytest.mark.parametrize("response", ["plum-482", "plum-48210", "plum", "I do not know."])
def test_retrieval_needs_the_exact_value(response):
    assert score("retrieval", response, "plum-4821") == 0.0


def test_retrieval_rejects_answers_that_list_every_value():
    args = {"distractors": ["9056", "1203"]}
    assert score("retrieval", "4821", "4821", args) == 1.0
    assert score("retrieval", "4821, 9056 or 1203", "4821", args) == 0.0
    assert score("retrieval", "Let me look.\nThe code is 4821.", "4821", args) == 1.0


def test_retrieval_names_and_yes_no():
    args = {"distractors": ["Anna", "Ben"]}
    assert score("retrieval", "Carl is the shortest.", "Carl", args) == 1.0
    assert score("retrieval", "Carl. Anna is taller than Ben, Ben than Carl.", "Carl", args) == 1.0
    assert score("retrieval", "Anna is taller than Ben and Ben than Carl. Therefore, Carl is "
                              "the shortest.", "Carl", args) == 1.0
    assert score("retrieval", "Anna or Carl.", "Carl", args) == 0.0
    assert score("retrieval", "Anna", "Carl", args) == 0.0
    assert score("retrieval", "Yes, she is.", "yes", {"distractors": ["no"]}) == 1.0
    assert score("retrieval", "No.", "yes", {"distractors": ["no"]}) == 0.0


def rules(*constraints):
    return {"constraints": list(constraints)}


@pytest.mark.parametrize("response,constraint,expected", [
    ("one two three four five", {"kind": "word_count", "at_least": 5, "at_most": 5}, 1.0),
    ("one two three", {"kind": "word_count", "at_least": 5}, 0.0),
    ("It's a well-known fact.", {"kind": "word_count", "at_most": 4}, 1.0),
    ("First one. Second one! Third?", {"kind": "sentence_count", "at_least": 3, "at_most": 3}, 1.0),
    ("Only one sentence here.", {"kind": "sentence_count", "at_least": 2}, 0.0),
    ("The sea is calm.", {"kind": "include_words", "words": ["calm", "sea"]}, 1.0),
    ("The sea is calmer.", {"kind": "include_words", "words": ["calm"]}, 0.0),
    ("It is Very nice.", {"kind": "forbid_words", "words": ["very"]}, 0.0),
    ("Every day.", {"kind": "forbid_words", "words": ["very"]}, 1.0),
    ("all lower case here.", {"kind": "lowercase"}, 1.0),
    ("Not all lower.", {"kind": "lowercase"}, 0.0),
    ("123 !!!", {"kind": "lowercase"}, 0.0),
    ("ALL CAPS, 100%!", {"kind": "uppercase"}, 1.0),
    ("ALL CAPs", {"kind": "uppercase"}, 0.0),
    ("- one\n- two\n- three", {"kind": "bullets", "count": 3}, 1.0),
    ("* one\n* two\n• three", {"kind": "bullets", "count": 3}, 1.0),
    ("Here you go:\n- one\n- two", {"kind": "bullets", "count": 3}, 0.0),
    ("- one\n- two\n- three\n- four", {"kind": "bullets", "count": 3}, 0.0),
    ("In short, yes.", {"kind": "starts_with", "phrase": "In short,"}, 1.0),
    ("Well, in short, yes.", {"kind": "starts_with", "phrase": "In short,"}, 0.0),
    ("Done. That is all.  ", {"kind": "ends_with", "phrase": "That is all."}, 1.0),
    ("That is all. Bye.", {"kind": "ends_with", "phrase": "That is all."}, 0.0),
])
def test_single_constraints(response, constraint, expected):
    assert score("constraints", response, None, rules(constraint)) == expected


PERSON = {"kind": "json_schema", "schema": {
    "type": "object", "required": ["name", "age"],
    "properties": {"name": {"const": "Ana"}, "age": {"const": 31}}}}


@pytest.mark.parametrize("response,expected", [
    ('{"name": "Ana", "age": 31}', 1.0),
    ('```json\n{"name": "Ana", "age": 31}\n```', 1.0),
    ('```\n{"age": 31, "name": "Ana", "city": "Oslo"}\n```', 1.0),
    ('{"name": "Ana", "age": "31"}', 0.0),
    ('{"name": "Ana"}', 0.0),
    ("{'name': 'Ana', 'age': 31}", 0.0),
    ('Sure! {"name": "Ana", "age": 31}', 0.0),
])
def test_json_schema_constraint(response, expected):
    assert score("constraints", response, None, rules(PERSON)) == expected


def test_constraints_must_all_hold():
    both = rules({"kind": "lowercase"}, {"kind": "word_count", "at_most": 3})
    assert score("constraints", "short and low", None, both) == 1.0
    assert score("constraints", "short and low here", None, both) == 0.0
    assert score("constraints", "Short and low", None, both) == 0.0


@pytest.mark.parametrize("text", [
    "I cannot help with that.", "I can't assist with this request.",
    "I’m sorry, but I can’t do that.",
    "I'm sorry, I am unable to answer.", "As an AI language model, I do not have opinions.",
    "As a large language model, I cannot know that.", "I won't help with that.",
])
def test_refusals_are_detected_and_score_zero(text):
    assert is_refusal(text)
    assert score("constraints", text.lower(), None, rules({"kind": "lowercase"})) == 0.0
    assert score("exact", text, text) == 0.0


@pytest.mark.parametrize("text", [
    "I cannot believe how calm the sea is.", "Sorry to hear it rained.", "The answer is 12.",
    "I can help: the answer is B.",
])
def test_ordinary_answers_are_not_refusals(text):
    assert not is_refusal(text)


def test_normalise_drops_case_accents_punctuation_and_articles():
    assert normalise("  The Café,  déjà-vu! ") == "cafe deja vu"


# One right and one wrong answer per registered scorer: (expected, args, right, wrong).
EVERY_SCORER = {
    "exact": ("Friday", {}, "It will be Friday.", "Thursday"),
    "numeric": (42, {}, "So the answer is 42.", "The answer is 41."),
    "choice": ("B", {"options": OPTIONS}, "The answer is (B).", "A"),
    "regex": (None, {"pattern": r"\d{4}-\d{2}-\d{2}"}, "2024-05-03", "May 3, 2024"),
    "retrieval": ("plum-4821", {}, "The password is plum-4821.", "plum-482"),
    "constraints": (None, {"constraints": [{"kind": "lowercase"}]}, "all quiet here", "Not So"),
}


def test_every_scorer_scores_a_right_answer_one_a_wrong_one_zero_and_an_empty_one_zero():
    """Each scorer by its registered name (a scorer added without a case here fails)."""
    assert set(SCORERS) == set(EVERY_SCORER)
    for name, (expected, args, right, wrong) in EVERY_SCORER.items():
        assert (score(name, right, expected, args), score(name, wrong, expected, args),
                score(name, "", expected, args)) == (1.0, 0.0, 0.0), name


def test_unknown_scorer_is_an_error():
    with pytest.raises(KeyError):
        score("no-such-scorer", "42", 42)


# Answers that tell the rules apart (each kills a defect the mutation bench put in; see
# docs/performance.md): (scorer, response, expected, args, score).
EDGES = {
    "a middle sentence is not the answer": ("exact", "Let me think. Friday. No wait, it will be "
                                            "Thursday.", "Friday", {}, 0.0),
    "two options listed, no choice (A)": ("choice", "A) London\nB) Paris", "A", {"options": OPTIONS}, 0.0),
    "two options listed, no choice (B)": ("choice", "A) London\nB) Paris", "B", {"options": OPTIONS}, 0.0),
    "two options named, no choice": ("choice", "Paris or London", "A", {"options": OPTIONS}, 0.0),
    "no option named": ("choice", "I do not know.", "B", {"options": OPTIONS}, 0.0),
    "the last list item": ("numeric", "1. Add 3 and 4.\n2. 7", 7, {}, 1.0),
    "a leading number, not a list": ("numeric", "42. That is my answer.", 42, {}, 1.0),
    "a bold leading number before its sum": ("numeric", "**42** apples (40 + 2)", 42, {}, 1.0),
    "a bold number that starts a sum": ("numeric", "**18** - 4 = 14", 14, {}, 1.0),
    "a bracketed sum, then its result": ("numeric", "(3 + 4) = 7", 7, {}, 1.0),
    "the number after the last =": ("numeric", "3 + 4 = 7 apples for the 2 kids", 7, {}, 1.0),
    "a marker with no number": ("numeric", "The answer is unknown.", 42, {}, 0.0),
    "a marker with nothing after it": ("numeric", "So the answer is", 42, {}, 0.0),
    "a capitalised spelled minus": ("numeric", "Minus five.", -5, {}, 1.0),
    "the date inside a sentence is not the whole answer": (
        "regex", "The date is 2024-05-03 or so", None, {"pattern": r"\d{4}-\d{2}-\d{2}"}, 0.0),
    "no answer at all, even for a pattern any text meets": ("regex", None, None, {"pattern": ".*"}, 0.0),
}


@pytest.mark.parametrize("name, response, expected, args, scored", EDGES.values(), ids=EDGES.keys())
def test_answers_that_tell_the_rules_apart(name, response, expected, args, scored):
    assert score(name, response, expected, args) == scored


def test_a_scorer_out_of_range_is_an_error_naming_it(monkeypatch):
    monkeypatch.setitem(SCORERS, "broken", lambda response, expected: 1.5)
    with pytest.raises(ValueError, match=r"^scorer broken returned 1.5, outside \[0, 1\]$"):
        score("broken", "anything", None)
