"""Scan with claimaudit on Spark.

``scan(spark, tables)`` runs a ruleset over Spark DataFrames and returns the
flags as a DataFrame with the contract's flag columns, exactly the flags
``claimaudit scan`` gives for the same data:

1. Rows are routed to the plan's partition key (for the CHS rules, the
   patient): a table routed by its own columns is hashed on them, a table
   routed through a relation (lines through their claim) is joined to the
   table it leads to and takes that row's bucket.
2. The routed tables are unioned into one wide DataFrame and grouped by
   bucket; each group runs the partition plan in Spark's Arrow-based grouped
   map (``applyInArrow``), in the claimaudit engine, with the shared
   (reference and knowledge) tables broadcast to every worker.
3. Population rules give partial aggregates per group; the driver merges
   them and finishes those rules and the rules over shared tables.

What the single-machine scan checks while reading (a key that repeats
across partitions) is checked here with a Spark aggregate first; every other
check of the data contract runs inside each group, and a failure stops the
job with the table, column and row (counted within its group).
"""

from __future__ import annotations

import functools
import io
import uuid
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from . import Ruleset, _data_error

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

BUCKET = "__claimaudit_bucket"
TABLE = "__claimaudit_table"
PARTIAL = "__claimaudit_partial"
ORDER = ["rule_id", "claim_id", "line_no", "provider_id"]


def _column_name(table: str, column: str) -> str:
    return f"{table}__{column}"


