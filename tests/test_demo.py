"""The demo goes through the real importer and reproduces the evaluation's 表 6-1."""

import json
from decimal import Decimal

from click.testing import CliRunner

from jobs.cli.app import cli
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
        run = runner.invoke(cli, ["demo", "--folder", str(tmp_path / "d"), "--json", "--no-replay"])
        assert run.exit_code == 0, run.output
        document = json.loads(run.output)
        assert [f["status"] for f in document["files"]] == ["ingested"] * len(document["files"])
    assert document["quarters"][0]["execution_rate"] == "17.96"


def test_the_demo_replays_2023_and_the_leaders_hear_of_q1_weeks_before_31_march(tmp_path, capsys):
    """The exports dropped into the inbox the day they were produced, the daemon's jobs on a
    simulated clock: the first warning about Q1 comes in January, the miss on 31 March, with
    reminders between; the figures at the end are the evaluation's."""
    result = run_demo(tmp_path / "demo", replay=True)
    out = capsys.readouterr().out
    messages = out.split("→ ")[1:]
    leader = [m for m in messages if m.startswith("科协机关负责人")]
    first_q1 = next(m for m in leader if "距 3月31日 考核节点" in m and "预计达不到考核进度" in m)
    assert "数据截至 2023年1月" in first_q1, "weeks before 31 March"
    missed = [m for m in leader if "3月31日 考核节点未达标" in m and "【更正】" not in m]
    # judged once an export covers 31 March (the first after it, of 6 April), on its figures
    assert len(missed) == 1 and "数据截至 2023年4月6日" in missed[0] and "已支付 17.20%" in missed[0]
    assert any("【倒计时 7 个工作日】" in m for m in leader) and any("【倒计时 3 个工作日】" in m for m in leader)
    assert any(m.startswith("科协主任（部门负责人）") and "2023 年预算执行周报" in m for m in messages)
    assert result["replay"]["imported"] == len(result["files"]) == 58 + 1 + 5  # + the targets, 5 progress reports
    assert [q["execution_rate"] for q in result["quarters"]] == ["17.96", "35.55", "64.85", "95.72"]
    # The 2024 targets of the disclosure on the projects of 2023, with invented progress: the
    # lectures' leader hears they fell behind the 30 June milestone, the outreach leader that the
    # services near and then cross their 61.85 万元 cap — from payments alone — and the unit's
    # leader is reminded of the 科普日 week before it comes.
    lectures = [m for m in messages if m.startswith("武文彤") and "开展科普讲座科技培训场次" in m]
    behind = next(m for m in lectures if "绩效目标进度落后" in m)
    assert "6月30日前应完成 18 场次，截至2023年6月30日报告完成 14 场次" in behind
    assert any("已赶上进度：完成 27 场次" in m for m in lectures)
    cap = [m for m in messages if m.startswith("穆兰娟") and "各种科普活动服务费" in m]
    near = next(i for i, m in enumerate(cap) if "🟡 黄色预警 · 成本指标接近或超出上限" in m)
    crossed = next(i for i, m in enumerate(cap) if "超出成本上限 61.85 万元" in m)
    assert near < crossed
    science_day = [m for m in leader if "举办全国“科普日”活动" in m]
    # found on Sunday 3 September, told in Monday's brief at the 09:07 slot
    # (the figures are of 1 September, the day the latest payment export reaches)
    assert "还有 14 天开始" in science_day[0] and "数据截至 2023年9月1日" in science_day[0]
    assert "已报告完成（2023年9月20日）" in science_day[-1]
