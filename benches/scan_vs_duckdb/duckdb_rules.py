#!/usr/bin/env python3
"""Run the 22 CHS default rules (rules.sql) in DuckDB over a dataset folder.

    duckdb_rules.py --data DIR --out FLAGS.parquet [--threads N] [--sql rules.sql]
    duckdb_rules.py --data DIR --upc-report

Writes the union of the rules' rows (rule_id, grain, claim_id, line_no,
provider_id) to --out as Parquet (or CSV when the name ends in .csv), in one
DuckDB query. --upc-report prints, instead, UPC-01's peer groups with
DuckDB's quantile_cont next to the exact linear-method p95, and any provider
on which `share > quantile_cont` and the exact comparison disagree.
"""

import argparse
import os
import sys
import time

import duckdb

HERE = os.path.dirname(os.path.abspath(__file__))
TABLES = ["claims", "claim_items", "patients", "catalog", "providers", "exclusive_items"]


def table_path(data, table):
    """The Parquet path or glob of one table: a file DIR/t.parquet or a folder DIR/t/."""
    folder = os.path.join(data, table)
    single = os.path.join(data, table + ".parquet")
    if os.path.isdir(folder):
        return os.path.join(folder, "*.parquet")
    if os.path.isfile(single):
        return single
    sys.exit(f"duckdb_rules: no table {table!r} in {data} (neither {single} nor {folder}/)")


def load_sql(sql_path, data):
    text = open(sql_path, encoding="utf-8").read()
    for t in TABLES:
        text = text.replace("${" + t + "}", table_path(data, t).replace("'", "''"))
    if "${" in text:
        sys.exit(f"duckdb_rules: unresolved placeholder in {sql_path}")
    return text


def connect(args):
    con = duckdb.connect()
    con.execute(f"SET threads = {int(args.threads)}")
    if args.memory_limit:
        con.execute(f"SET memory_limit = '{args.memory_limit}'")
    con.execute(load_sql(args.sql, os.path.abspath(args.data)))
    return con


def upc_report(con):
    groups = con.execute(
        """SELECT level, k, f, r, p95_quantile_cont, p95_exact_double,
                  h_f, n_f, h_c, n_c
           FROM upc_01_groups ORDER BY level"""
    ).fetchall()
    worst = 0.0
    print("UPC-01 peer groups (usable): level, k, position, quantile_cont, exact p95")
    for level, k, f, r, qc, exact, h_f, n_f, h_c, n_c in groups:
        diff = abs(qc - exact)
        worst = max(worst, diff)
        print(
            f"  level {level}: k={k} pos={f}+{r}/100 quantile_cont={qc!r} "
            f"exact={h_f}/{n_f} + {r}/100*({h_c}/{n_c} - {h_f}/{n_f}) = {exact!r} |diff|={diff:.3g}"
        )
    counts = con.execute(
        """SELECT count(*), count(*) FILTER (WHERE flag_exact),
                  count(*) FILTER (WHERE flag_quantile_cont),
                  count(*) FILTER (WHERE flag_exact IS DISTINCT FROM flag_quantile_cont)
           FROM upc_01_decisions"""
    ).fetchone()
    print(
        f"  providers in usable groups: {counts[0]}; flagged exactly: {counts[1]}; "
        f"flagged by share > quantile_cont: {counts[2]}; disagreements: {counts[3]}"
    )
    for row in con.execute(
        """SELECT provider_id, level, h, n, share, p95_quantile_cont, flag_exact, flag_quantile_cont
           FROM upc_01_decisions WHERE flag_exact IS DISTINCT FROM flag_quantile_cont
           ORDER BY provider_id LIMIT 10"""
    ).fetchall():
        print(f"    disagreement: {row}")
    ties = con.execute("SELECT count(*) FROM upc_01_decisions WHERE equals_p95").fetchone()[0]
    print(f"  providers whose share equals their p95 exactly (not flagged): {ties}")
    print(f"  largest |quantile_cont - exact p95|: {worst:.3g}")
    return 0 if worst < 1e-12 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="dataset folder")
    ap.add_argument("--out", help="flags file (.parquet, or .csv)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--memory-limit", help="DuckDB memory_limit (default: DuckDB's own)")
    ap.add_argument("--sql", default=os.path.join(HERE, "rules.sql"))
    ap.add_argument("--upc-report", action="store_true", help="print UPC-01's quantile check instead")
    args = ap.parse_args()

    start = time.monotonic()
    con = connect(args)
    if args.upc_report:
        return upc_report(con)
    if not args.out:
        ap.error("--out is required (or --upc-report)")
    fmt = "CSV, HEADER" if args.out.endswith(".csv") else "PARQUET"
    tmp = args.out + ".tmp"
    quoted = tmp.replace("'", "''")
    n = con.execute(f"COPY (SELECT * FROM flags) TO '{quoted}' (FORMAT {fmt})").fetchone()[0]
    os.replace(tmp, args.out)
    print(f"duckdb {duckdb.__version__}: wrote {n} flags to {args.out} in {time.monotonic() - start:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
