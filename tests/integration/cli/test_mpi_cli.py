"""``careweave mpi match`` and ``mpi generate`` through the installed command: the JSON lines,
the human table, the operator's mistakes (one ``error:`` line, exit 2), a 10,000-record file."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.cli.test_operator_mistakes import CAREWEAVE, _env, careweave, refused

SMALL = """\
id,given,family,birth_date,sex,address,city,postcode,phone,ssn
E1000001,JOHN,SMITH,1975-04-12,M,12 OAK ST,APPLETON,54911,(920) 555-0142,123-45-6780
A200000001,Jon,Smith,19750412,M,"12 Oak Street, Apt 1",Appleton,54911-2210,920-555-0142,6780
E1000002,MARGARET,OBRIEN,1948-03-07,F,400 RIVER RD,NEENAH,54956,(920) 555-0199,
PT-000003,Peggy,O'Brien,1948-07-03,F,400 River Road,Neenah,54956,9205550199,***-**-4411
E1000004,EMMA,WILSON,2012-06-30,F,77 LAKE DR,OSHKOSH,54901,(920) 555-0177,501-22-3344
E1000005,OLIVIA,WILSON,2012-06-30,F,77 LAKE DR,OSHKOSH,54901,(920) 555-0177,501-22-3345
A200000006,Nguyen,Linh,19910215,F,9 Elm Ave,Appleton,54911,,
E1000006,LINH,NGUYEN,1991-02-15,F,9 ELM AVE,APPLETON,54911,(414) 555-0100,
E1000007,ROBERT,JOHNSON,1960-11-02,M,5 MAIN ST,NEENAH,54956,,222-33-4444
PT-000008,Bob,Johnson,1960-11-02,M,88 Mill Rd,Fond du Lac,54935,262-555-0123,222-33-4444
E1000009,DAVID,MILLER,1983-09-21,M,3 PARK AVE,OSHKOSH,54901,(920) 555-0111,
E1000010,DAVID,MILLER,1955-01-30,M,70 CEDAR CT,APPLETON,54911,(920) 555-0122,
E1000011,JAMES,MILLER,1990-05-05,M,15 HILL ST,OSHKOSH,54902,,
A200000012,Jmaes,Miller,,M,15 Hill Street,Oshkosh,54902,,
"""
"""Nickname and typo, nickname and a day/month swap, twins, swapped names, same SSN, namesakes
with other birth dates, a pair without birth date."""


def small_file(folder: Path, text: str = SMALL) -> Path:
    path = folder / "patients.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_json_lines_are_exactly_the_linked_and_reviewed_pairs(tmp_path: Path) -> None:
    done = careweave("mpi", "match", str(small_file(tmp_path)), "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.splitlines() == [
        '{"a":"E1000001","b":"A200000001","score":1.0,"decision":"link"}',
        '{"a":"E1000002","b":"PT-000003","score":0.999999,"decision":"link"}',
        '{"a":"E1000004","b":"E1000005","score":0.999996,"decision":"review"}',
        '{"a":"A200000006","b":"E1000006","score":0.999997,"decision":"link"}',
        '{"a":"E1000007","b":"PT-000008","score":1.0,"decision":"link"}',
        '{"a":"E1000011","b":"A200000012","score":0.998822,"decision":"review"}',
    ]
    for line in done.stdout.splitlines():
        assert list(json.loads(line)) == ["a", "b", "score", "decision"]


def test_without_json_a_table_with_the_reasons_and_a_summary(tmp_path: Path) -> None:
    done = careweave("mpi", "match", str(small_file(tmp_path)))
    assert done.returncode == 0, done.stderr
    assert "guarded: given_name" in done.stdout  # the twins
    assert "same SSN, birth date and sex" in done.stdout
    summary = done.stdout.strip().splitlines()[-1]
    assert summary.startswith("14 records, 7 candidate pairs compared: 4 linked, 2 to review; ")
    assert "10 patients (4 with more than one record)" in summary


def test_thresholds_change_the_decisions(tmp_path: Path) -> None:
    path = str(small_file(tmp_path))
    done = careweave("mpi", "match", path, "--json", "--link-threshold", "0.9999999",
                     "--review-threshold", "0.9999")  # fmt: skip
    decisions = {(p["a"], p["b"]): p["decision"] for p in map(json.loads, done.stdout.splitlines())}
    assert decisions[("E1000002", "PT-000003")] == "review"  # 0.999999 is no longer enough
    assert decisions[("E1000007", "PT-000008")] == "link"  # the same-SSN rule does not score
    assert ("E1000011", "A200000012") not in decisions  # 0.998822 is below review now


def test_an_unreadable_birth_date_is_a_warning_and_the_row_is_still_matched(tmp_path: Path) -> None:
    text = SMALL.replace("A200000001,Jon,Smith,19750412", "A200000001,Jon,Smith,04/12/1975")
    done = careweave("mpi", "match", str(small_file(tmp_path, text)), "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"warning: {tmp_path / 'patients.csv'}:3: birth date '04/12/1975' is not YYYY-MM-DD or "
        "YYYYMMDD; matched without it"
    ]
    pairs = [json.loads(line) for line in done.stdout.splitlines()]
    john = next(p for p in pairs if p["a"] == "E1000001")
    assert john["b"] == "A200000001"  # matched on its name, address, phone and SSN


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("id,given,family,birth_date\nA,John,Smith,1975-04-12\n",
         (":1:", "sex, address, city, postcode, phone, ssn")),
        (SMALL + "E1000001,JOHN,SMITH,1975-04-12,M,,,,,\n", (":16:", "'E1000001'", "line 2")),
        (SMALL + ",JOHN,SMITH,1975-04-12,M,,,,,\n", (":16:", "empty id")),
        (SMALL + "X1,JOHN,SMITH,1975-04-12,M,,,,,,extra\n", (":16:", "11 values for 10")),
        ("", ("empty file",)),
    ],
)  # fmt: skip
def test_a_malformed_file_is_refused_with_its_line(
    tmp_path: Path, text: str, words: tuple[str, ...]
) -> None:
    done = careweave("mpi", "match", str(small_file(tmp_path, text)), "--json")
    refused(done.returncode, done.stderr, 2, str(tmp_path / "patients.csv"), *words)
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--link-threshold", "0.4"), ("thresholds",)),
        (("--review-threshold", "0"), ("thresholds",)),
        (("--truth", "nowhere.csv"), ("nowhere.csv", "no such file")),
    ],
)
def test_usage_mistakes_exit_2(
    tmp_path: Path, args: tuple[str, ...], words: tuple[str, ...]
) -> None:
    done = careweave("mpi", "match", str(small_file(tmp_path)), *args)
    refused(done.returncode, done.stderr, 2, *words)
    missing = careweave("mpi", "match", str(tmp_path / "absent.csv"))
    refused(missing.returncode, missing.stderr, 2, "absent.csv", "no such file")


def test_generate_writes_the_set_and_its_truth_and_match_scores_it(tmp_path: Path) -> None:
    out = tmp_path / "set.csv"
    done = careweave("mpi", "generate", "--out", str(out), "--people", "600", "--seed", "3")
    assert done.returncode == 0, done.stderr
    truth = tmp_path / "set.truth.csv"
    assert f"truth in {truth}" in done.stdout
    assert out.read_text().startswith("id,given,family,birth_date,sex,address,city,postcode,")
    assert truth.read_text().startswith("id,cluster\n")
    again = tmp_path / "again.csv"
    careweave("mpi", "generate", "--out", str(again), "--people", "600", "--seed", "3")
    assert again.read_bytes() == out.read_bytes()
    scored = careweave("mpi", "match", str(out), "--json", "--truth", str(truth))
    assert scored.returncode == 0, scored.stderr
    assert scored.stderr.startswith("automatic links: precision ")
    refused_out = careweave("mpi", "generate", "--out", str(out), "--truth", str(out))
    refused(refused_out.returncode, refused_out.stderr, 2, "--truth")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_ten_thousand_records_are_matched_in_seconds(tmp_path: Path) -> None:
    out = tmp_path / "10k.csv"
    made = careweave("mpi", "generate", "--out", str(out), "--people", "7800", "--seed", "10")
    assert made.returncode == 0, made.stderr
    records = len(out.read_text().splitlines()) - 1
    assert records >= 10_000
    started = time.perf_counter()
    done = subprocess.run(
        [str(CAREWEAVE), "mpi", "match", str(out), "--json", "--truth",
         str(tmp_path / "10k.truth.csv")],
        capture_output=True, text=True, timeout=280, env=_env(), check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) > 2000
    print(f"\ncareweave mpi match: {records} records, {len(lines)} pairs in {seconds:.1f} s "
          f"(process start included); {done.stderr.strip()}")  # fmt: skip
