-- The 22 CHS default rules (docs/rules.md) in DuckDB SQL.
--
-- An independent reading of docs/default-rules.md over the data contract
-- (docs/contract.md), written from those definitions, not from rulesets/chs/*.rules.
-- Needs DuckDB >= 1.3 (the `lambda x: ...` syntax); run.sh pins the version.
--
-- Placeholders, substituted by duckdb_rules.py before the text is run (with
-- single quotes doubled): ${claims}, ${claim_items}, ${patients}, ${catalog},
-- ${providers}, ${exclusive_items} are the Parquet path or glob of each table, e.g.
-- DIR/claims/*.parquet for a table stored as a folder, DIR/patients.parquet for
-- a single file.
--
-- Every rule is a view flag_<rule> with the columns
--   (rule_id, grain, claim_id, line_no, provider_id, amount_at_stake)
-- holding exactly the identity of the flagged row for its grain, and the
-- flag's amount at stake by the contract's default (none of the 22 declares
-- its own): the line's amount for a line flag, the claim's fund_amount for a
-- claim flag, null for a provider flag:
--   line grain      claim_id, line_no        (provider_id null)
--   claim grain     claim_id                 (line_no, provider_id null)
--   provider grain  provider_id              (claim_id, line_no null)
-- and the view `flags` is the union of the 22.
--
-- Three-valued logic: a WHERE clause keeps a row only when its condition is
-- TRUE, so a comparison with a null (missing lookup, null column) does not
-- flag, exactly as docs/default-rules.md asks. Lookups are LEFT JOINs so that a
-- missing row is a null, never a lost line.

------------------------------------------------------------------------------
-- Inputs
------------------------------------------------------------------------------
CREATE OR REPLACE TEMP VIEW claims      AS SELECT * FROM read_parquet('${claims}');
CREATE OR REPLACE TEMP VIEW claim_items AS SELECT * FROM read_parquet('${claim_items}');
CREATE OR REPLACE TEMP VIEW patients    AS SELECT * FROM read_parquet('${patients}');
CREATE OR REPLACE TEMP VIEW catalog     AS SELECT * FROM read_parquet('${catalog}');
CREATE OR REPLACE TEMP VIEW providers   AS SELECT * FROM read_parquet('${providers}');
CREATE OR REPLACE TEMP VIEW exclusive_items AS SELECT * FROM read_parquet('${exclusive_items}');

------------------------------------------------------------------------------
-- Parameters (docs/default-rules.md, "Parameters")
------------------------------------------------------------------------------
-- CAP-01: annual fund cap by insurance type; null for any other type.
CREATE OR REPLACE TEMP MACRO annual_fund_cap(insurance_type) AS
    CASE insurance_type
        WHEN 'employee' THEN CAST(700000.00 AS DECIMAL(18, 2))
        WHEN 'resident' THEN CAST(300000.00 AS DECIMAL(18, 2))
    END;
-- QTY-02: the window is 30 days (this day and the 29 before, written as
-- INTERVAL 29 DAYS PRECEDING in the rule: a RANGE frame needs a constant);
-- the limit is 60 days' supply.
CREATE OR REPLACE TEMP MACRO supply_limit() AS 60;
-- SPLIT-01: readmission gap, days.
CREATE OR REPLACE TEMP MACRO readmission_gap() AS 15;
-- UPC-01: thresholds. The quantile is kept as an exact fraction
-- consult_quantile_num / consult_quantile_den (0.95 = 95/100) so that the
-- position (k-1)*0.95 and the interpolation are computed without rounding.
CREATE OR REPLACE TEMP MACRO consult_min_lines() AS 100;
CREATE OR REPLACE TEMP MACRO consult_min_peers() AS 20;
CREATE OR REPLACE TEMP MACRO consult_quantile_num() AS 95;
CREATE OR REPLACE TEMP MACRO consult_quantile_den() AS 100;

------------------------------------------------------------------------------
-- Derived values (docs/contract.md, "Values the rules derive")
------------------------------------------------------------------------------
-- age in full years at d for birth date b: someone born on 29 February is a
-- year older on 1 March of a non-leap year ((2, 28) < (2, 29)).
CREATE OR REPLACE TEMP MACRO age_at(b, d) AS
    year(d) - year(b)
    - CASE WHEN month(d) < month(b) OR (month(d) = month(b) AND day(d) < day(b))
           THEN 1 ELSE 0 END;
-- prefix(code, n): the first n characters, the whole code if shorter.
CREATE OR REPLACE TEMP MACRO prefix(code, n) AS substring(code, 1, n);

------------------------------------------------------------------------------
-- Line rules
------------------------------------------------------------------------------

-- OOC-01 目录外药品: a drug line with no catalog entry, a class-C entry, or an
-- entry not in force on the service date.
CREATE OR REPLACE TEMP VIEW flag_ooc_01 AS
SELECT 'OOC-01' AS rule_id, 'line' AS grain, li.claim_id, li.line_no, NULL::VARCHAR AS provider_id,
       li.amount AS amount_at_stake
FROM claim_items li
LEFT JOIN catalog e ON e.item_code = li.item_code
WHERE li.item_type = 'drug'
  AND (e.item_code IS NULL
       OR e.pay_class = 'C'
       OR li.service_date < e.valid_from
       OR (e.valid_to IS NOT NULL AND li.service_date > e.valid_to));

-- OOC-02 目录外诊疗项目/耗材: the same for service and material lines.
CREATE OR REPLACE TEMP VIEW flag_ooc_02 AS
SELECT 'OOC-02' AS rule_id, 'line' AS grain, li.claim_id, li.line_no, NULL::VARCHAR AS provider_id,
       li.amount AS amount_at_stake
FROM claim_items li
LEFT JOIN catalog e ON e.item_code = li.item_code
WHERE li.item_type IN ('service', 'material')
  AND (e.item_code IS NULL
       OR e.pay_class = 'C'
       OR li.service_date < e.valid_from
       OR (e.valid_to IS NOT NULL AND li.service_date > e.valid_to));

-- LIM-GENDER 限性别. A missing patient gives a null gender: no flag.
CREATE OR REPLACE TEMP VIEW flag_lim_gender AS
SELECT 'LIM-GENDER' AS rule_id, 'line' AS grain, li.claim_id, li.line_no, NULL::VARCHAR AS provider_id,
       li.amount AS amount_at_stake
FROM claim_items li
JOIN catalog e ON e.item_code = li.item_code
LEFT JOIN claims c ON c.claim_id = li.claim_id
LEFT JOIN patients p ON p.patient_id = c.patient_id
WHERE e.gender_limit IS NOT NULL
  AND p.gender <> e.gender_limit;

-- LIM-AGE 限年龄: age at the service date outside [min_age, max_age].
CREATE OR REPLACE TEMP VIEW flag_lim_age AS
SELECT 'LIM-AGE' AS rule_id, 'line' AS grain, li.claim_id, li.line_no, NULL::VARCHAR AS provider_id,
       li.amount AS amount_at_stake
FROM claim_items li
JOIN catalog e ON e.item_code = li.item_code
LEFT JOIN claims c ON c.claim_id = li.claim_id
LEFT JOIN patients p ON p.patient_id = c.patient_id
WHERE (e.min_age IS NOT NULL OR e.max_age IS NOT NULL)
  AND ((e.min_age IS NOT NULL AND age_at(p.birth_date, li.service_date) < e.min_age)
       OR (e.max_age IS NOT NULL AND age_at(p.birth_date, li.service_date) > e.max_age));

-- LIM-DX 限诊断: the entry lists diagnosis prefixes and no code among the
-- claim's primary and secondary diagnoses starts with any of them. A null
-- secondary_dx adds no code (the empty set). Three-valued: "no code starts
-- with any prefix" is TRUE only when every (code, prefix) pair is FALSE; a
-- null element in secondary_dx or dx_prefixes makes its pairs unknown, and an
-- unknown does not flag. Hence the inner filter keeps the pairs that are TRUE
-- or unknown (IS NOT FALSE), and the line flags when there are none.
CREATE OR REPLACE TEMP VIEW flag_lim_dx AS
SELECT 'LIM-DX' AS rule_id, 'line' AS grain, li.claim_id, li.line_no, NULL::VARCHAR AS provider_id,
       li.amount AS amount_at_stake
FROM claim_items li
JOIN catalog e ON e.item_code = li.item_code
LEFT JOIN claims c ON c.claim_id = li.claim_id
WHERE e.dx_prefixes IS NOT NULL
  AND len(e.dx_prefixes) > 0
  AND c.claim_id IS NOT NULL
  AND len(list_filter(
          list_prepend(c.primary_dx, coalesce(c.secondary_dx, []::VARCHAR[])),
          lambda code: len(list_filter(e.dx_prefixes, lambda pfx: starts_with(code, pfx) IS NOT FALSE)) > 0
      )) = 0;

-- LIM-LEVEL 限医疗机构等级. A missing provider gives a null level: no flag.
CREATE OR REPLACE TEMP VIEW flag_lim_level AS
SELECT 'LIM-LEVEL' AS rule_id, 'line' AS grain, li.claim_id, li.line_no, NULL::VARCHAR AS provider_id,
       li.amount AS amount_at_stake
FROM claim_items li
JOIN catalog e ON e.item_code = li.item_code
LEFT JOIN claims c ON c.claim_id = li.claim_id
LEFT JOIN providers pr ON pr.provider_id = c.provider_id
WHERE e.min_provider_level IS NOT NULL
  AND pr.level < e.min_provider_level;

-- PRICE-CAP 超标准收费: exact DECIMAL comparison.
CREATE OR REPLACE TEMP VIEW flag_price_cap AS
SELECT 'PRICE-CAP' AS rule_id, 'line' AS grain, li.claim_id, li.line_no, NULL::VARCHAR AS provider_id,
       li.amount AS amount_at_stake
FROM claim_items li
JOIN catalog e ON e.item_code = li.item_code
WHERE e.price_cap IS NOT NULL
  AND li.unit_price > e.price_cap;

-- DUP-01 重复收费: service/material lines of one patient, item and day, across
-- all claims; every line of a group of 2 or more.
CREATE OR REPLACE TEMP VIEW flag_dup_01 AS
SELECT 'DUP-01' AS rule_id, 'line' AS grain, claim_id, line_no, NULL::VARCHAR AS provider_id,
       amount AS amount_at_stake
FROM (
    SELECT li.claim_id, li.line_no, li.amount,
           count(*) OVER (PARTITION BY c.patient_id, li.item_code, li.service_date) AS lines_in_group
    FROM claim_items li
    JOIN claims c ON c.claim_id = li.claim_id
    WHERE li.item_type IN ('service', 'material')
)
WHERE lines_in_group >= 2;

-- FREQ-01 超频次: the quantity of one item billed to one patient on one day,
-- over all lines of any item_type, above the entry's max_daily_qty. Every line
-- of the group. (All lines of a group share the item_code, hence the entry:
-- restricting to items with a max_daily_qty first changes no group.)
CREATE OR REPLACE TEMP VIEW flag_freq_01 AS
SELECT 'FREQ-01' AS rule_id, 'line' AS grain, claim_id, line_no, NULL::VARCHAR AS provider_id,
       amount AS amount_at_stake
FROM (
    SELECT li.claim_id, li.line_no, li.amount, e.max_daily_qty,
           sum(li.quantity) OVER (PARTITION BY c.patient_id, li.item_code, li.service_date) AS day_qty
    FROM claim_items li
    JOIN catalog e ON e.item_code = li.item_code
    JOIN claims c ON c.claim_id = li.claim_id
    WHERE e.max_daily_qty IS NOT NULL
)
WHERE day_qty > max_daily_qty;

-- QTY-01 超限量开药: one drug line's days_supply above the entry's maximum.
CREATE OR REPLACE TEMP VIEW flag_qty_01 AS
SELECT 'QTY-01' AS rule_id, 'line' AS grain, li.claim_id, li.line_no, NULL::VARCHAR AS provider_id,
       li.amount AS amount_at_stake
FROM claim_items li
JOIN catalog e ON e.item_code = li.item_code
WHERE li.item_type = 'drug'
  AND li.days_supply IS NOT NULL
  AND e.max_days_supply IS NOT NULL
  AND li.days_supply > e.max_days_supply;

-- QTY-02 超量开药: over the patient's drug lines of the same item whose
-- service_date is in [d - 29 days, d] (RANGE frame: same-day lines are peers,
-- all included), the sum of days_supply (sum() skips nulls: a null counts 0)
-- is above 60. Only lines that carry a days_supply are flagged.
CREATE OR REPLACE TEMP VIEW flag_qty_02 AS
SELECT 'QTY-02' AS rule_id, 'line' AS grain, claim_id, line_no, NULL::VARCHAR AS provider_id,
       amount AS amount_at_stake
FROM (
    SELECT li.claim_id, li.line_no, li.amount, li.days_supply,
           sum(li.days_supply) OVER (
               PARTITION BY c.patient_id, li.item_code
               ORDER BY li.service_date
               RANGE BETWEEN INTERVAL 29 DAYS PRECEDING AND CURRENT ROW
           ) AS window_supply
    FROM claim_items li
    JOIN claims c ON c.claim_id = li.claim_id
    WHERE li.item_type = 'drug'
)
WHERE days_supply IS NOT NULL
  AND window_supply > supply_limit();

-- MUTEX-01 互斥项目: a line of which the same patient (claims.patient_id) has,
-- on the same service_date, a line of another item_code (any item_type, in
-- the same claim or another), the two codes listed in exclusive_items as a
-- pair in either order, in a version in force on the line's service_date:
-- valid_from <= d and (valid_to is null or d <= valid_to). Each such line
-- once, whatever the number of partners. A pair is matched under its two
-- codes in a fixed order (least, greatest), so both listings meet one key.
CREATE OR REPLACE TEMP VIEW flag_mutex_01 AS
WITH listed AS (
    SELECT least(item_a, item_b) AS lo, greatest(item_a, item_b) AS hi, valid_from, valid_to
    FROM exclusive_items
),
day_lines AS (
    -- only lines whose item is listed at all can meet a partner
    SELECT li.claim_id, li.line_no, li.item_code, li.service_date, li.amount, c.patient_id
    FROM claim_items li
    JOIN claims c ON c.claim_id = li.claim_id
    WHERE li.item_code IN (SELECT lo FROM listed UNION SELECT hi FROM listed)
),
met AS (
    SELECT DISTINCT l.claim_id, l.line_no, l.amount
    FROM day_lines l
    JOIN day_lines m
      ON m.patient_id = l.patient_id
     AND m.service_date = l.service_date
     AND m.item_code <> l.item_code
    JOIN listed x
      ON x.lo = least(l.item_code, m.item_code)
     AND x.hi = greatest(l.item_code, m.item_code)
    WHERE x.valid_from <= l.service_date
      AND (x.valid_to IS NULL OR l.service_date <= x.valid_to)
)
SELECT 'MUTEX-01' AS rule_id, 'line' AS grain, claim_id, line_no, NULL::VARCHAR AS provider_id,
       amount AS amount_at_stake
FROM met;

------------------------------------------------------------------------------
-- Claim rules
------------------------------------------------------------------------------

-- GHOST-01 死亡后就医.
CREATE OR REPLACE TEMP VIEW flag_ghost_01 AS
SELECT 'GHOST-01' AS rule_id, 'claim' AS grain, c.claim_id, NULL::INTEGER AS line_no, NULL::VARCHAR AS provider_id,
       c.fund_amount AS amount_at_stake
FROM claims c
LEFT JOIN patients p ON p.patient_id = c.patient_id
WHERE p.death_date IS NOT NULL
  AND c.admit_date > p.death_date;

-- GHOST-02 非参保人员: no patients row.
CREATE OR REPLACE TEMP VIEW flag_ghost_02 AS
SELECT 'GHOST-02' AS rule_id, 'claim' AS grain, c.claim_id, NULL::INTEGER AS line_no, NULL::VARCHAR AS provider_id,
       c.fund_amount AS amount_at_stake
FROM claims c
WHERE NOT EXISTS (SELECT 1 FROM patients p WHERE p.patient_id = c.patient_id);

-- GHOST-03 同日异地就医: the patient's outpatient and pharmacy claims of one
-- admit_date span 2 or more treat_regions; every such claim of that day.
CREATE OR REPLACE TEMP VIEW flag_ghost_03 AS
SELECT 'GHOST-03' AS rule_id, 'claim' AS grain, claim_id, NULL::INTEGER AS line_no, NULL::VARCHAR AS provider_id,
       fund_amount AS amount_at_stake
FROM (
    SELECT claim_id, fund_amount,
           count(DISTINCT treat_region) OVER (PARTITION BY patient_id, admit_date) AS regions
    FROM claims
    WHERE visit_type IN ('outpatient', 'pharmacy')
)
WHERE regions >= 2;

-- WAIT-01 待遇等待期内结算.
CREATE OR REPLACE TEMP VIEW flag_wait_01 AS
SELECT 'WAIT-01' AS rule_id, 'claim' AS grain, c.claim_id, NULL::INTEGER AS line_no, NULL::VARCHAR AS provider_id,
       c.fund_amount AS amount_at_stake
FROM claims c
LEFT JOIN patients p ON p.patient_id = c.patient_id
WHERE c.admit_date < p.benefit_start_date;

-- STAY-01 住院期间门诊/购药: an outpatient/pharmacy claim strictly inside an
-- inpatient stay of the same patient at another provider.
CREATE OR REPLACE TEMP VIEW flag_stay_01 AS
SELECT 'STAY-01' AS rule_id, 'claim' AS grain, c.claim_id, NULL::INTEGER AS line_no, NULL::VARCHAR AS provider_id,
       c.fund_amount AS amount_at_stake
FROM claims c
WHERE c.visit_type IN ('outpatient', 'pharmacy')
  AND EXISTS (
      SELECT 1
      FROM claims stay
      WHERE stay.visit_type = 'inpatient'
        AND stay.patient_id = c.patient_id
        AND stay.provider_id <> c.provider_id
        AND stay.admit_date < c.admit_date
        AND c.admit_date < stay.discharge_date
  );

-- STAY-02 重复住院: two inpatient claims of one patient whose stays overlap
-- (half-open intervals [admit, discharge)); both are flagged, as each sees
-- the other.
CREATE OR REPLACE TEMP VIEW flag_stay_02 AS
SELECT 'STAY-02' AS rule_id, 'claim' AS grain, c.claim_id, NULL::INTEGER AS line_no, NULL::VARCHAR AS provider_id,
       c.fund_amount AS amount_at_stake
FROM claims c
WHERE c.visit_type = 'inpatient'
  AND EXISTS (
      SELECT 1
      FROM claims other
      WHERE other.visit_type = 'inpatient'
        AND other.patient_id = c.patient_id
        AND other.claim_id <> c.claim_id
        AND c.admit_date < other.discharge_date
        AND other.admit_date < c.discharge_date
  );

-- SPLIT-01 分解住院: the immediate predecessor among the patient's inpatient
-- claims at the same provider, ordered by (admit_date, claim_id), was
-- discharged 0..15 days before this admission with the same 3-character
-- diagnosis prefix.
CREATE OR REPLACE TEMP VIEW flag_split_01 AS
SELECT 'SPLIT-01' AS rule_id, 'claim' AS grain, claim_id, NULL::INTEGER AS line_no, NULL::VARCHAR AS provider_id,
       fund_amount AS amount_at_stake
FROM (
    SELECT claim_id, fund_amount, admit_date, primary_dx,
           lag(discharge_date) OVER w AS prev_discharge,
           lag(primary_dx) OVER w AS prev_primary_dx
    FROM claims
    WHERE visit_type = 'inpatient'
    WINDOW w AS (PARTITION BY patient_id, provider_id ORDER BY admit_date, claim_id)
)
WHERE admit_date - prev_discharge BETWEEN 0 AND readmission_gap()
  AND prefix(primary_dx, 3) = prefix(prev_primary_dx, 3);

-- CAP-01 超年度支付限额: running sum of fund_amount over the patient's claims of
-- one calendar year of admit_date, ordered by (settle_time, claim_id), this
-- claim included, above the cap of the patient's insurance type (exact
-- DECIMAL sum). A missing patient has no type, hence no cap: no flag.
CREATE OR REPLACE TEMP VIEW flag_cap_01 AS
SELECT 'CAP-01' AS rule_id, 'claim' AS grain, r.claim_id, NULL::INTEGER AS line_no, NULL::VARCHAR AS provider_id,
       r.fund_amount AS amount_at_stake
FROM (
    SELECT claim_id, patient_id, fund_amount,
           sum(fund_amount) OVER (
               PARTITION BY patient_id, year(admit_date)
               ORDER BY settle_time, claim_id
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS running_fund
    FROM claims
) r
LEFT JOIN patients p ON p.patient_id = r.patient_id
WHERE r.running_fund > annual_fund_cap(p.insurance_type);

-- CONTRACT-01 非定点或协议期外.
CREATE OR REPLACE TEMP VIEW flag_contract_01 AS
SELECT 'CONTRACT-01' AS rule_id, 'claim' AS grain, c.claim_id, NULL::INTEGER AS line_no, NULL::VARCHAR AS provider_id,
       c.fund_amount AS amount_at_stake
FROM claims c
LEFT JOIN providers pr ON pr.provider_id = c.provider_id
WHERE pr.provider_id IS NULL
   OR c.admit_date < pr.contract_from
   OR (pr.contract_to IS NOT NULL AND c.admit_date > pr.contract_to);

------------------------------------------------------------------------------
-- Provider rule: UPC-01 高套诊查
------------------------------------------------------------------------------
-- Consultation lines (entry.family = 'consult', tier not null), counted per
-- the claim's provider: n lines, h of tier 3. Eligible: n >= 100. Peers: the
-- eligible providers of the same providers.level (a provider with no providers
-- row has no level, so it belongs to no peer group). Usable group: >= 20.
--
-- p95 by the linear method: sorted shares v[0..k-1], position
-- pos = (k-1)*0.95, p95 = v[f] + (pos - f)*(v[c] - v[f]), f = floor(pos),
-- c = ceil(pos). That is what DuckDB's quantile_cont computes (in DOUBLE);
-- upc_01_decisions keeps it next to the exact value for a check.
--
-- The flag compares share = h/n with p95 exactly, in integers: with
-- pos = f + r/D (D = consult_quantile_den, r = (k-1)*95 mod D),
--   h/n > h_f/n_f + (r/D)*(h_c/n_c - h_f/n_f)
--   <=> D*h*n_f*n_c > D*h_f*n*n_c + r*n*(h_c*n_f - h_f*n_c)      (n's > 0)
-- so a share equal to p95 never flags through rounding. Ranks are taken by
-- the DOUBLE h/n: equal fractions give the same DOUBLE, and distinct fractions
-- with denominators below 9e7 differ by more than one ulp, so the order is the
-- exact order.
CREATE OR REPLACE TEMP VIEW upc_01_decisions AS
WITH consult_lines AS (
    SELECT c.provider_id, e.tier
    FROM claim_items li
    JOIN catalog e ON e.item_code = li.item_code
    JOIN claims c ON c.claim_id = li.claim_id
    WHERE e.family = 'consult' AND e.tier IS NOT NULL
),
per_provider AS (
    SELECT provider_id,
           count(*) AS n,
           count(*) FILTER (WHERE tier = 3) AS h
    FROM consult_lines
    GROUP BY provider_id
),
eligible AS (
    SELECT pp.provider_id, pr.level, pp.n, pp.h, pp.h / pp.n AS share
    FROM per_provider pp
    JOIN providers pr ON pr.provider_id = pp.provider_id
    WHERE pp.n >= consult_min_lines()
      AND pr.level IS NOT NULL
),
ranked AS (
    SELECT *,
           count(*) OVER peers AS k,
           row_number() OVER (peers ORDER BY share, provider_id) - 1 AS rnk,
           quantile_cont(share, consult_quantile_num() / consult_quantile_den()) OVER peers AS p95_quantile_cont
    FROM eligible
    WINDOW peers AS (PARTITION BY level)
),
positioned AS (
    -- position (k-1)*q = f + r/D, D = consult_quantile_den(); c = f or f+1
    SELECT *,
           CAST((k - 1) * consult_quantile_num() AS HUGEINT) // consult_quantile_den() AS f,
           CAST((k - 1) * consult_quantile_num() AS HUGEINT) % consult_quantile_den() AS r
    FROM ranked
    WHERE k >= consult_min_peers()
),
bracketed AS (
    -- v[f] = h_f/n_f and v[c] = h_c/n_c of the provider's peer group
    SELECT *,
           max(CASE WHEN rnk = f THEN h END) OVER peers AS h_f,
           max(CASE WHEN rnk = f THEN n END) OVER peers AS n_f,
           max(CASE WHEN rnk = f + (r > 0)::INTEGER THEN h END) OVER peers AS h_c,
           max(CASE WHEN rnk = f + (r > 0)::INTEGER THEN n END) OVER peers AS n_c
    FROM positioned
    WINDOW peers AS (PARTITION BY level)
)
SELECT provider_id, level, n, h, share, k, f, r, h_f, n_f, h_c, n_c, p95_quantile_cont,
       -- the exact p95 as a DOUBLE, for the comparison with quantile_cont
       h_f / n_f + (r / consult_quantile_den()) * (h_c / n_c - h_f / n_f) AS p95_exact_double,
       CAST(consult_quantile_den() AS HUGEINT) * h * n_f * n_c
         > CAST(consult_quantile_den() AS HUGEINT) * h_f * n * n_c
           + CAST(r AS HUGEINT) * n * (CAST(h_c AS HUGEINT) * n_f - CAST(h_f AS HUGEINT) * n_c)
         AS flag_exact,
       CAST(consult_quantile_den() AS HUGEINT) * h * n_f * n_c
         = CAST(consult_quantile_den() AS HUGEINT) * h_f * n * n_c
           + CAST(r AS HUGEINT) * n * (CAST(h_c AS HUGEINT) * n_f - CAST(h_f AS HUGEINT) * n_c)
         AS equals_p95,
       share > p95_quantile_cont AS flag_quantile_cont
FROM bracketed;

-- One row per usable peer group, for duckdb_rules.py --upc-report.
CREATE OR REPLACE TEMP VIEW upc_01_groups AS
SELECT DISTINCT level, k, f, r, p95_quantile_cont, p95_exact_double, h_f, n_f, h_c, n_c
FROM upc_01_decisions;

CREATE OR REPLACE TEMP VIEW flag_upc_01 AS
SELECT 'UPC-01' AS rule_id, 'provider' AS grain, NULL::VARCHAR AS claim_id, NULL::INTEGER AS line_no, provider_id,
       NULL::DECIMAL(18, 2) AS amount_at_stake
FROM upc_01_decisions
WHERE flag_exact;

------------------------------------------------------------------------------
-- All flags
------------------------------------------------------------------------------
CREATE OR REPLACE TEMP VIEW flags AS
          SELECT * FROM flag_ooc_01
UNION ALL SELECT * FROM flag_ooc_02
UNION ALL SELECT * FROM flag_lim_gender
UNION ALL SELECT * FROM flag_lim_age
UNION ALL SELECT * FROM flag_lim_dx
UNION ALL SELECT * FROM flag_lim_level
UNION ALL SELECT * FROM flag_price_cap
UNION ALL SELECT * FROM flag_dup_01
UNION ALL SELECT * FROM flag_freq_01
UNION ALL SELECT * FROM flag_qty_01
UNION ALL SELECT * FROM flag_qty_02
UNION ALL SELECT * FROM flag_mutex_01
UNION ALL SELECT * FROM flag_ghost_01
UNION ALL SELECT * FROM flag_ghost_02
UNION ALL SELECT * FROM flag_ghost_03
UNION ALL SELECT * FROM flag_wait_01
UNION ALL SELECT * FROM flag_stay_01
UNION ALL SELECT * FROM flag_stay_02
UNION ALL SELECT * FROM flag_split_01
UNION ALL SELECT * FROM flag_cap_01
UNION ALL SELECT * FROM flag_contract_01
UNION ALL SELECT * FROM flag_upc_01;
