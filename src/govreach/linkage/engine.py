"""Where Splink runs: DuckDB (default, in process) or Spark (when pyspark is installed).

Preparation, deterministic links and evidence always run in a local DuckDB connection; only the
Splink training and scoring move to the chosen engine, behind `Engine.register`.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any, Literal

import duckdb


class LinkageEngineUnavailableError(RuntimeError):
    """The requested linkage engine cannot run here (its library is not installed)."""


@dataclass
class Engine:
    """A Splink database API and how to hand it a table of the local DuckDB connection."""

    name: Literal["duckdb", "spark"]
    db_api: Any
    con: duckdb.DuckDBPyConnection
    spark: Any = None

    def register(self, table: str, *, dataset: str, name: str) -> Any:
        """Register the local table `table` with Splink as input `dataset` under the unique `name`."""
        if self.name == "duckdb":
            return self.db_api.register(table, dataset_display_name=dataset, table_name=name)
        frame = self.spark.createDataFrame(self.con.table(table).to_arrow_table())
        return self.db_api.register(frame, dataset_display_name=dataset, table_name=name)


def require_engine(name: Literal["duckdb", "spark"]) -> None:
    """Fail early, before any work, when the engine's library is missing."""
    if name == "spark" and importlib.util.find_spec("pyspark") is None:
        raise LinkageEngineUnavailableError(
            "engine='spark' needs pyspark, which is not installed: add it to the environment "
            "(for example `uv add 'splink[spark]'`) or use engine='duckdb'."
        )


def open_engine(name: Literal["duckdb", "spark"], con: duckdb.DuckDBPyConnection) -> Engine:
    """An engine sharing `con` (DuckDB) or the active Spark session (created if none)."""
    require_engine(name)
    if name == "duckdb":
        from splink import DuckDBAPI

        return Engine(name, DuckDBAPI(connection=con), con)
    from splink import SparkAPI

    from govreach.spark import spark_session

    spark = spark_session(app_name="govreach-linkage")
    db_api = SparkAPI(spark_session=spark)  # type: ignore[no-untyped-call]
    return Engine(name, db_api, con, spark=spark)
