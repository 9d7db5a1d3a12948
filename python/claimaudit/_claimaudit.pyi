"""Type stubs of the compiled module `claimaudit._claimaudit`."""

import os
from typing import Any, Literal, overload

import pyarrow as pa

class ClaimauditError(Exception):
    """Something claimaudit could not do."""

class RulesetError(ClaimauditError):
    """A ruleset with errors."""

    diagnostics: list[dict[str, Any]]
    """Each error: code, severity, message, file, line, column, end_line, end_column, label, help."""

class DataError(ClaimauditError):
    """Tables that do not follow the data contract."""

    code: str
    """The problem's stable code (D001 missing table ... ), as in docs/errors.md."""
    table: str
    column: str | None
    row: int | None
    """The row, counted from 1 across the table's batches."""
    message: str

Tables = dict[str, pa.Table]

class Ruleset:
    """A checked ruleset: load it once, then scan, plan or check claims."""

    @staticmethod
    def load(path: str | os.PathLike[str] | None = None) -> Ruleset:
        """Loads and checks a rules file or folder; the shipped CHS rules when None.

        Raises RulesetError with every error's code and place."""
    @staticmethod
    def from_sources(files: list[tuple[str, str]]) -> Ruleset:
        """Checks a ruleset given as its files' (path, text) pairs, as `sources()` gives them."""
    def sources(self) -> list[tuple[str, str]]: ...
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def hash(self) -> str:
        """sha256 over the source files, as in every flag's ruleset_hash."""
    @property
    def rule_ids(self) -> list[str]: ...
    @property
    def warnings(self) -> list[dict[str, Any]]: ...
    def tables(self) -> list[str]:
        """The tables a scan reads, in the order it reads them."""
    def routes(self) -> list[dict[str, Any]]:
        """How each routed table reaches the partition key; empty without one."""
    @overload
    def plan(
        self, format: Literal["text"] = "text", realtime: bool = False, only: list[str] | None = None
    ) -> str: ...
    @overload
    def plan(
        self, format: Literal["json"], realtime: bool = False, only: list[str] | None = None
    ) -> dict[str, Any]: ...
    def scan(
        self,
        tables: Tables,
        threads: int | None = None,
        memory_limit: int | None = None,
        temp_dir: str | os.PathLike[str] | None = None,
        only: list[str] | None = None,
    ) -> pa.Table:
        """Every rule over the tables; the flags in output order. Raises DataError."""
    def scan_part(
        self,
        tables: Tables,
        threads: int | None = None,
        memory_limit: int | None = None,
        temp_dir: str | os.PathLike[str] | None = None,
    ) -> tuple[pa.Table, bytes]:
        """One part of a scan split by the partition key: flags and partial aggregates."""
    def finish_parts(
        self, shared_tables: Tables, partials: list[bytes], threads: int | None = None
    ) -> pa.Table:
        """The rules over shared tables and the population rules, from every part's partials."""
    def checker(self, reference: Tables) -> RealtimeChecker:
        """A checker for real-time checks against these reference tables."""
    def check_claim(self, claim_id: str, tables: Tables, reference: Tables) -> pa.Table:
        """Checks one claim against a patient's history (`tables`: history and claim rows)."""

class RealtimeChecker:
    """A ruleset ready for real-time checks, its reference tables indexed once."""

    def check(self, claim_id: str, tables: Tables) -> pa.Table: ...
    @property
    def skipped(self) -> list[str]:
        """The rules a real-time check leaves out (they need the whole dataset)."""

def flags_schema() -> pa.Schema:
    """The flags' Arrow schema."""
