"""Shared fixtures: a generated dataset with every planted case, and the
flags `claimaudit scan` (the command line, built from this repository)
gives for it, to compare every other way of scanning against."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

REPO = Path(__file__).resolve().parents[2]


def claimaudit_command() -> list[str]:
    binary = os.environ.get("CLAIMAUDIT_BIN")
    if binary:
        return [binary]
    return ["cargo", "run", "--quiet", "--release", "--manifest-path", str(REPO / "Cargo.toml"), "--"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        claimaudit_command() + list(args), capture_output=True, text=True, check=False
    )


def read_table(path: Path) -> pa.Table:
    """A table stored as `<t>.parquet` or a folder `<t>/` of Parquet files."""
    return ds.dataset(str(path), format="parquet").to_table()


def read_dataset(folder: Path, tables: list[str]) -> dict[str, pa.Table]:
    out = {}
    for table in tables:
        file = folder / f"{table}.parquet"
        out[table] = read_table(file if file.exists() else folder / table)
    return out


@pytest.fixture(scope="session")
def dataset(tmp_path_factory) -> Path:
    """A dense dataset in shuffled order: a fifth of lines flagged, every
    default rule's planted cases and near-misses among them."""
    folder = tmp_path_factory.mktemp("data")
    done = run_cli(
        "gen", "--out", str(folder), "--patients", "600",
        "--profile", "dense", "--order", "shuffled", "--seed", "11",
    )
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture(scope="session")
def cli_flags(dataset, tmp_path_factory) -> pa.Table:
    out = tmp_path_factory.mktemp("flags") / "flags.parquet"
    done = run_cli("scan", "--data", str(dataset), "--out", str(out), "--threads", "2")
    assert done.returncode == 0, done.stderr
    return read_table(out)


def java_available() -> bool:
    return shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME"))
