"""The README's Python snippet runs as written and gives the command line's flags."""

from __future__ import annotations

import contextlib
import decimal
import io
import re

from conftest import REPO


def readme_snippet() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python and Spark", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_snippet_scans_a_dataset(dataset, cli_flags):
    code = readme_snippet()
    assert len(code.strip().splitlines()) <= 10
    assert '"demo-data"' in code
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(code.replace('"demo-data"', repr(str(dataset))), {})
    lines = printed.getvalue().splitlines()
    assert lines[0] == f"{cli_flags.num_rows} flags"
    by_rule = eval(lines[1], {"Decimal": decimal.Decimal})
    expected = (
        cli_flags.group_by("rule_id")
        .aggregate([("amount_at_stake", "sum")])
        .sort_by("rule_id")
        .to_pylist()
    )
    assert by_rule == expected
    assert len(by_rule) == 22
