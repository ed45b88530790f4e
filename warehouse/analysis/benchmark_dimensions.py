"""Which capability dimension each Epoch Benchmarking Hub benchmark measures, and why.

The table is versioned like a task pack: `MAPPING_VERSION` is part of every per-dimension
series' `series_id` (`dimension:<dimension>@<version>`), so changing a row is a method change,
never a silent re-labelling of an existing series. docs/dimensions.md shows the same table with
the reasons; tests/test_dimension_series.py fails when the two disagree.

Dimensions follow the claim GapWatch tests: understanding (knowledge and comprehension),
generation (producing working artefacts: code, apps, prose), reasoning (multi-step maths,
logic and commonsense inference) and memory (recall of facts and of long inputs). Benchmarks
that mix several skills (LiveBench), test agents in environments, vision or geography stay
unmapped: they would blur whichever dimension they joined.
"""

MAPPING_VERSION = "2026-12-02"
# The four capability dimensions, for task packs (collectors.tasks.base) and benchmarks alike:
# defined here only, the lowest layer that needs them.
DIMENSIONS = ("understanding", "generation", "reasoning", "memory")

BENCHMARKS: dict[str, tuple[str, str]] = {
    # understanding: knowledge and reading comprehension, multiple choice or short answers
    "mmlu": ("understanding", "57-subject knowledge and comprehension, multiple choice"),
    "gpqa_diamond": ("understanding", "graduate science questions; expert knowledge, "
                                      "'Google-proof' comprehension"),
    "arc_ai2": ("understanding", "grade-school science questions"),
    "bool_q": ("understanding", "yes/no questions about a passage: reading comprehension"),
    "open_book_qa": ("understanding", "science facts applied to new questions"),
    "science_qa": ("understanding", "science questions with context"),
    "lambada": ("understanding", "predicting a passage's last word needs the whole passage"),
    "adversarial_nli": ("understanding", "natural language inference on adversarial pairs"),
    "superglue": ("understanding", "language understanding suite"),
    # generation: the model must produce a working artefact, judged by running or by people
    "aider_polyglot": ("generation", "edits code in six languages; judged by unit tests"),
    "swe_bench_verified": ("generation", "writes patches for real GitHub issues; tests run"),
    "webdev_arena": ("generation", "builds web apps; people vote (Elo)"),
    "terminalbench": ("generation", "produces working shell solutions to terminal tasks"),
    "weirdml": ("generation", "writes working ML code for unusual tasks"),
    "cybench": ("generation", "writes exploits for capture-the-flag tasks"),
    "cad_eval": ("generation", "writes CAD code for a described part"),
    "gso": ("generation", "writes faster versions of real software"),
    "lech_mazur_writing": ("generation", "short-story writing graded against a rubric"),
    # reasoning: multi-step maths, logic puzzles and commonsense inference
    "gsm8k": ("reasoning", "multi-step grade-school maths word problems"),
    "math_level_5": ("reasoning", "hardest level of competition maths (MATH)"),
    "otis_mock_aime_2024_2025": ("reasoning", "AIME-style competition maths, 2024-2025 problems"),
    "frontiermath": ("reasoning", "research-level maths, held out by Epoch"),
    "frontiermath_tier_4": ("reasoning", "FrontierMath's hardest tier"),
    "bbh": ("reasoning", "BIG-Bench Hard: multi-step logic and algorithmic tasks"),
    "arc_agi": ("reasoning", "abstract pattern induction from few examples"),
    "simplebench": ("reasoning", "trick questions on spatial, temporal and social reasoning"),
    "wino_grande": ("reasoning", "pronoun resolution that needs commonsense inference"),
    "hella_swag": ("reasoning", "commonsense inference about what happens next"),
    "piqa": ("reasoning", "physical commonsense: which solution works"),
    "common_sense_qa_2": ("reasoning", "commonsense yes/no inference"),
    # memory: recall of facts seen in training, and of long inputs
    "trivia_qa": ("memory", "closed-book recall of trivia facts"),
    "fictionlivebench": ("memory", "recalls and tracks details across long stories "
                                   "(long context)"),
}

UNMAPPED: dict[str, str] = {
    "live_bench": "mixes maths, coding, reasoning, language and data tasks in one score",
    "metr_time_horizons": "length of agentic software tasks, in minutes; an agent measure",
    "os_world": "computer-use agent in a desktop environment",
    "os_universe": "computer-use agent in a desktop environment",
    "the_agent_company": "office-work agent",
    "balrog": "game-playing agent",
    "factorio_learning_environment": "game-playing agent, unbounded score",
    "deepresearchbench": "research agent with web tools",
    "geobench": "image geolocation (vision)",
    "vpct": "visual physics prediction (vision)",
}


def dimension_of(benchmark: str) -> str | None:
    """The dimension of an Epoch benchmark (`gpqa_diamond` or `epoch:gpqa_diamond`), or None."""
    entry = BENCHMARKS.get(benchmark.removeprefix("epoch:"))
    return entry[0] if entry else None


def sql_case(column: str) -> str:
    """A SQL CASE giving each benchmark's dimension (`other` when unmapped), for the importer."""
    whens = " ".join(f"WHEN '{b}' THEN '{d}'" for b, (d, _) in sorted(BENCHMARKS.items()))
    return f"CASE lower({column}) {whens} ELSE 'other' END"
