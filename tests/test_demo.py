"""The demo goes through the real importer and reproduces the evaluation's 表 6-1."""

import json
from decimal import Decimal

from click.testing import CliRunner

from jobs.cli import cli
from jobs.demo.run import run_demo


def test_the_demo_reproduces_the_quarterly_payment_table_of_the_2023_evaluation(tmp_path, database_url, now):
    result = run_demo(tmp_path / "demo", database=database_url, as_json=True, now=now)
    assert result["budget"] == "15009700.00"  # 1500.97 万元, tables 1-1 + 1-2
    assert [(q["paid"], q["execution_rate"], q["met"]) for q in result["quarters"]] == [
        ("2696400.00", "17.96", False),
        ("5336600.00", "35.55", False),
        ("9733700.00", "64.85", False),
        ("14367200.00", "95.72", True),
    ]
    assert {u["code"] for u in result["units"]} == {"158001", "158002", "158003"}
    assert sum(Decimal(u["budget"]) for u in result["units"]) == Decimal("15009700.00")
    assert all(f["status"] == "ingested" for f in result["files"])


def test_the_demo_command_starts_from_an_empty_database_each_time(tmp_path):
    runner = CliRunner()
    for _ in range(2):
        run = runner.invoke(cli, ["demo", "--folder", str(tmp_path / "d"), "--json"])
        assert run.exit_code == 0, run.output
        document = json.loads(run.output)
        assert [f["status"] for f in document["files"]] == ["ingested"] * len(document["files"])
    assert document["quarters"][0]["execution_rate"] == "17.96"
