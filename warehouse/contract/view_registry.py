"""The registry behind the public views: each view's SQL, documentation and columns.

Why a module of its own: the view definitions live in two modules by what they describe
(`views_inputs`: what was measured or imported; `views_results`: what the warehouse
concludes), and both register here; `views` creates them in registration order.
"""

from dataclasses import dataclass

from warehouse.storage.writes import VALID_RUN  # noqa: F401 (defined beside set_validity, its writer)


@dataclass(frozen=True)
class View:
    name: str
    doc: str
    sql: str
    columns: dict[str, str]


def _quantiles(column: str) -> str:
    return ", ".join(
        f"quantile_cont({column}, {q}) FILTER (WHERE error_class IS NULL) AS {column}_p{p}"
        for q, p in ((0.5, 50), (0.9, 90), (0.99, 99)))


VIEWS: list[View] = []


def view(name: str, doc: str, sql: str, **columns: str) -> None:
    VIEWS.append(View(name, doc, sql, columns))

