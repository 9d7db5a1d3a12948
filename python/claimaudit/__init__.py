"""claimaudit: a claims-audit rule engine for medical-insurance fund supervision.

Load a ruleset once, then scan Arrow tables, check one claim against a
patient's history, or (with ``claimaudit.spark``) scan on Spark::

    import claimaudit, pyarrow.parquet as pq
    rules = claimaudit.Ruleset.load()            # the shipped CHS rules
    tables = {t: pq.read_table(f"data/{t}") for t in rules.tables()}
    flags = rules.scan(tables)                   # a pyarrow.Table of flags

The flags have the columns of the data contract's flags table, in output
order (rule, claim, line, provider), exactly as ``claimaudit scan`` writes
them. Bad rules raise ``RulesetError``; tables that break the contract
raise ``DataError``, naming the table, column and row.
"""

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
]
