#!/usr/bin/env python3
"""Differential: claimaudit's flags against the DuckDB reading of docs/default-rules.md.

    compare.py --claimaudit FLAGS.{jsonl,parquet} --duckdb FLAGS.{parquet,csv}
               [--examples 5] [--counts-out FILE.tsv]

For each of the 22 rules, compares the flagged rows by the identity of the
rule's grain (line: claim_id + line_no; claim: claim_id; provider:
provider_id) and their amount at stake (to the cent): prints the counts on both sides and the set differences with up
to --examples example rows each way. Also reports, as differences, a rule id
outside the 22, a flag whose grain column or identity columns do not fit its
rule's grain, and a row flagged twice by one rule. Exit status 0 when both
sides agree on every rule, 1 otherwise.
"""

import argparse
import sys

import duckdb

# rule id -> grain, in the order of docs/default-rules.md
RULES = {
    "OOC-01": "line", "OOC-02": "line", "LIM-GENDER": "line", "LIM-AGE": "line",
    "LIM-DX": "line", "LIM-LEVEL": "line", "PRICE-CAP": "line", "DUP-01": "line",
    "FREQ-01": "line", "QTY-01": "line", "QTY-02": "line", "MUTEX-01": "line",
    "GHOST-01": "claim", "GHOST-02": "claim", "GHOST-03": "claim", "WAIT-01": "claim",
    "STAY-01": "claim", "STAY-02": "claim", "SPLIT-01": "claim", "CAP-01": "claim",
    "CONTRACT-01": "claim",
    "UPC-01": "provider",
}
KEY = {"line": ("claim_id", "line_no"), "claim": ("claim_id",), "provider": ("provider_id",)}


def reader(path):
    p = path.replace("'", "''")
    if path.endswith(".jsonl") or path.endswith(".json"):
        return (
            f"read_json('{p}', format = 'newline_delimited', columns = {{"
            "rule_id: 'VARCHAR', grain: 'VARCHAR', claim_id: 'VARCHAR', "
            "line_no: 'INTEGER', provider_id: 'VARCHAR', amount_at_stake: 'VARCHAR'})"
        )
    if path.endswith(".csv"):
        return f"read_csv('{p}', header = true, all_varchar = true)"
    return f"read_parquet('{p}')"


def load(con, name, path):
    con.execute(
        f"""CREATE TABLE {name} AS
            SELECT CAST(rule_id AS VARCHAR) AS rule_id, CAST(grain AS VARCHAR) AS grain,
                   CAST(claim_id AS VARCHAR) AS claim_id, CAST(line_no AS INTEGER) AS line_no,
                   CAST(provider_id AS VARCHAR) AS provider_id,
                   CAST(NULLIF(CAST(amount_at_stake AS VARCHAR), '') AS DECIMAL(18, 2)) AS amount_at_stake
            FROM {reader(path)}"""
    )


def example(grain, row):
    """A differing row as the grain's key and its amount at stake."""
    names = KEY[grain] + ("amount_at_stake",)
    return {n: (str(v) if n == "amount_at_stake" and v is not None else v) for n, v in zip(names, row)}


