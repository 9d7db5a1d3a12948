#!/usr/bin/env bash
# claimaudit scan against DuckDB running the same 22 default rules (rules.sql),
# on one generated dataset: wall time and peak memory of each, and a rule-by-
# rule differential of their flags.
#
#   benches/scan_vs_duckdb/run.sh [PATIENTS] [RUNS] [SEED]
#
#   PATIENTS  claimaudit gen --patients (default 600000, about 10.6 M lines)
#   RUNS      timed runs of each contender, alternated A B A B ... (default 3)
#   SEED      claimaudit gen --seed (default 1)
#
# Environment: PROFILE (clean|dense, default clean) and ORDER
# (patient|time|shuffled, default patient) are claimaudit gen's --profile
# and --order; the three to measure are clean/patient, dense/time and
# dense/shuffled (README.md), e.g. PROFILE=dense ORDER=shuffled run.sh 230000.
# EXCLUSIVE_ITEMS, when set, is claimaudit gen's --exclusive-items (background
# rows of the knowledge base MUTEX-01 reads; default the generator's own).
# THREADS (default 2) is given to both (`scan --threads`,
# DuckDB `SET threads`); FORMAT (parquet|jsonl, default parquet) is
# claimaudit's output format; PYTHON (default python3) makes the venv;
# CLAIMAUDIT_BIN, when set, is the claimaudit binary to use (no cargo build).
#
# Needs: a Rust toolchain, python3 with venv, /usr/bin/time (GNU), and access
# to PyPI on the first run (the venv is kept in .venv, the dataset in data/).
# Exit status: 0 when both produced the same flags on every rule; 1 when they
# differ; anything else when a step failed.
set -euo pipefail

PATIENTS="${1:-600000}"
RUNS="${2:-3}"
SEED="${3:-1}"
THREADS="${THREADS:-2}"
FORMAT="${FORMAT:-parquet}"
PROFILE="${PROFILE:-clean}"
ORDER="${ORDER:-patient}"
PYTHON="${PYTHON:-python3}"
DUCKDB_VERSION="2.0.0"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$HERE/.venv"
EXCLUSIVE_ITEMS="${EXCLUSIVE_ITEMS:-}"
DATA="$HERE/data/p${PATIENTS}-s${SEED}-${PROFILE}-${ORDER}${EXCLUSIVE_ITEMS:+-x$EXCLUSIVE_ITEMS}"
OUT="$HERE/out"
BIN="${CLAIMAUDIT_BIN:-$ROOT/target/release/claimaudit}"
TIME=/usr/bin/time

die() { echo "run.sh: $*" >&2; exit 2; }
[[ "$PATIENTS" =~ ^[0-9]+$ && "$RUNS" =~ ^[1-9][0-9]*$ && "$SEED" =~ ^[0-9]+$ ]] \
  || die "usage: run.sh [PATIENTS] [RUNS] [SEED] (positive integers)"
[[ -z "$EXCLUSIVE_ITEMS" || "$EXCLUSIVE_ITEMS" =~ ^[0-9]+$ ]] \
  || die "EXCLUSIVE_ITEMS must be a number of rows"
[[ "$FORMAT" == parquet || "$FORMAT" == jsonl ]] || die "FORMAT must be parquet or jsonl"
[[ "$PROFILE" == clean || "$PROFILE" == dense ]] || die "PROFILE must be clean or dense"
[[ "$ORDER" == patient || "$ORDER" == time || "$ORDER" == shuffled ]] \
  || die "ORDER must be patient, time or shuffled"
[[ -x "$TIME" ]] && "$TIME" -v true >/dev/null 2>&1 \
  || die "needs GNU time at $TIME (apt-get install time)"
command -v "$PYTHON" >/dev/null || die "needs $PYTHON"

echo "== Python venv with duckdb $DUCKDB_VERSION ($VENV)"
if ! "$VENV/bin/python" -c "import duckdb, sys; sys.exit(duckdb.__version__ != '$DUCKDB_VERSION')" 2>/dev/null; then
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" || die "could not create a venv with $PYTHON -m venv (install python3-venv)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "duckdb==$DUCKDB_VERSION" \
    || die "pip could not install duckdb==$DUCKDB_VERSION (no access to PyPI?)"
fi
PY="$VENV/bin/python"

if [[ -n "${CLAIMAUDIT_BIN:-}" ]]; then
  echo "== claimaudit: $BIN (CLAIMAUDIT_BIN, not rebuilt)"
  [[ -x "$BIN" ]] || die "CLAIMAUDIT_BIN=$BIN is not an executable"
else
  echo "== cargo build --release"
  (cd "$ROOT" && cargo build --release --quiet --bin claimaudit)
fi

echo "== dataset: $PATIENTS patients, seed $SEED, profile $PROFILE, order $ORDER ($DATA)"
# A dataset generated before the knowledge base of exclusive items lacks
# that table: it is generated again.
if [[ -f "$DATA/.complete" && -f "$DATA/exclusive_items.parquet" ]]; then
  echo "   (already generated)"
