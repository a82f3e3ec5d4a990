"""One way to get a Spark session, shared by every part that runs on Spark (cycles, linkage).

A session is process-wide: whichever part asks first fixes its configuration, so every part asks
for the same one: local on this machine's cores unless GOVREACH_SPARK_MASTER names a cluster, no UI,
loopback only, and Splink's string-similarity functions (jaro_winkler...) on the class path.
"""

from __future__ import annotations

import logging
import os
import tempfile
from typing import Any


def spark_session(*, app_name: str = "govreach", memory: str = "1g", cores: int = 2) -> Any:
    """The process's Spark session, created with GovReach's settings if none exists yet."""
    from pyspark.sql import SparkSession
    from splink.internals.spark.jar_location import similarity_jar_location

    # py4j logs every connection it closes at INFO, also from finalizers at interpreter exit, when the
    # log stream may already be closed ("--- Logging error ---" after a run): warnings only.
    logging.getLogger("py4j").setLevel(logging.WARNING)

    session = (
        SparkSession.builder.master(os.environ.get("GOVREACH_SPARK_MASTER", f"local[{cores}]"))
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", memory)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", os.environ.get("GOVREACH_SPARK_PARTITIONS", str(cores * 2)))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.jars", similarity_jar_location())
        .getOrCreate()
    )
    if not session.sparkContext.getCheckpointDir():
        # Splink checkpoints intermediate tables to cut Spark's lineage; it needs a folder for them.
        session.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="govreach-spark-checkpoints-"))
    return session