def key_sql(grain):
    return ", ".join(KEY[grain])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claimaudit", required=True, help="claimaudit scan output (.jsonl, .parquet or .csv)")
    ap.add_argument("--duckdb", required=True, help="duckdb_rules.py output (.parquet, .jsonl or .csv)")
    ap.add_argument("--examples", type=int, default=5)
    ap.add_argument("--counts-out", help="write 'rule_id<TAB>claimaudit<TAB>duckdb' per rule")
    ap.add_argument("--names", default="claimaudit,duckdb", help="labels of the two sides in the report")
    args = ap.parse_args()

    con = duckdb.connect()
    load(con, "a", args.claimaudit)
    load(con, "b", args.duckdb)
    names = args.names.split(",")
    if len(names) != 2:
        ap.error("--names takes two labels separated by a comma")
    sides = (("a", names[0]), ("b", names[1]))

    problems = []
    # Rule ids outside the 22.
    for t, label in sides:
        for (rule_id, n) in con.execute(f"SELECT rule_id, count(*) FROM {t} GROUP BY ALL ORDER BY 1").fetchall():
            if rule_id not in RULES:
                problems.append(f"{label}: {n} flags of unknown rule {rule_id!r}")

    w = max(11, *(len(n) for n in names))
    print(f"{'rule':<12} {'grain':<9} {names[0]:>{w}} {names[1]:>{w}} {'only ' + names[0]:>{w + 5}} {'only ' + names[1]:>{w + 5}}")
    counts_rows = []
    details = []
    total_a = total_b = 0
    for rule_id, grain in RULES.items():
        key = key_sql(grain)
        others = [c for c in ("claim_id", "line_no", "provider_id") if c not in KEY[grain]]
        rule_problems = []
        sets = {}
        for t, label in sides:
            # Shape: the grain column and the identity columns fit the grain.
            bad_grain = con.execute(
                f"SELECT count(*) FROM {t} WHERE rule_id = ? AND grain IS DISTINCT FROM ?", [rule_id, grain]
            ).fetchone()[0]
            if bad_grain:
                rule_problems.append(f"{label}: {bad_grain} flags whose grain is not {grain!r}")
            null_key = " OR ".join(f"{c} IS NULL" for c in KEY[grain])
            n_null = con.execute(f"SELECT count(*) FROM {t} WHERE rule_id = ? AND ({null_key})", [rule_id]).fetchone()[0]
            if n_null:
                rule_problems.append(f"{label}: {n_null} flags with a null {key}")
            # claim_id/line_no must be null where the grain says so (provider_id
            # is "where known" on line and claim flags, so it is not checked).
            must_be_null = [c for c in others if not (c == "provider_id")]
            if must_be_null:
                cond = " OR ".join(f"{c} IS NOT NULL" for c in must_be_null)
                n_extra = con.execute(f"SELECT count(*) FROM {t} WHERE rule_id = ? AND ({cond})", [rule_id]).fetchone()[0]
                if n_extra:
                    rule_problems.append(f"{label}: {n_extra} flags with {'/'.join(must_be_null)} set")
            dup = con.execute(
                f"SELECT count(*) FROM (SELECT {key} FROM {t} WHERE rule_id = ? GROUP BY ALL HAVING count(*) > 1)",
                [rule_id],
            ).fetchone()[0]
            if dup:
                rule_problems.append(f"{label}: {dup} rows flagged more than once")
            sets[t] = con.execute(f"SELECT count(DISTINCT ({key})) FROM {t} WHERE rule_id = ?", [rule_id]).fetchone()[0]

        # A flag on the same row with another amount at stake differs too.
        diff_sql = (
            "SELECT {key}, amount_at_stake FROM {x} WHERE rule_id = ? "
            "EXCEPT SELECT {key}, amount_at_stake FROM {y} WHERE rule_id = ?"
        )
        only = {}
        examples = {}
        for (x, y) in (("a", "b"), ("b", "a")):
            q = diff_sql.format(key=key, x=x, y=y)
            only[x] = con.execute(f"SELECT count(*) FROM ({q})", [rule_id, rule_id]).fetchone()[0]
            examples[x] = con.execute(
                f"SELECT * FROM ({q}) ORDER BY ALL LIMIT {int(args.examples)}", [rule_id, rule_id]
            ).fetchall()
        n_a = con.execute("SELECT count(*) FROM a WHERE rule_id = ?", [rule_id]).fetchone()[0]
        n_b = con.execute("SELECT count(*) FROM b WHERE rule_id = ?", [rule_id]).fetchone()[0]
        total_a += n_a
        total_b += n_b
        counts_rows.append((rule_id, n_a, n_b))
        status = "ok" if not (only["a"] or only["b"] or rule_problems) else "DIFFERENT"
        print(f"{rule_id:<12} {grain:<9} {n_a:>{w},} {n_b:>{w},} {only['a']:>{w + 5},} {only['b']:>{w + 5},}  {status}")
        if status != "ok":
            lines = [f"{rule_id} ({grain} grain, key {key}):"]
            lines += ["  " + p for p in rule_problems]
            for x, label in sides:
                if only[x]:
                    lines.append(f"  {only[x]} flagged only by {label}, e.g.:")
                    lines += [f"    {example(grain, row)}" for row in examples[x]]
            details.append("\n".join(lines))
            problems.append(f"{rule_id} differs")
    print(f"{'total':<12} {'':<9} {total_a:>{w},} {total_b:>{w},}")

    if args.counts_out:
        with open(args.counts_out, "w", encoding="utf-8") as f:
            for row in counts_rows:
                f.write("\t".join(str(v) for v in row) + "\n")

    if details:
        print()
        print("\n\n".join(details))
    if problems:
        print()
        print(f"DIFFERENCES: {len(problems)}: " + "; ".join(problems))
        return 1
    print(f"\nsame flags on all {len(RULES)} rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