else
  rm -rf "$DATA" "$DATA.partial"
  mkdir -p "$(dirname "$DATA")"
  GEN_ARGS=(--patients "$PATIENTS" --seed "$SEED" --profile "$PROFILE" --order "$ORDER")
  if [[ -n "$EXCLUSIVE_ITEMS" ]]; then
    GEN_ARGS+=(--exclusive-items "$EXCLUSIVE_ITEMS")
  fi
  "$BIN" gen --out "$DATA.partial" "${GEN_ARGS[@]}"
  mv "$DATA.partial" "$DATA"
  echo "patients=$PATIENTS seed=$SEED profile=$PROFILE order=$ORDER exclusive_items=${EXCLUSIVE_ITEMS:-default}" > "$DATA/.complete"
fi
LINES=$("$PY" -c "import duckdb, sys; print(duckdb.connect().execute(\"SELECT count(*) FROM read_parquet(?)\", [sys.argv[1]]).fetchall()[0][0])" "$DATA/claim_items/*.parquet")
echo "   $LINES claim lines"

mkdir -p "$OUT"
CA_OUT="$OUT/claimaudit.$FORMAT"
DB_OUT="$OUT/duckdb.parquet"
CA_CMD=("$BIN" scan --data "$DATA" --out "$CA_OUT" --format "$FORMAT" --threads "$THREADS")
DB_CMD=("$PY" "$HERE/duckdb_rules.py" --data "$DATA" --out "$DB_OUT" --threads "$THREADS")

# run NAME I CMD...: timed run I of NAME; appends "wall_seconds max_rss_kib" to $OUT/NAME.times
run() {
  local name="$1" i="$2"; shift 2
  local tv="$OUT/$name.time-v" log="$OUT/$name.log"
  local t0 t1
  t0=$(date +%s.%N)
  if ! "$TIME" -v -o "$tv" "$@" >"$log" 2>&1; then
    cat "$log" >&2
    die "$name failed: $*"
  fi
  t1=$(date +%s.%N)
  local rss cpu wall
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$tv")
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
  echo "$wall $rss $cpu" >> "$OUT/$name.times"
  printf '   %-10s run %d: %8.2f s wall  %8.1f MiB peak RSS  %8.2f s CPU\n' \
    "$name" "$i" "$wall" "$(awk -v k="$rss" 'BEGIN {print k / 1024}')" "$cpu"
}

echo "== timed runs, alternated ($RUNS each, threads $THREADS; $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "   claimaudit: ${CA_CMD[*]}"
echo "   duckdb:     ${DB_CMD[*]}"
rm -f "$OUT/claimaudit.times" "$OUT/duckdb.times"
for ((i = 1; i <= RUNS; i++)); do
  run claimaudit "$i" "${CA_CMD[@]}"
  run duckdb "$i" "${DB_CMD[@]}"
done

echo "   load average after: $(cut -d' ' -f1-3 /proc/loadavg) (other processes on the machine disturb the timings)"
"$PY" - "$OUT" "$LINES" "$DB_OUT" <<'EOF'
import duckdb, statistics, sys
out, lines, db_out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def load(name):
    rows = [l.split() for l in open(f"{out}/{name}.times") if l.strip()]
    return [float(r[0]) for r in rows], [int(r[1]) / 1024 for r in rows], [float(r[2]) for r in rows]
ca_t, ca_m, ca_c = load("claimaudit")
db_t, db_m, db_c = load("duckdb")
mt = lambda xs: statistics.median(xs)
print(f"== results ({len(ca_t)} runs each, {lines:,} lines)")
print(f"   {'':<11} {'median wall':>12} {'median peak RSS':>16} {'median CPU':>11}   all wall times / peak RSS")
for name, t, m, c in (("claimaudit", ca_t, ca_m, ca_c), ("duckdb", db_t, db_m, db_c)):
    print(f"   {name:<11} {mt(t):>10.2f} s {mt(m):>12.1f} MiB {mt(c):>9.2f} s   "
          + ", ".join(f"{a:.2f}" for a in t) + " s / " + ", ".join(f"{b:.0f}" for b in m) + " MiB")
print(f"   ratio claimaudit/duckdb: wall {mt(ca_t) / mt(db_t):.2f}, peak memory {mt(ca_m) / mt(db_m):.2f}")
# Each run of claimaudit and the DuckDB run after it share the machine's
# load of the moment: their ratios say less about other processes.
pairs = sorted(a / b for a, b in zip(ca_t, db_t))
print(f"   wall ratio of each alternated pair: median {mt(pairs):.2f} ("
      + ", ".join(f"{r:.2f}" for r in pairs) + ")")
print(f"   throughput: claimaudit {lines / mt(ca_t) / 1e6:.2f} M lines/s, duckdb {lines / mt(db_t) / 1e6:.2f} M lines/s")
flags = duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)", [db_out]).fetchall()[0][0]
print(f"   flags: {flags:,}, {100 * flags / lines:.3f} % of lines")
EOF

echo "== UPC-01: DuckDB quantile_cont against the exact linear-method p95"
"$PY" "$HERE/duckdb_rules.py" --data "$DATA" --threads "$THREADS" --upc-report

echo "== differential: flags per rule"
"$PY" "$HERE/compare.py" --claimaudit "$CA_OUT" --duckdb "$DB_OUT" --counts-out "$OUT/counts.tsv"
