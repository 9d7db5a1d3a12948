#!/usr/bin/env python3
"""A small hand-made dataset on the boundaries of docs/default-rules.md.

    edge_cases.py --out DIR

Writes DIR/{patients,providers,catalog,claims,claim_items,exclusive_items}.parquet
in the data contract's types, and DIR/expected_flags.csv: the flags a hand reading
of docs/default-rules.md gives (rule_id, grain, claim_id, line_no, provider_id,
why). The generator plants clean cases; this set adds the corners where two
readings of the definitions could differ: nulls inside lists, missing patients and
providers, zero-length stays, equal sort keys, a p95 equal to shares, etc.
"""

import argparse
import os

import duckdb

# The dataset, in DuckDB SQL. Every date of the catalog and contracts starts
# in 2000 unless a case says otherwise.
DATASET = r"""
CREATE TABLE patients (patient_id VARCHAR, gender VARCHAR, birth_date DATE, death_date DATE,
    insurance_type VARCHAR, enroll_date DATE, benefit_start_date DATE, region VARCHAR);
INSERT INTO patients VALUES
    ('P1', 'M', '1980-01-01', NULL,         'employee', '2000-01-01', '2000-01-01', '330100'),
    ('P2', 'F', '2000-02-29', NULL,         'resident', '2000-03-01', '2000-03-01', '330100'),
    ('P3', 'F', '1950-06-01', '2024-03-10', 'resident', '2000-01-01', '2000-01-01', '330100'),
    ('P4', 'M', '1990-01-01', NULL,         'employee', '2024-01-01', '2024-04-01', '330100'),
    ('P5', 'F', '1985-05-05', NULL,         'employee', '2000-01-01', '2000-01-01', '330100');
-- P9 has claims but no patients row.

CREATE TABLE providers (provider_id VARCHAR, provider_name VARCHAR, level INTEGER, kind VARCHAR,
    region VARCHAR, contract_from DATE, contract_to DATE);
INSERT INTO providers VALUES
    ('H3', 'h3', 3, 'hospital', '330100', '2000-01-01', NULL),
    ('H2', 'h2', 2, 'hospital', '330100', '2000-01-01', '2024-03-31'),
    ('R1', 'r1', 0, 'pharmacy', '330100', '2000-01-01', NULL);
-- X9 and X1 have claims but no providers row.

CREATE TABLE catalog (item_code VARCHAR, item_name VARCHAR, item_type VARCHAR, pay_class VARCHAR,
    valid_from DATE, valid_to DATE, price_cap DECIMAL(14, 4), gender_limit VARCHAR,
    min_age INTEGER, max_age INTEGER, dx_prefixes VARCHAR[], min_provider_level INTEGER,
    max_daily_qty DECIMAL(12, 3), max_days_supply INTEGER, family VARCHAR, tier INTEGER);
INSERT INTO catalog VALUES
    ('S1',  's1',  'service',  'A', '2000-01-01', '2024-03-01', NULL,   NULL, NULL, NULL, NULL,           NULL, NULL,  NULL, NULL, NULL),
    ('D1',  'd1',  'drug',     'A', '2000-01-01', NULL,         NULL,   NULL, NULL, NULL, NULL,           NULL, NULL,  31,   NULL, NULL),
    ('DC',  'dc',  'drug',     'C', '2000-01-01', NULL,         NULL,   NULL, NULL, NULL, NULL,           NULL, NULL,  NULL, NULL, NULL),
    ('DX',  'dx',  'drug',     'A', '2000-01-01', NULL,         NULL,   NULL, NULL, NULL, ['E11', 'I10'], NULL, NULL,  NULL, NULL, NULL),
    ('DXB', 'dxb', 'drug',     'A', '2000-01-01', NULL,         NULL,   NULL, NULL, NULL, [''],           NULL, NULL,  NULL, NULL, NULL),
    ('AGE', 'age', 'service',  'A', '2000-01-01', NULL,         NULL,   NULL, 18,   65,   NULL,           NULL, NULL,  NULL, NULL, NULL),
    ('G',   'g',   'service',  'A', '2000-01-01', NULL,         NULL,   'F',  NULL, NULL, NULL,           3,    NULL,  NULL, NULL, NULL),
    ('Q',   'q',   'material', 'B', '2000-01-01', NULL,         1.5000, NULL, NULL, NULL, NULL,           NULL, 2.000, NULL, NULL, NULL),
    ('C1',  'c1',  'service',  'A', '2000-01-01', NULL,         NULL,   NULL, NULL, NULL, NULL,           NULL, NULL,  NULL, 'consult', 1),
    ('C3',  'c3',  'service',  'A', '2000-01-01', NULL,         NULL,   NULL, NULL, NULL, NULL,           NULL, NULL,  NULL, 'consult', 3),
    ('CX',  'cx',  'service',  'A', '2000-01-01', NULL,         NULL,   NULL, NULL, NULL, NULL,           NULL, NULL,  NULL, 'consult', NULL),
    -- MUTEX-01's items: drugs without limits, so no other rule fires on them
    ('XA',  'xa',  'drug',     'A', '2000-01-01', NULL,         NULL,   NULL, NULL, NULL, NULL,           NULL, NULL,  NULL, NULL, NULL),
    ('XB',  'xb',  'drug',     'A', '2000-01-01', NULL,         NULL,   NULL, NULL, NULL, NULL,           NULL, NULL,  NULL, NULL, NULL),
    ('XC',  'xc',  'drug',     'A', '2000-01-01', NULL,         NULL,   NULL, NULL, NULL, NULL,           NULL, NULL,  NULL, NULL, NULL),
    ('XD',  'xd',  'drug',     'A', '2000-01-01', NULL,         NULL,   NULL, NULL, NULL, NULL,           NULL, NULL,  NULL, NULL, NULL),
    ('XE',  'xe',  'drug',     'A', '2000-01-01', NULL,         NULL,   NULL, NULL, NULL, NULL,           NULL, NULL,  NULL, NULL, NULL);

-- MUTEX-01's knowledge base: XA-XB open; XC-XA (listed the other way)
-- ending on 29 February 2024; XD-XE in two versions with a gap from
-- 1 January to 1 March 2024.
CREATE TABLE exclusive_items (item_a VARCHAR, item_b VARCHAR, valid_from DATE, valid_to DATE, basis VARCHAR);
INSERT INTO exclusive_items VALUES
    ('XA', 'XB', '2024-01-01', NULL,         'KP-1'),
    ('XC', 'XA', '2024-01-01', '2024-02-29', NULL),
    ('XD', 'XE', '2023-01-01', '2023-12-31', 'KP-3'),
    ('XD', 'XE', '2024-03-02', NULL,         'KP-3');

CREATE TABLE claims (claim_id VARCHAR, patient_id VARCHAR, provider_id VARCHAR, visit_type VARCHAR,
    admit_date DATE, discharge_date DATE, primary_dx VARCHAR, secondary_dx VARCHAR[],
    total_amount DECIMAL(18, 2), fund_amount DECIMAL(18, 2), settle_time TIMESTAMP_MS, treat_region VARCHAR);
INSERT INTO claims VALUES
    -- P1's stays
    ('A1', 'P1', 'H3', 'inpatient',  '2024-01-10', '2024-01-12', 'E11.900', NULL,          1, 1, '2024-01-12 10:00', '330100'),
    ('A2', 'P1', 'H3', 'inpatient',  '2024-01-10', '2024-01-10', 'E11.100', NULL,          1, 1, '2024-01-10 10:00', '330100'),
    ('A3', 'P1', 'H3', 'inpatient',  '2024-01-12', '2024-01-20', 'E11.200', [NULL, 'X'],   1, 1, '2024-01-20 10:00', '330100'),
    ('A4', 'P1', 'H3', 'inpatient',  '2024-02-01', '2024-02-01', 'A1',      NULL,          1, 1, '2024-02-01 10:00', '330100'),
    ('A5', 'P1', 'H3', 'inpatient',  '2024-02-01', '2024-02-01', 'A1',      NULL,          1, 1, '2024-02-01 10:00', '330100'),
    ('A6', 'P1', 'H2', 'inpatient',  '2024-03-01', '2024-03-05', 'J18.000', [],            1, 1, '2024-03-05 10:00', '330100'),
    ('O1', 'P1', 'H3', 'outpatient', '2024-03-03', '2024-03-03', 'J06.900', NULL,          1, 1, '2024-03-03 10:00', '330100'),
    ('O2', 'P1', 'H2', 'outpatient', '2024-03-03', '2024-03-03', 'J06.900', NULL,          1, 1, '2024-03-03 11:00', '330200'),
    ('O3', 'P1', 'R1', 'pharmacy',   '2024-03-05', '2024-03-05', 'J06.900', NULL,          1, 1, '2024-03-05 11:00', '330100'),
    ('O4', 'P1', 'H3', 'inpatient',  '2024-03-03', '2024-03-03', 'J06.900', NULL,          1, 1, '2024-03-03 12:00', '330300'),
    ('O5', 'P1', 'H2', 'outpatient', '2024-03-02', '2024-03-02', 'J06.900', NULL,          1, 1, '2024-03-02 12:00', '330100'),
    -- P2 (resident, cap 300000.00); the year is admit_date's, the order settle_time's then claim_id's
    ('K1', 'P2', 'H3', 'inpatient',  '2023-12-20', '2023-12-31', 'C34.900', NULL, 1, 299999.99, '2024-01-05 10:00', '330100'),
    ('K2', 'P2', 'H3', 'outpatient', '2024-01-02', '2024-01-02', 'C34.900', NULL, 1, 0.02,      '2024-01-02 10:00', '330100'),
    ('K3', 'P2', 'H3', 'outpatient', '2023-12-31', '2023-12-31', 'C34.900', NULL, 1, 0.01,      '2024-01-05 10:00', '330100'),
    ('K4', 'P2', 'H3', 'outpatient', '2023-12-30', '2023-12-30', 'C34.900', NULL, 1, 0.01,      '2024-01-05 10:00', '330100'),
    -- P4 (employee, waiting until 2024-04-01): exactly at the cap; P9 not insured
    ('K5', 'P4', 'H3', 'outpatient', '2024-01-02', '2024-01-02', 'C34.900', NULL, 1, 700000.00, '2024-01-02 10:00', '330100'),
    ('K6', 'P9', 'H3', 'outpatient', '2024-01-02', '2024-01-02', 'C34.900', NULL, 1, 900000.00, '2024-01-02 10:00', '330100'),
    ('K7', 'P9', 'H3', 'pharmacy',   '2024-01-02', '2024-01-02', 'C34.900', NULL, 1, 0.00,      '2024-01-02 11:00', '330200'),
    -- P3 died on 2024-03-10; H2's contract ends on 2024-03-31
    ('G1', 'P3', 'H3', 'outpatient', '2024-03-10', '2024-03-10', 'J06',     ['X', 'I10.x00'], 1, 1, '2024-03-10 10:00', '330100'),
    ('G2', 'P3', 'H3', 'outpatient', '2024-03-11', '2024-03-11', 'I10.x00', NULL, 1, 1, '2024-03-11 10:00', '330100'),
    ('G3', 'P3', 'X9', 'outpatient', '2024-03-09', '2024-03-09', 'I10.x00', NULL, 1, 1, '2024-03-09 10:00', '330100'),
    ('G4', 'P3', 'H2', 'inpatient',  '2024-03-31', '2024-04-02', 'I10.x00', NULL, 1, 1, '2024-04-02 10:00', '330100'),
    ('G5', 'P3', 'H2', 'outpatient', '2024-04-01', '2024-04-01', 'I10.x00', NULL, 1, 1, '2024-04-01 10:00', '330100'),
    -- claims of line cases
    ('L1', 'P2', 'H3', 'outpatient', '2018-02-28', '2018-02-28', 'E11.9', ['I10'], 1, 1, '2018-02-28 10:00', '330100'),
    ('L2', 'P2', 'H2', 'outpatient', '2018-03-01', '2018-03-01', 'J00',   NULL,    1, 1, '2018-03-01 10:00', '330100'),
    ('L3', 'P9', 'H3', 'outpatient', '2024-02-29', '2024-02-29', 'J00',   [NULL],  1, 1, '2024-02-29 10:00', '330100'),
    ('L4', 'P9', 'X9', 'outpatient', '2024-02-29', '2024-02-29', 'J00',   NULL,    1, 1, '2024-02-29 11:00', '330100'),
    ('L5', 'P1', 'R1', 'pharmacy',   '2024-04-10', '2024-04-10', 'J00',   NULL,    1, 1, '2024-04-10 11:00', '330100'),
    -- claims of MUTEX-01's cases (P5's, one case a day; P1's and the uninsured P9's)
    ('M1',  'P5', 'H3', 'outpatient', '2024-02-29', '2024-02-29', 'J00', NULL, 1, 1, '2024-02-29 10:00', '330100'),
    ('M2',  'P5', 'H3', 'outpatient', '2024-03-01', '2024-03-01', 'J00', NULL, 1, 1, '2024-03-01 10:00', '330100'),
    ('M3',  'P5', 'H3', 'outpatient', '2024-02-15', '2024-02-15', 'J00', NULL, 1, 1, '2024-02-15 10:00', '330100'),
    ('M4',  'P5', 'H3', 'outpatient', '2024-03-02', '2024-03-02', 'J00', NULL, 1, 1, '2024-03-02 10:00', '330100'),
    ('M5',  'P5', 'H3', 'outpatient', '2024-04-01', '2024-04-01', 'J00', NULL, 1, 1, '2024-04-01 10:00', '330100'),
    ('M6',  'P5', 'H3', 'outpatient', '2024-05-01', '2024-05-01', 'J00', NULL, 1, 1, '2024-05-01 10:00', '330100'),
    ('M7',  'P5', 'R1', 'pharmacy',   '2024-05-01', '2024-05-01', 'J00', NULL, 1, 1, '2024-05-01 11:00', '330100'),
    ('M8',  'P5', 'H3', 'outpatient', '2024-06-01', '2024-06-01', 'J00', NULL, 1, 1, '2024-06-01 10:00', '330100'),
    ('M9',  'P1', 'H3', 'outpatient', '2024-06-01', '2024-06-01', 'J00', NULL, 1, 1, '2024-06-01 10:00', '330100'),
    ('M10', 'P9', 'H3', 'outpatient', '2024-07-01', '2024-07-01', 'J00', NULL, 1, 1, '2024-07-01 10:00', '330100'),
    ('M11', 'P5', 'H3', 'outpatient', '2024-08-01', '2024-08-01', 'J00', NULL, 1, 1, '2024-08-01 10:00', '330100');

CREATE TABLE claim_items (claim_id VARCHAR, line_no INTEGER, item_code VARCHAR, item_type VARCHAR,
    service_date DATE, quantity DECIMAL(12, 3), unit_price DECIMAL(14, 4), amount DECIMAL(18, 2),
    days_supply INTEGER, doctor_id VARCHAR);
INSERT INTO claim_items VALUES
    ('L1', 1, 'DX',   'drug',     '2018-02-28', 1,     1,      1, 10,   'D'),
    ('L1', 2, 'DXB',  'drug',     '2018-02-28', 1,     1,      1, 10,   'D'),
    ('L1', 3, 'AGE',  'service',  '2018-02-28', 1,     1,      1, NULL, 'D'),
    ('L1', 4, 'G',    'service',  '2018-02-28', 1,     1,      1, NULL, 'D'),
    ('L2', 1, 'AGE',  'service',  '2018-03-01', 1,     1,      1, NULL, 'D'),
    ('L2', 2, 'G',    'service',  '2018-03-01', 1,     1,      1, NULL, 'D'),
    ('L3', 1, 'DX',   'drug',     '2024-02-29', 1,     1,      1, 10,   'D'),
    ('L3', 2, 'AGE',  'service',  '2024-02-29', 1,     1,      1, NULL, 'D'),
    ('L3', 3, 'G',    'service',  '2024-02-29', 1,     1,      1, NULL, 'D'),
    ('L3', 4, 'Q',    'service',  '2024-02-29', 1,     1,      1, NULL, 'D'),
    ('L4', 1, 'G',    'service',  '2024-02-29', 1,     1,      1, NULL, 'D'),
    ('L4', 2, 'Q',    'service',  '2024-02-29', 1,     1,      1, NULL, 'D'),
    ('A3', 1, 'DX',   'drug',     '2024-01-12', 1,     1,      1, NULL, 'D'),
    ('A6', 1, 'DX',   'drug',     '2024-03-01', 1,     1,      1, NULL, 'D'),
    ('G1', 1, 'DX',   'drug',     '2024-03-10', 1,     1,      1, NULL, 'D'),
    ('O1', 1, 'S1',   'service',  '2024-03-01', 1,     1,      1, NULL, 'D'),
    ('O1', 2, 'S1',   'service',  '2024-03-02', 1,     1,      1, NULL, 'D'),
    ('O1', 3, 'S1',   'drug',     '2024-03-02', 1,     1,      1, NULL, 'D'),
    ('O1', 4, 'NOPE', 'material', '2024-03-02', 1,     1,      1, NULL, 'D'),
    ('O1', 5, 'Q',    'material', '2024-03-03', 1.000, 1.5001, 1, NULL, 'D'),
    ('O1', 6, 'D1',   'service',  '2024-02-08', 1,     1,      1, 40,   'D'),
    ('O1', 7, 'G',    'service',  '2024-03-03', 1,     1,      1, NULL, 'D'),
    ('O1', 8, 'DC',   'drug',     '2024-03-03', 1,     1,      1, NULL, 'D'),
    ('O2', 1, 'Q',    'material', '2024-03-03', 1.000, 1.5000, 1, NULL, 'D'),
    ('O4', 1, 'Q',    'drug',     '2024-03-03', 0.001, 1.5000, 1, NULL, 'D'),
    ('A1', 1, 'D1',   'drug',     '2024-01-10', 1,     1,      1, 30,   'D'),
    ('A2', 1, 'D1',   'drug',     '2024-01-10', 1,     1,      1, NULL, 'D'),
    ('A3', 2, 'D1',   'drug',     '2024-02-08', 1,     1,      1, 31,   'D'),
    ('A3', 3, 'D1',   'drug',     '2024-02-08', 1,     1,      1, NULL, 'D'),
    ('A4', 1, 'D1',   'drug',     '2024-02-09', 1,     1,      1, 0,    'D'),
    ('L5', 1, 'D1',   'drug',     '2024-04-10', 1,     1,      1, 32,   'D'),
    ('M1',  1, 'XA',  'drug',     '2024-02-29', 1,     2,      2, NULL, 'D'),
    ('M1',  2, 'XC',  'drug',     '2024-02-29', 1,     3,      3, NULL, 'D'),
    ('M1',  3, 'XB',  'drug',     '2024-02-29', 1,     4,      4, NULL, 'D'),
    ('M2',  1, 'XA',  'drug',     '2024-03-01', 1,     1,      1, NULL, 'D'),
    ('M2',  2, 'XC',  'drug',     '2024-03-01', 1,     1,      1, NULL, 'D'),
    ('M3',  1, 'XD',  'drug',     '2024-02-15', 1,     1,      1, NULL, 'D'),
    ('M3',  2, 'XE',  'drug',     '2024-02-15', 1,     1,      1, NULL, 'D'),
    ('M4',  1, 'XE',  'drug',     '2024-03-02', 1,     5,      5, NULL, 'D'),
    ('M4',  2, 'XD',  'drug',     '2024-03-02', 1,     6,      6, NULL, 'D'),
    ('M5',  1, 'XA',  'drug',     '2024-04-01', 1,     1,      1, NULL, 'D'),
    ('M5',  2, 'XA',  'drug',     '2024-04-01', 1,     1,      1, NULL, 'D'),
    ('M6',  1, 'XA',  'drug',     '2024-05-01', 1,     7,      7, NULL, 'D'),
    ('M7',  1, 'XB',  'drug',     '2024-05-01', 1,     8,      8, NULL, 'D'),
    ('M8',  1, 'XA',  'drug',     '2024-06-01', 1,     1,      1, NULL, 'D'),
    ('M9',  1, 'XB',  'drug',     '2024-06-01', 1,     1,      1, NULL, 'D'),
    ('M10', 1, 'XB',  'drug',     '2024-07-01', 1,     9,      9, NULL, 'D'),
    ('M10', 2, 'XA',  'drug',     '2024-07-01', 1,     10,     10, NULL, 'D'),
    ('M11', 1, 'XA',  'drug',     '2024-08-01', 1,     1,      1, NULL, 'D'),
    ('M11', 2, 'XB',  'drug',     '2024-07-31', 1,     1,      1, NULL, 'D');

-- UPC-01. Level 2: U01..U25 with 100 consultation lines each; shares 0.10
-- (U01..U19), 0.50 (U20..U24), 0.60 (U25). k = 25, position 24 * 0.95 = 22.8,
-- v[22] = v[23] = 0.50, so p95 = 0.50 exactly: U25 flags, U20..U24 (equal)
-- do not. U01 also has 5 lines of a consult item with a null tier (not
-- consultation lines). U26: 99 lines, all tier 3 (not eligible). Level 3:
-- V01..V19 (19 eligible providers, no usable group; V19 all tier 3). X1: no
-- providers row, 100 lines all tier 3 (no level, no group).
-- Each provider has its own patient (PU01, ...) and one claim UC<provider>;
-- lines fall on distinct days so that no other rule fires on them.
INSERT INTO providers
    SELECT printf('U%02d', i), 'u', 2, 'hospital', '330100', DATE '2000-01-01', NULL FROM range(1, 27) r(i)
    UNION ALL
    SELECT printf('V%02d', i), 'v', 3, 'hospital', '330100', DATE '2000-01-01', NULL FROM range(1, 20) r(i);
CREATE TEMP TABLE upc (provider_id VARCHAR, n INTEGER, h INTEGER);
INSERT INTO upc
    SELECT printf('U%02d', i), 100, CASE WHEN i <= 19 THEN 10 WHEN i <= 24 THEN 50 ELSE 60 END FROM range(1, 26) r(i)
    UNION ALL SELECT 'U26', 99, 99
    UNION ALL SELECT printf('V%02d', i), 100, CASE WHEN i = 19 THEN 100 ELSE 10 END FROM range(1, 20) r(i)
    UNION ALL SELECT 'X1', 100, 100;
INSERT INTO patients
    SELECT 'PU' || provider_id, 'M', DATE '1980-01-01', NULL, 'employee', DATE '2000-01-01', DATE '2000-01-01', '330100' FROM upc;
INSERT INTO claims
    SELECT 'UC' || provider_id, 'PU' || provider_id, provider_id, 'outpatient', DATE '2023-06-01', DATE '2023-06-01',
           'J06.900', NULL, 1, 1, TIMESTAMP_MS '2023-06-01 10:00', '330100'
    FROM upc;
INSERT INTO claim_items
    SELECT 'UC' || provider_id, i, CASE WHEN i <= h THEN 'C3' ELSE 'C1' END, 'service',
           CAST(DATE '2020-01-01' + CAST(i AS INTEGER) AS DATE), 1, 1, 1, NULL, 'D'
    FROM upc, range(1, 101) r(i)
    WHERE i <= n;
INSERT INTO claim_items
    SELECT 'UCU01', 100 + i, 'CX', 'service', CAST(DATE '2021-01-01' + CAST(i AS INTEGER) AS DATE), 1, 1, 1, NULL, 'D'
    FROM range(1, 6) r(i);
"""