def _ipc_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _from_ipc(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(data).read_all()


@functools.lru_cache(maxsize=4)
def _worker_ruleset(sources: tuple[tuple[str, str], ...]) -> Ruleset:
    # Once per Python worker process, not once per group.
    return Ruleset.from_sources(list(sources))


_SHARED: dict[tuple[str, str], dict[str, pa.Table]] = {}


def _worker_shared(key: tuple[str, str], broadcast) -> dict[str, pa.Table]:
    # Decoded once per worker process and broadcast, not once per group.
    if key not in _SHARED:
        _SHARED.clear()
        shared = _from_ipc(broadcast.value)
        tables = {}
        for name in sorted(set(shared.column(TABLE).to_pylist())):
            rows = shared.filter(pc.equal(shared.column(TABLE), name))
            tables[name] = _unprefixed(rows, name)
        _SHARED[key] = tables
    return _SHARED[key]


def _unprefixed(rows: pa.Table, table: str) -> pa.Table:
    prefix = f"{table}__"
    names = [n for n in rows.column_names if n.startswith(prefix)]
    return rows.select(names).rename_columns([n[len(prefix) :] for n in names])


def _spark_type(arrow_type: pa.DataType):
    from pyspark.sql import types as T

    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return T.StringType()
    if pa.types.is_int32(arrow_type):
        return T.IntegerType()
    if pa.types.is_decimal(arrow_type):
        return T.DecimalType(arrow_type.precision, arrow_type.scale)
    raise TypeError(f"no Spark type for {arrow_type}")  # pragma: no cover


def _output_schema():
    from pyspark.sql import types as T

    from . import flags_schema

    fields = [T.StructField(f.name, _spark_type(f.type), True) for f in flags_schema()]
    return T.StructType(fields + [T.StructField(PARTIAL, T.BinaryType(), True)])


def _check_unique(df: "DataFrame", table: str, key: list[str]) -> None:
    from pyspark.sql import functions as F

    repeated = (
        df.groupBy(*key).count().filter(F.col("count") > 1).limit(1).collect()
    )
    if repeated:
        row = repeated[0]
        shown = ", ".join(f"{c} = {row[c]}" for c in key)
        raise _data_error(
            "D010",
            table,
            f"table `{table}`: the key ({', '.join(key)}) repeats: {shown} is on "
            f"{row['count']} rows; each key must be on one row",
        )


def scan(
    spark: "SparkSession",
    tables: dict[str, "DataFrame"],
    ruleset_path: str | None = None,
    partitions: int | None = None,
    threads_per_task: int = 1,
) -> "DataFrame":
    """Runs a ruleset (the shipped CHS rules when ``ruleset_path`` is None)
    over ``tables`` (DataFrames by table name) and returns the flags, ordered
    as ``claimaudit scan`` writes them.

    ``partitions`` is the number of groups rows are routed to (default
    ``spark.sql.shuffle.partitions``); each group is held in one Python
    worker's memory while it runs, so choose it to keep groups to a few
    hundred thousand lines. ``threads_per_task`` is the engine's threads per
    group (Spark already runs one task per core).
    """
    from pyspark.sql import functions as F

    rules = Ruleset.load(ruleset_path)
    needed = rules.tables()
    missing = [t for t in needed if t not in tables]
    if missing:
        raise _data_error(
            "D001",
            missing[0],
            "table(s) missing: "
            + ", ".join(f"`{t}`" for t in missing)
            + "; pass a DataFrame for each table the rules read",
        )
    plan = rules.plan(format="json")
    columns = {load["table"]: load["columns"] for load in plan["loads"]}
    routes = {r["table"]: r for r in rules.routes()}
    if partitions is None:
        partitions = int(spark.conf.get("spark.sql.shuffle.partitions"))

    def given(table: str) -> "DataFrame":
        df = tables[table]
        have = set(df.columns)
        # A missing column is the engine's to name, as for a file.
        return df.select(*[c for c in columns[table] if c in have])

    if not routes:
        # No partition key: one group holds every table.
        buckets = {t: given(t).withColumn(BUCKET, F.lit(0)) for t in needed}
        shared_names: list[str] = []
    else:
        for table, route in routes.items():
            if route.get("key_checked_while_routing") and route.get("key"):
                _check_unique(tables[table], table, route["key"])
        buckets = {}
        for table, route in routes.items():  # in routing order
            df = given(table)
            if route["by"] == "columns":
                cols = [F.col(c) for c in route["columns"]]
                buckets[table] = df.withColumn(
                    BUCKET, F.pmod(F.xxhash64(*cols), F.lit(partitions))
                )
            else:
                target = buckets[route["to_table"]]
                pairs = list(zip(route["from_columns"], route["to_columns"]))
                keys = target.select(
                    *[F.col(to).alias(f"__to_{i}") for i, (_, to) in enumerate(pairs)],
                    F.col(BUCKET),
                )
                condition = [
                    df[frm].eqNullSafe(keys[f"__to_{i}"])
                    for i, (frm, _) in enumerate(pairs)
                ]
                joined = df.join(keys, on=condition, how="left")
                # A row whose related row is missing goes to bucket 0, where
                # the engine names it.
                buckets[table] = joined.select(
                    *[df[c] for c in df.columns],
                    F.coalesce(F.col(BUCKET), F.lit(0)).alias(BUCKET),
                )
        shared_names = [t for t in needed if t not in routes]

    # Shared tables: collected once, broadcast to every worker as Arrow.
    shared_arrow = {t: given(t).toArrow() for t in shared_names}
    shared_bytes = _ipc_bytes(_tagged(shared_arrow))
    broadcast = spark.sparkContext.broadcast(shared_bytes)
    broadcast_key = (rules.hash, uuid.uuid4().hex)
    sources = tuple((p, t) for p, t in rules.sources())

    wide = None
    for index, (table, df) in enumerate(buckets.items()):
        part = df.select(
            F.col(BUCKET),
            F.lit(table).alias(TABLE),
            *[F.col(c).alias(_column_name(table, c)) for c in df.columns if c != BUCKET],
        )
        wide = part if wide is None else wide.unionByName(part, allowMissingColumns=True)

    routed_names = list(buckets)

    def run_group(group: pa.Table) -> pa.Table:
        worker_rules = _worker_ruleset(sources)
        given_tables = dict(_worker_shared(broadcast_key, broadcast))
        kinds = group.column(TABLE)
        for name in routed_names:
            # A table with no rows in this group is given empty, not left out.
            given_tables[name] = _unprefixed(group.filter(pc.equal(kinds, name)), name)
        if routes:
            flags, partial = worker_rules.scan_part(given_tables, threads=threads_per_task)
        else:
            flags, partial = worker_rules.scan(given_tables, threads=threads_per_task), b""
        flags = flags.append_column(PARTIAL, pa.nulls(flags.num_rows, pa.binary()))
        marker = {name: pa.nulls(1, field.type) for name, field in zip(flags.column_names, flags.schema)}
        marker[PARTIAL] = pa.array([partial], pa.binary())
        return pa.concat_tables([flags, pa.table(marker, schema=flags.schema)])

    schema = _output_schema()
    ran = wide.groupBy(BUCKET).applyInArrow(run_group, schema).persist()
    partials = [r[PARTIAL] for r in ran.filter(F.col(PARTIAL).isNotNull()).collect()]
    flags = ran.filter(F.col(PARTIAL).isNull()).drop(PARTIAL)
    if routes:
        finished = rules.finish_parts(
            shared_arrow, [bytes(p) for p in partials if p], threads=threads_per_task
        )
        if finished.num_rows:
            flags = flags.unionByName(spark.createDataFrame(finished, schema=schema_of_flags()))
    return flags.orderBy(*[F.col(c).asc_nulls_last() for c in ORDER])


def schema_of_flags():
    """The flags' Spark schema (every column nullable, as Spark returns them)."""
    from pyspark.sql import types as T

    return T.StructType([f for f in _output_schema().fields if f.name != PARTIAL])


def _tagged(tables: dict[str, pa.Table]) -> pa.Table:
    """One table of several: each row tagged with its table, columns prefixed."""
    parts = []
    for name, table in tables.items():
        renamed = table.rename_columns([_column_name(name, c) for c in table.column_names])
        parts.append(renamed.append_column(TABLE, pa.array([name] * table.num_rows, pa.string())))
    if not parts:
        return pa.table({TABLE: pa.array([], pa.string())})
    return pa.concat_tables(parts, promote_options="default")
