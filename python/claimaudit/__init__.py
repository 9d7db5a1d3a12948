"""claimaudit: a claims-audit rule engine for medical-insurance fund supervision.

Load a ruleset once, then scan Arrow tables, check one claim against a
patient's history, or (with ``claimaudit.spark``) scan on Spark::

    import claimaudit
    rules = claimaudit.Ruleset.load()            # the shipped CHS rules
    tables = claimaudit.read_tables("data", rules.tables())
    flags = rules.scan(tables)                   # a pyarrow.Table of flags

The flags have the columns of the data contract's flags table, in output
order (rule, claim, line, provider), exactly as ``claimaudit scan`` writes
them. Bad rules raise ``RulesetError``; tables that break the contract
raise ``DataError``, naming the table, column and row.
"""

from __future__ import annotations

import os

from ._claimaudit import (
    ClaimauditError,
    DataError,
    RealtimeChecker,
    Ruleset,
    RulesetError,
    flags_schema,
)

__all__ = [
    "ClaimauditError",
    "DataError",
    "RealtimeChecker",
    "Ruleset",
    "RulesetError",
    "flags_schema",
    "read_tables",
]


def _data_error(code: str, table: str | None, message: str) -> DataError:
    """A DataError raised on the Python side, with the attributes the engine's carry."""
    error = DataError(message)
    error.code, error.table, error.column, error.row, error.message = code, table, None, None, message
    return error


def read_tables(folder: str | os.PathLike[str], tables: list[str]) -> dict:
    """Reads each of ``tables`` from a dataset folder as ``claimaudit scan``
    finds it: ``<table>.parquet`` or a folder ``<table>/`` of Parquet files
    (Spark's output). The values are ``pyarrow.Table``s, for ``Ruleset.scan``.

    CSV tables are not read here: their text is converted by the engine's
    loader, so scan such a folder with the command line."""
    import pyarrow.dataset as ds

    out = {}
    for table in tables:
        file = os.path.join(folder, f"{table}.parquet")
        path = file if os.path.exists(file) else os.path.join(folder, table)
        if not os.path.exists(path):
            if os.path.exists(os.path.join(folder, f"{table}.csv")):
                raise _data_error(
                    "D001",
                    table,
                    f"table `{table}` is CSV: scan this folder with `claimaudit scan`, "
                    "or convert the table to Parquet",
                )
            raise _data_error(
                "D001",
                table,
                f"table `{table}` is missing: expected `{table}.parquet` or a folder "
                f"`{table}/` of Parquet files in {folder}",
            )
        out[table] = ds.dataset(path, format="parquet").to_table()
    return out