# rule_id, key (claim_id[/line_no] or provider_id), why
EXPECTED = [
    ("OOC-01", "O1/3", "a drug-typed line of a catalog entry past its valid_to"),
    ("OOC-01", "O1/8", "drug of pay class C"),
    ("OOC-02", "O1/2", "service the day after valid_to (O1/1 on valid_to itself does not fire)"),
    ("OOC-02", "O1/4", "material with no catalog entry"),
    ("LIM-GENDER", "O1/7", "F-only service for a man (L3/3, L4/1: patient missing, no flag)"),
    ("LIM-AGE", "L1/3", "born 29 February 2000: 17 on 28 February 2018 (18 on 1 March: L2/1)"),
    ("LIM-DX", "A6/1", "no diagnosis matches, secondary_dx empty (L3/1: [NULL] is unknown, A3/1 and G1/1 match)"),
    ("LIM-LEVEL", "L2/2", "level 2 below 3 (L4/1: provider missing, no flag)"),
    ("PRICE-CAP", "O1/5", "1.5001 above 1.5000 (O2/1 at the cap does not fire)"),
    ("DUP-01", "O1/5", "the same material on one day in two claims (the drug-typed O4/1 is not counted)"),
    ("DUP-01", "O2/1", "the same material on one day in two claims"),
    ("DUP-01", "L3/4", "a patient with no patients row still groups by claim.patient_id"),
    ("DUP-01", "L4/2", "a patient with no patients row still groups by claim.patient_id"),
    ("DUP-01", "L3/3", "the same service G twice on one day for the uninsured P9"),
    ("DUP-01", "L4/1", "the same service G twice on one day for the uninsured P9"),
    ("FREQ-01", "O1/5", "1.000 + 1.000 + 0.001 (any item_type) > 2.000"),
    ("FREQ-01", "O2/1", "1.000 + 1.000 + 0.001 (any item_type) > 2.000"),
    ("FREQ-01", "O4/1", "1.000 + 1.000 + 0.001 (any item_type) > 2.000"),
    ("QTY-01", "L5/1", "32 days above max 31 (A3/2 at 31 does not fire)"),
    ("QTY-02", "A3/2", "30 (29 days before) + 31 = 61; null days_supply counts 0; A3/3 null is not flagged; A4/1 a day later sees 31"),
    ("GHOST-01", "G2", "admitted the day after death (G1 on the day does not fire)"),
    ("GHOST-01", "G4", "admitted after death"),
    ("GHOST-01", "G5", "admitted after death"),
    ("GHOST-02", "K6", "no patients row"),
    ("GHOST-02", "K7", "no patients row"),
    ("GHOST-02", "L3", "no patients row"),
    ("GHOST-02", "L4", "no patients row"),
    ("GHOST-03", "O1", "outpatient 330100 and outpatient 330200 on one day (the inpatient O4 in 330300 does not count)"),
    ("GHOST-03", "O2", "outpatient 330100 and outpatient 330200 on one day"),
    ("GHOST-03", "K6", "outpatient and pharmacy in two regions, patient missing"),
    ("GHOST-03", "K7", "outpatient and pharmacy in two regions, patient missing"),
    ("WAIT-01", "K5", "admitted before benefit_start_date"),
    ("STAY-01", "O1", "outpatient at H3 strictly inside a stay at H2 (O5 at H2 itself, O3 on the discharge day: no)"),
    ("STAY-02", "A6", "overlaps the same-day stay O4 (A1/A2/A3 and A4/A5 only touch)"),
    ("STAY-02", "O4", "a same-day stay inside A6"),
    ("SPLIT-01", "A3", "predecessor A2 (A1 < A2 by claim_id on one admit_date) discharged 2 days before, E11"),
    ("SPLIT-01", "A5", "predecessor A4 discharged the same day, prefix of a 2-character code is the whole code"),
    ("CAP-01", "K4", "K1, K3, K4 (equal settle_time, by claim_id): 299999.99, 300000.00, 300000.01 (K5 at 700000.00, K6 without a patient: no)"),
    ("MUTEX-01", "M1/1", "two partners on one day: XB (open) and XC (on its valid_to), flagged once"),
    ("MUTEX-01", "M1/2", "XC with XA, listed the other way, on the version's valid_to (M2 a day later: no)"),
    ("MUTEX-01", "M1/3", "XB with XA; XB and XC are no pair"),
    ("MUTEX-01", "M4/1", "XD-XE on its second version's valid_from (M3 between the versions: no)"),
    ("MUTEX-01", "M4/2", "XD-XE on its second version's valid_from"),
    ("MUTEX-01", "M6/1", "the partner on another claim of the patient that day (a pharmacy)"),
    ("MUTEX-01", "M7/1", "the partner on another claim of the patient that day"),
    ("MUTEX-01", "M10/1", "a patient with no patients row still groups by claim.patient_id"),
    ("MUTEX-01", "M10/2", "a patient with no patients row (M5: one item twice, M8/M9: two patients, M11: the next day, no)"),
    ("GHOST-02", "M10", "no patients row"),
    ("CONTRACT-01", "G3", "no providers row"),
    ("CONTRACT-01", "G5", "the day after contract_to (G4 on contract_to does not fire)"),
    ("CONTRACT-01", "L4", "no providers row"),
    ("CONTRACT-01", "UCX1", "no providers row"),
    ("UPC-01", "U25", "share 0.60 above p95 0.50 of 25 level-2 peers (U20..U24 equal to p95: no)"),
]

