"""Scan a dataset folder on Spark: the entry point for ``spark-submit``.

    spark-submit --master local[2] "$(python -c 'import claimaudit.spark_submit as m; print(m.__file__)')" \\
        --data DATASET --out FLAGS [--rules RULES] [--partitions N]

DATASET holds each table as ``<table>.parquet`` or a folder ``<table>/`` of
Parquet files (as ``claimaudit scan`` reads it; on a cluster, any path Spark
reads: ``hdfs://``, ``s3a://``). The flags are written to FLAGS as a folder
of Parquet files, in the order ``claimaudit scan`` writes them. The exit
status is 0 when the scan ran, 1 for bad rules or bad data (the message
says where), 2 when it could not run.
"""

from __future__ import annotations

import argparse
import sys


def _table_path(spark, data: str, table: str) -> str | None:
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    for candidate in (f"{data.rstrip('/')}/{table}.parquet", f"{data.rstrip('/')}/{table}"):
        path = jvm.org.apache.hadoop.fs.Path(candidate)
        if path.getFileSystem(conf).exists(path):
            return candidate
    return None


def _worker_message(text: str) -> str:
    """The claimaudit error in a worker's traceback, without the traceback."""
    for line in reversed(text.splitlines()):
        if "DataError:" in line or "ClaimauditError:" in line or "RulesetError:" in line:
            return line.split("Error:", 1)[1].strip()
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="claimaudit-spark",
        description="Scan a dataset with claimaudit on Spark; the flags are those "
        "`claimaudit scan` gives.",
    )
    parser.add_argument("--data", required=True, help="the dataset folder (tables as Parquet)")
    parser.add_argument("--out", required=True, help="where to write the flags (a Parquet folder)")
    parser.add_argument("--rules", default=None, help="a rules file or folder (default: the shipped CHS rules)")
    parser.add_argument("--partitions", type=int, default=None, help="groups rows are routed to (default: spark.sql.shuffle.partitions)")
    args = parser.parse_args(argv)

    from pyspark.sql import SparkSession

    from claimaudit import ClaimauditError, Ruleset
    from claimaudit.spark import scan

    spark = SparkSession.builder.appName("claimaudit scan").getOrCreate()
    try:
        rules = Ruleset.load(args.rules)
        tables = {}
        for table in rules.tables():
            path = _table_path(spark, args.data, table)
            if path is None:
                print(
                    f"error: table `{table}` is missing: expected `{table}.parquet` or a folder "
                    f"`{table}/` of Parquet files in {args.data}",
                    file=sys.stderr,
                )
                return 1
            tables[table] = spark.read.parquet(path)
        flags = scan(spark, tables, ruleset_path=args.rules, partitions=args.partitions)
        flags.write.mode("overwrite").parquet(args.out)
        written = spark.read.parquet(args.out).count()
        print(f"{written} flags written to {args.out}")
        return 0
    except ClaimauditError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # a worker's error reaches the driver wrapped by Spark
        from pyspark.errors import PythonException

        if isinstance(error, PythonException) and "claimaudit" in str(error):
            print(f"error: {_worker_message(str(error))}", file=sys.stderr)
            return 1
        raise
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main())
