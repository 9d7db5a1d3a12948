"""The Spark runner against the single-machine scan, on one dataset folder.

    python benches/spark/run.py --data DIR [--master 'local[2]'] [--partitions N]
                                [--cli target/release/claimaudit] [--driver-memory 8g]

Runs `claimaudit.spark.scan` over the folder's tables on a local Spark
(reading the Parquet files, routing, the grouped map, the finish, writing
the flags as Parquet) and prints its wall time, the bytes Spark shuffled
(from its event log), the flags, and the seconds per million lines; with
--cli, also runs `claimaudit scan --threads N` (N the master's cores) on the
same folder, and checks the flags are the same rows. Needs the package
installed (`pip install "./python[spark]"`) and Java.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import pyarrow.dataset as ds

ORDER = [("rule_id", "ascending"), ("claim_id", "ascending"), ("line_no", "ascending"), ("provider_id", "ascending")]


def from_event_log(event_dir: str) -> tuple[int, int, list[dict]]:
    """Bytes written and read by shuffles, summed over every task of the run,
    and each stage's wall seconds with the call that ran it (where the time goes)."""
    written = read = 0
    stages = []
    logs = [os.path.join(d, f) for d, _, files in os.walk(event_dir) for f in files]
    for log in logs:
        with open(log, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if '"SparkListenerStageCompleted"' in line:
                    info = json.loads(line)["Stage Info"]
                    seconds = (info.get("Completion Time", 0) - info.get("Submission Time", 0)) / 1000
                    stages.append({"stage": info["Stage ID"], "name": info["Stage Name"].split(" at ")[0],
                                   "tasks": info["Number of Tasks"], "seconds": round(seconds, 1)})
                if '"SparkListenerTaskEnd"' not in line:
                    continue
                metrics = json.loads(line).get("Task Metrics") or {}
                write = metrics.get("Shuffle Write Metrics") or {}
                fetch = metrics.get("Shuffle Read Metrics") or {}
                written += write.get("Shuffle Bytes Written", 0)
                read += fetch.get("Remote Bytes Read", 0) + fetch.get("Local Bytes Read", 0)
    stages.sort(key=lambda s: s["stage"])
    return written, read, stages


def lines_in(data: str) -> int:
    file = os.path.join(data, "claim_items.parquet")
    return ds.dataset(file if os.path.exists(file) else os.path.join(data, "claim_items"), format="parquet").count_rows()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--partitions", type=int, default=None, help="groups (default: 1 per 50,000 lines)")
    parser.add_argument("--cli", default=None, help="a claimaudit binary to compare with")
    parser.add_argument("--driver-memory", default="8g")
    args = parser.parse_args()

    from pyspark.sql import SparkSession

    import claimaudit
    from claimaudit.spark import scan

    lines = lines_in(args.data)
    partitions = args.partitions or max(1, lines // 50_000)
    work = tempfile.mkdtemp(prefix="claimaudit-spark-bench-")
    events = os.path.join(work, "events")
    os.makedirs(events)
    out = os.path.join(work, "flags")
    spark = (
        SparkSession.builder.master(args.master)
        .appName("claimaudit spark bench")
        .config("spark.driver.memory", args.driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.eventLog.enabled", "true")
        .config("spark.eventLog.dir", events)
        .config("spark.eventLog.compress", "false")
        .config("spark.sql.shuffle.partitions", str(partitions))
        .getOrCreate()
    )
    started = time.monotonic()
    rules = claimaudit.Ruleset.load()
    tables = {}
    for table in rules.tables():
        file = os.path.join(args.data, f"{table}.parquet")
        tables[table] = spark.read.parquet(file if os.path.exists(file) else os.path.join(args.data, table))
    scan(spark, tables, partitions=partitions).write.parquet(out)
    spark_seconds = time.monotonic() - started
    spark.stop()
    written, read, stages = from_event_log(events)
    flags = ds.dataset(out, format="parquet").to_table()
    cores = int(re.search(r"\[(\d+)\]", args.master).group(1)) if "[" in args.master else 1
    result = {
        "master": args.master,
        "lines": lines,
        "partitions": partitions,
        "spark_seconds": round(spark_seconds, 2),
        "spark_seconds_per_million_lines": round(spark_seconds / lines * 1e6, 2),
        "shuffle_written_mib": round(written / 2**20, 1),
        "shuffle_read_mib": round(read / 2**20, 1),
        "shuffle_bytes_per_line": round(written / lines, 1),
        "flags": flags.num_rows,
        "stages": stages,
    }
    if args.cli:
        cli_out = os.path.join(work, "cli.parquet")
        started = time.monotonic()
        subprocess.run(
            [args.cli, "scan", "--data", args.data, "--out", cli_out, "--threads", str(cores)],
            check=True, capture_output=True,
        )
        cli_seconds = time.monotonic() - started
        expected = ds.dataset(cli_out, format="parquet").to_table()
        got = flags.sort_by(ORDER)
        expected = expected.cast(got.schema)
        result.update(
            cli_seconds=round(cli_seconds, 2),
            cli_seconds_per_million_lines=round(cli_seconds / lines * 1e6, 2),
            spark_over_cli=round(spark_seconds / cli_seconds, 1),
            same_flags=got.equals(expected.sort_by(ORDER)),
        )
    print(json.dumps(result))
    return 0 if result.get("same_flags", True) else 1


if __name__ == "__main__":
    sys.exit(main())
