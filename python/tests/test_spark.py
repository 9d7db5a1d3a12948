"""The Spark runner in local mode: exactly the flags of `claimaudit scan`,
through the Python API and through `spark-submit` of the entry point.

Needs PySpark and a Java runtime; skipped without them unless
CLAIMAUDIT_REQUIRE_SPARK=1 (CI sets it, so there they fail instead)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pyarrow as pa
import pytest

import claimaudit
from conftest import java_available, read_table

REQUIRED = os.environ.get("CLAIMAUDIT_REQUIRE_SPARK") == "1"

try:
    import pyspark  # noqa: F401

    HAVE_PYSPARK = True
except ImportError:  # pragma: no cover
    HAVE_PYSPARK = False

if not (HAVE_PYSPARK and java_available()):
    if REQUIRED:
        raise RuntimeError("CLAIMAUDIT_REQUIRE_SPARK=1 but PySpark or Java is missing")
    pytest.skip("PySpark and a Java runtime are needed", allow_module_level=True)

from pyspark.sql import SparkSession  # noqa: E402

from claimaudit import spark as ca_spark  # noqa: E402

ORDER = [("rule_id", "ascending"), ("claim_id", "ascending"), ("line_no", "ascending"), ("provider_id", "ascending")]


@pytest.fixture(scope="module")
def session():
    # The workers run this interpreter, which has the package.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("claimaudit tests")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    yield spark
    spark.stop()


def spark_tables(session, dataset, rules):
    out = {}
    for table in rules.tables():
        file = dataset / f"{table}.parquet"
        out[table] = session.read.parquet(str(file if file.exists() else dataset / table))
    return out


def test_spark_scan_gives_exactly_the_flags_of_the_command_line(session, dataset, cli_flags):
    rules = claimaudit.Ruleset.load()
    flags = ca_spark.scan(session, spark_tables(session, dataset, rules), partitions=5)
    got = flags.toArrow()
    schema = claimaudit.flags_schema()
    got = got.cast(pa.schema([f.with_nullable(True) for f in schema]))
    expected = cli_flags.cast(got.schema)
    assert got.num_rows == expected.num_rows > 1000
    # Ordered as the command line orders them, and equal row for row.
    assert got.equals(expected), "flags differ"


def test_a_claim_id_on_two_patients_is_refused_before_the_scan(session, dataset):
    from pyspark.sql import functions as F

    rules = claimaudit.Ruleset.load()
    tables = spark_tables(session, dataset, rules)
    claims = tables["claims"]
    one = claims.limit(1).withColumn("patient_id", F.lit("SOMEONE-ELSE"))
    tables["claims"] = claims.unionByName(one)
    with pytest.raises(claimaudit.DataError, match="repeats"):
        ca_spark.scan(session, tables)


def test_spark_submit_of_the_entry_point_writes_the_same_flags(dataset, cli_flags, tmp_path):
    submit = shutil.which("spark-submit") or os.path.join(os.path.dirname(sys.executable), "spark-submit")
    entry = os.path.join(os.path.dirname(claimaudit.__file__), "spark_submit.py")
    out = tmp_path / "flags"
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    done = subprocess.run(
        [submit, "--master", "local[2]", "--conf", "spark.ui.enabled=false",
         entry, "--data", str(dataset), "--out", str(out), "--partitions", "4"],
        capture_output=True, text=True, env=env, check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert f"{cli_flags.num_rows} flags written" in done.stdout
    got = read_table(out).sort_by(ORDER)
    expected = cli_flags.sort_by(ORDER).cast(got.schema)
    assert got.equals(expected)