GRAIN = {"UPC-01": "provider"}
CLAIM_RULES = {"GHOST-01", "GHOST-02", "GHOST-03", "WAIT-01", "STAY-01", "STAY-02", "SPLIT-01", "CAP-01", "CONTRACT-01"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="folder to write the dataset into")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    con = duckdb.connect()
    con.execute(DATASET)
    for t in ("patients", "providers", "catalog", "claims", "claim_items", "exclusive_items"):
        path = os.path.join(args.out, t + ".parquet").replace("'", "''")
        con.execute(f"COPY (SELECT * FROM {t} ORDER BY ALL) TO '{path}' (FORMAT PARQUET)")
    with open(os.path.join(args.out, "expected_flags.csv"), "w", encoding="utf-8") as f:
        f.write("rule_id,grain,claim_id,line_no,provider_id,amount_at_stake,why\n")
        # The amount at stake by the contract's default: the line's amount,
        # the claim's fund_amount, none for a provider.
        def amount(sql, *params):
            value = con.execute(sql, list(params)).fetchone()
            return "" if value is None or value[0] is None else str(value[0])
        for rule_id, key, why in EXPECTED:
            if GRAIN.get(rule_id) == "provider":
                row = (rule_id, "provider", "", "", key, "")
            elif rule_id in CLAIM_RULES:
                row = (rule_id, "claim", key, "", "",
                       amount("SELECT fund_amount FROM claims WHERE claim_id = ?", key))
            else:
                claim_id, line_no = key.split("/")
                row = (rule_id, "line", claim_id, line_no, "",
                       amount("SELECT amount FROM claim_items WHERE claim_id = ? AND line_no = ?",
                              claim_id, int(line_no)))
            f.write(",".join(row) + ',"' + why.replace('"', '""') + '"\n')
    print(f"wrote the edge-case dataset and {len(EXPECTED)} expected flags to {args.out}")


if __name__ == "__main__":
    main()
