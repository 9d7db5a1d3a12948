"""The Python package against the command line: the same flags, the same
diagnostics and data problems, as exceptions carrying their codes."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import claimaudit
from conftest import read_dataset


@pytest.fixture(scope="module")
def rules() -> claimaudit.Ruleset:
    return claimaudit.Ruleset.load()


@pytest.fixture(scope="module")
def tables(rules, dataset) -> dict[str, pa.Table]:
    return read_dataset(dataset, rules.tables())


def test_the_shipped_rules_load_with_their_plan(rules):
    assert "MUTEX-01" in rules.rule_ids and "UPC-01" in rules.rule_ids
    assert len(rules.hash) == 64
    text = rules.plan()
    assert "exchange claims by patient_id" in text
    plan = rules.plan(format="json")
    assert plan["exchange"]["kind"] == "key"
    assert [load["table"] for load in plan["loads"]] == rules.tables()
    routes = {r["table"]: r for r in rules.routes()}
    assert routes["claim_items"]["by"] == "relation"
    assert routes["claims"]["key_checked_while_routing"] is True
    with pytest.raises(ValueError, match="unknown plan format"):
        rules.plan(format="yaml")


def test_scan_gives_exactly_the_flags_of_the_command_line(rules, tables, cli_flags):
    flags = rules.scan(tables, threads=2)
    assert flags.schema == claimaudit.flags_schema()
    assert flags.num_rows == cli_flags.num_rows > 1000
    assert flags.equals(cli_flags.cast(flags.schema))
    # Every rule fires on the planted cases.
    assert set(pc.unique(flags.column("rule_id")).to_pylist()) == set(rules.rule_ids)


def test_scan_is_the_same_whatever_the_threads_and_batches(rules, tables, cli_flags):
    rebatched = {name: pa.Table.from_batches(t.to_batches(max_chunksize=777)) for name, t in tables.items()}
    flags = rules.scan(rebatched, threads=1, memory_limit=64 << 20)
    assert flags.equals(cli_flags.cast(flags.schema))


def test_a_ruleset_with_errors_raises_its_diagnostics(tmp_path):
    bad = tmp_path / "bad.rules"
    bad.write_text(
        'ruleset "t" version "1"\n\nrule R-1 "x" {\n  over line in claim_itemz\n  flag when true\n}\n',
        encoding="utf-8",
    )
    with pytest.raises(claimaudit.RulesetError) as raised:
        claimaudit.Ruleset.load(bad)
    diagnostics = raised.value.diagnostics
    assert diagnostics, str(raised.value)
    first = diagnostics[0]
    assert first["code"].startswith("E")
    assert first["file"].endswith("bad.rules")
    assert first["line"] >= 1 and first["column"] >= 1
    assert first["code"] in str(raised.value)


def test_a_missing_table_is_named(rules, tables):
    partial = {k: v for k, v in tables.items() if k != "patients"}
    with pytest.raises(claimaudit.DataError) as raised:
        rules.scan(partial)
    assert (raised.value.code, raised.value.table) == ("D001", "patients")
    assert "no table of that name was given" in str(raised.value)


def test_a_bad_value_is_named_by_table_column_and_row(rules, tables):
    claims = tables["claims"]
    ids = claims.column("patient_id").to_pylist()
    ids[4] = None  # a required column
    broken = dict(tables)
    broken["claims"] = claims.set_column(
        claims.schema.get_field_index("patient_id"), "patient_id", pa.array(ids, pa.string())
    )
    with pytest.raises(claimaudit.DataError) as raised:
        rules.scan(broken)
    error = raised.value
    assert (error.table, error.column, error.row) == ("claims", "patient_id", 5), str(error)
    assert error.code == "D008"


def test_a_column_of_the_wrong_type_is_refused(rules, tables):
    broken = dict(tables)
    items = tables["claim_items"]
    broken["claim_items"] = items.set_column(
        items.schema.get_field_index("quantity"),
        "quantity",
        pa.array([str(q) for q in items.column("quantity").to_pylist()], pa.string()),
    )
    with pytest.raises(claimaudit.DataError) as raised:
        rules.scan(broken)
    assert raised.value.code == "D005"
    assert raised.value.column == "quantity"


def test_check_claim_gives_the_scans_flags_for_that_claim(rules, tables, cli_flags):
    claim_tables = ["claims", "claim_items"]
    reference = {k: v for k, v in tables.items() if k not in claim_tables}
    checker = rules.checker(reference)
    real_time = [r for r in rules.rule_ids if r not in checker.skipped]
    fired = cli_flags.filter(pc.is_in(cli_flags.column("rule_id"), pa.array(real_time)))
    claims = tables["claims"]
    checked_some = 0
    for claim_id in sorted(set(fired.column("claim_id").drop_null().to_pylist()))[:25]:
        patient = claims.filter(pc.equal(claims.column("claim_id"), claim_id)).column("patient_id")[0]
        history = claims.filter(pc.equal(claims.column("patient_id"), patient))
        items = tables["claim_items"].filter(
            pc.is_in(tables["claim_items"].column("claim_id"), history.column("claim_id"))
        )
        got = checker.check(claim_id, {"claims": history, "claim_items": items})
        expected = fired.filter(pc.equal(fired.column("claim_id"), claim_id))
        assert got.select(["rule_id", "claim_id", "line_no", "message"]).to_pylist() == expected.select(
            ["rule_id", "claim_id", "line_no", "message"]
        ).to_pylist(), claim_id
        checked_some += 1
    assert checked_some == 25
    # The one-call form gives the same.
    once = rules.check_claim(claim_id, {"claims": history, "claim_items": items}, reference)
    assert once.equals(got)


def test_scan_parts_and_finish_give_the_scans_flags(rules, tables, cli_flags):
    """Split by patient as a cluster would: each part's flags, then the
    population rules finished once from the parts' partial aggregates."""
    claims = tables["claims"]
    patients = sorted(set(claims.column("patient_id").to_pylist()))
    routed = ["claims", "claim_items", "patients"]
    shared = {k: v for k, v in tables.items() if k not in routed}
    pieces, partials = [], []
    for half in (patients[::2], patients[1::2]):
        mine = pa.array(half)
        part_claims = claims.filter(pc.is_in(claims.column("patient_id"), mine))
        part = dict(shared)
        part["claims"] = part_claims
        part["patients"] = tables["patients"].filter(pc.is_in(tables["patients"].column("patient_id"), mine))
        part["claim_items"] = tables["claim_items"].filter(
            pc.is_in(tables["claim_items"].column("claim_id"), part_claims.column("claim_id"))
        )
        flags, partial = rules.scan_part(part)
        pieces.append(flags)
        partials.append(partial)
    pieces.append(rules.finish_parts(shared, partials))
    merged = pa.concat_tables(pieces).sort_by(
        [("rule_id", "ascending"), ("claim_id", "ascending"), ("line_no", "ascending"), ("provider_id", "ascending")]
    )
    expected = cli_flags.sort_by(
        [("rule_id", "ascending"), ("claim_id", "ascending"), ("line_no", "ascending"), ("provider_id", "ascending")]
    )
    assert merged.num_rows == expected.num_rows
    assert merged.equals(expected.cast(merged.schema))
    with pytest.raises(claimaudit.ClaimauditError, match="not partial aggregates"):
        rules.finish_parts(shared, [b"junk"])


def test_a_ruleset_rebuilt_from_its_sources_is_the_same(rules, tables):
    """How a cluster's workers get the driver's rules: the same hash, so
    their partial aggregates merge, and the same flags."""
    again = claimaudit.Ruleset.from_sources(rules.sources())
    assert again.hash == rules.hash
    assert again.rule_ids == rules.rule_ids
    flags = again.scan(tables, only=["DUP-01"])
    assert flags.num_rows > 0
    assert set(flags.column("ruleset_hash").to_pylist()) == {rules.hash}
