"""Model names of refreshed public vintages in the crosswalk, now and after a rebuild.

A refresh brings names the crosswalk has not seen (a new Arena model). They are resolved with
the crosswalk's own rules (`warehouse.analysis.aliases.Crosswalk`), seeded with every alias
already stored, so a known model keeps its id and a new one gets one the same way the shipped
import would give it. The names are kept (`public_vintage_name`): when the shipped history is
imported again (a new GapWatch), the rebuilt crosswalk includes them after the shipped names
and the vintages' rows are mapped again, so no refreshed row points at a vanished id.
"""

import duckdb
import pandas as pd

from warehouse.analysis.aliases import CANDIDATE_COLUMNS, Crosswalk

LATER = 100  # vintage names resolve after every shipped name (priorities 0-8)
ALIAS_SOURCE = {"arena": "arena", "epoch_eci": "epoch", "epoch_benchmarks": "epoch"}


def vintage_names(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every stored vintage's candidate names, to resolve after the shipped ones."""
    return con.execute(f"""SELECT DISTINCT priority + {LATER} AS priority, source, alias, group_key,
                                  organization, open_weights, release_date, display_name,
                                  country
                           FROM public_vintage_name""").df().reindex(columns=CANDIDATE_COLUMNS)


def remap_vintages(con: duckdb.DuckDBPyConnection) -> None:
    """Point each refreshed row at the id its name has in the (rebuilt) crosswalk."""
    for family, source in ALIAS_SOURCE.items():
        con.execute("""UPDATE public_capability_score SET model_id = a.model_id FROM model_alias a
                       WHERE public_capability_score.run_id IN
                             (SELECT run_id FROM public_vintage WHERE family = $family)
                         AND a.source = $source AND a.alias = public_capability_score.source_name
                         AND public_capability_score.model_id <> a.model_id""",
                    {"family": family, "source": source})


def seeded(con: duckdb.DuckDBPyConnection) -> Crosswalk:
    """A crosswalk that already knows every stored alias and model id."""
    crosswalk = Crosswalk()
    for alias, model_id in con.execute("SELECT alias, model_id FROM model_alias").fetchall():
        crosswalk.remember(alias, model_id)
    for model_id, released in con.execute("SELECT model_id, release_date FROM model_registry").fetchall():
        crosswalk.meta[model_id] = {"known": True, "release_date": released}  # dates: `_fits`
    return crosswalk


def extend(con: duckdb.DuckDBPyConnection, names: pd.DataFrame, run_id: str,
           dataset: str) -> tuple[int, int]:
    """Resolve a vintage's candidate names, add the aliases and models not stored yet, and keep
    the names; (aliases added, models added)."""
    crosswalk = seeded(con)
    names = names.sort_values(["priority", "group_key", "alias"], kind="stable")
    for _, rows in names.groupby(["priority", "group_key"], sort=False):
        crosswalk.resolve_group(rows)
    aliases = pd.DataFrame(crosswalk.aliases, columns=["alias", "source", "model_id"])
    aliases = aliases.drop_duplicates(["alias", "source"])
    models = pd.DataFrame([{"model_id": k, **v} for k, v in crosswalk.meta.items() if not v.get("known")])
    models = models.reindex(columns=["model_id", "display_name", "organization", "open_weights",
                                     "release_date", "country"])
    countries = pd.DataFrame([(k, v["country"]) for k, v in crosswalk.meta.items()
                              if v.get("known") and v.get("country")],
                             columns=["model_id", "country"])
    con.register("new_aliases", aliases)
    con.register("new_models", models)
    con.register("new_countries", countries)
    con.register("vintage_candidates", names.reindex(columns=CANDIDATE_COLUMNS))
    try:
        n_aliases = con.execute("""INSERT INTO model_alias SELECT alias, source, model_id FROM new_aliases n
            WHERE NOT EXISTS (SELECT 1 FROM model_alias a WHERE a.alias = n.alias AND a.source = n.source)
            """).fetchone()[0]
        n_models = con.execute("""INSERT INTO model_registry (model_id, display_name, organization,
                open_weights, release_date, source, country)
            SELECT model_id, display_name, organization, open_weights, CAST(release_date AS DATE),
                   $source, country FROM new_models n
            WHERE NOT EXISTS (SELECT 1 FROM model_registry r WHERE r.model_id = n.model_id)""",
                               {"source": f"public:{dataset}"}).fetchone()[0]
        # A known model Epoch had not labelled takes the refreshed file's country.
        if len(countries):
            con.execute("""UPDATE model_registry SET country = c.country FROM new_countries c
                           WHERE model_registry.model_id = c.model_id
                             AND model_registry.country IS NULL""")
        con.execute("""INSERT INTO public_vintage_name SELECT $run, priority, source, alias, group_key,
                           organization, open_weights, CAST(release_date AS DATE), display_name,
                           country
                       FROM vintage_candidates""", {"run": run_id})
    finally:
        for name in ("new_aliases", "new_models", "new_countries", "vintage_candidates"):
            con.unregister(name)
    return n_aliases, n_models
