#!/usr/bin/env python3
"""Seeded synthetic COVID-19 case records with the CDC case-surveillance schema.

The real slices in ../shared/data are contiguous, age-skewed cuts of CDC exports (schema only);
scale tests need many records with plausible variety instead. This writes ROWS records to
stdout as CSV with the CDC columns; the same seed always yields the same file.

Usage: scripts/synth-cdc.py [--rows N] [--seed S] > records.csv
"""
import argparse
import csv
import datetime
import random
import sys

AGE_GROUPS = ["0 - 9 Years", "10 - 19 Years", "20 - 29 Years", "30 - 39 Years", "40 - 49 Years",
              "50 - 59 Years", "60 - 69 Years", "70 - 79 Years", "80+ Years", "Missing"]
AGE_WEIGHTS = [4, 11, 18, 16, 15, 14, 10, 6, 5, 1]
RACES = ["White, Non-Hispanic", "Black, Non-Hispanic", "Hispanic/Latino", "Asian, Non-Hispanic",
         "Multiple/Other, Non-Hispanic", "American Indian/Alaska Native, Non-Hispanic", "Unknown", "Missing"]
RACE_WEIGHTS = [35, 10, 18, 3, 3, 1, 15, 15]
COLUMNS = ["cdc_report_dt", "pos_spec_dt", "onset_dt", "current_status", "sex", "age_group",
           "race_ethnicity_combined", "hosp_yn", "icu_yn", "death_yn", "medcond_yn"]


def yes_no(rng, p_yes, p_unknown=0.3):
    r = rng.random()
    return "Unknown" if r < p_unknown else ("Yes" if r < p_unknown + (1 - p_unknown) * p_yes else "No")


def record(rng, start):
    age = rng.choices(AGE_GROUPS, AGE_WEIGHTS)[0]
    old = age in AGE_GROUPS[6:9]
    report = start + datetime.timedelta(days=rng.randrange(365))
    onset = "" if rng.random() < 0.4 else (report - datetime.timedelta(days=rng.randrange(14))).isoformat()
    hosp = yes_no(rng, 0.25 if old else 0.05)
    return [report.isoformat(), (report - datetime.timedelta(days=rng.randrange(5))).isoformat(), onset,
            "Laboratory-confirmed case" if rng.random() < 0.94 else "Probable Case",
            rng.choices(["Female", "Male", "Unknown", "Missing"], [51, 48, 0.6, 0.4])[0], age,
            rng.choices(RACES, RACE_WEIGHTS)[0], hosp,
            yes_no(rng, 0.3 if hosp == "Yes" else 0.005, 0.5),
            yes_no(rng, 0.08 if old else 0.003, 0.35),
            yes_no(rng, 0.5 if old else 0.2, 0.5)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(COLUMNS)
    start = datetime.date(2020, 3, 1)
    for _ in range(args.rows):
        out.writerow(record(rng, start))


if __name__ == "__main__":
    main()
