"""`claimaudit.read_tables` finds tables as `claimaudit scan` does."""

from __future__ import annotations

import pytest

import claimaudit


def test_a_missing_table_is_named_with_where_it_was_looked_for(tmp_path):
    with pytest.raises(claimaudit.DataError) as raised:
        claimaudit.read_tables(tmp_path, ["claims"])
    assert raised.value.code == "D001" and raised.value.table == "claims"
    assert "claims.parquet" in str(raised.value)


def test_a_csv_table_is_sent_to_the_command_line(tmp_path):
    (tmp_path / "claims.csv").write_text("claim_id\nC1\n", encoding="utf-8")
    with pytest.raises(claimaudit.DataError, match="claimaudit scan"):
        claimaudit.read_tables(tmp_path, ["claims"])


def test_files_and_folders_of_parts_are_read(dataset):
    rules = claimaudit.Ruleset.load()
    tables = claimaudit.read_tables(dataset, rules.tables())
    assert set(tables) == set(rules.tables())
    assert tables["claim_items"].num_rows > tables["claims"].num_rows > 0
