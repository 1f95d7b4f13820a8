"""The demo's performance targets and their (invented) progress, as files for the importer.

The targets are the 2024 绩效目标表 of the budget disclosure (seed ``000_…``, lines ~553–650) for
the projects the 2023 demo has under the same purpose — 科普经费, the 老科协 activities
(老科技工作经费 in 2023) and the 基层科普行动 plan — plus two targets of the unit as a whole from
the 2023 evaluation (科普基地, and the 科普日 activity due in the week of 17–23 September). What the
tables cannot say is invented and marked so: the milestone schedule of the lectures, the economic
classes the cost indicators are measured from, and every progress figure.

The invented progress makes the replay show what the monitor watches: the lectures fall behind
their 9 / 18 / 27 / 35 schedule at 30 June (14 held) and catch up by 30 September; 科普经费's
services pass 90% of the 61.85 万元 cap, then cross it (from payments alone: nobody reports
spending); the 科普日 window is reminded before 17 September and reported on the 20th.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from jobs.demo import seed2023
from jobs.demo.exports import coded

HEADER = ("预算单位", "项目名称", "一级指标", "二级指标", "三级指标", "指标值", "分值权重", "项目负责人",
          "开始日期", "完成时限", "进度计划", "经济分类")
PROGRESS_HEADER = ("预算单位", "项目名称", "三级指标", "报告日期", "实际完成值", "备注")
HQ = coded(seed2023.HQ.code, seed2023.HQ.name)
OUTREACH = "158001230001 - 科普经费"
ELDERLY = "158001230003 - 老科技工作经费"
GRASSROOTS = "158001230002 - 2023年“基层科普行动”计划"
LEADERS = {OUTREACH: "穆兰娟", GRASSROOTS: "穆兰娟", ELDERLY: "武文彤"}  # 项目负责人 of the 2024 tables

# (project, 一级, 二级, 三级, 指标值, 权重, window start, due, milestones, economic class); the
# 一级 / 二级 cells are left blank under the first row of a group, as merged cells read.
TARGETS = (
    (OUTREACH, "产出指标", "数量指标", "科普宣传、科技成果展示与媒体合作数", ">=1个", "5", "", "", "", ""),
    (OUTREACH, "", "", "科技工作者慰问人数", ">=510人", "5", "", "", "", ""),
    (OUTREACH, "", "", "当年开展各类科普活动的次数", ">=6场", "10", "", "", "1/3/5/6", ""),
    (OUTREACH, "", "质量指标", "开展各类科普活动参与人数", ">=5000人次", "10", "", "", "", ""),
    (OUTREACH, "成本指标", "经济成本指标", "各种科普活动服务费", "<=61.85万元", "8", "", "", "", "30227"),
    (OUTREACH, "效益指标", "社会效益指标", "不断提高公民科学素质比例", "不断 提高", "20", "", "", "", ""),
    (OUTREACH, "满意度指标", "满意度指标", "群众满意度", "> =90%", "10", "", "", "", ""),
    (ELDERLY, "产出指标", "数量指标", "开展科普讲座科技培训场次", ">=35 场次", "20", "", "", "9/18/27/35", ""),
    (ELDERLY, "", "", "老年科技大学教学参学场次", ">=20 场次", "10", "", "", "", ""),
    (ELDERLY, "", "质量指标", "科普讲座培训考核合格率", "> =95%", "10", "", "", "", ""),
    (ELDERLY, "成本指标", "经济成本指标", "聘请人员劳务费", "< =6000 0 元", "10", "", "", "", "30226"),
    (ELDERLY, "效益指标", "社会效益指标", "提高老年群体科学素质", "不断 提高", "20", "", "", "", ""),
    (GRASSROOTS, "产出指标", "数量指标", "奖补市属先进学协会数量", ">=5 个", "5", "", "", "0/0/2/5", ""),
    (GRASSROOTS, "", "", "当年开展各类科普活动的次数", ">=4 场", "5", "", "", "1/2/3/4", ""),
    (GRASSROOTS, "成本指标", "经济成本指标", "学术交流会议", "<=28 万元", "6", "", "", "", "30215"),
    ("", "产出指标", "数量指标", "创建科普教育基地", "≥5 个", "3", "", "", "0/1/3/5", ""),
    ("", "", "时效指标", "举办全国“科普日”活动", ">=1次", "3", "09-17", "09-23", "", ""),
)

# Invented progress: (day, project, 三级指标, actual, note), filed the first working day after.
PROGRESS = (
    ("03-31", ELDERLY, "开展科普讲座科技培训场次", "9", "社区科普大学一季度台账"),
    ("03-31", ELDERLY, "老年科技大学教学参学场次", "5", ""),
    ("03-31", OUTREACH, "当年开展各类科普活动的次数", "2", ""),
    ("03-31", OUTREACH, "科技工作者慰问人数", "160", "春节慰问"),
    ("03-31", OUTREACH, "开展各类科普活动参与人数", "1300", ""),
    ("03-31", OUTREACH, "科普宣传、科技成果展示与媒体合作数", "1", "红山眼 APP 合作"),
    ("03-31", GRASSROOTS, "当年开展各类科普活动的次数", "1", ""),
    ("03-31", "", "创建科普教育基地", "0", "申报中"),
    ("06-30", ELDERLY, "开展科普讲座科技培训场次", "14", "二季度讲座因场地调整延后"),
    ("06-30", ELDERLY, "老年科技大学教学参学场次", "10", ""),
    ("06-30", OUTREACH, "当年开展各类科普活动的次数", "3", ""),
    ("06-30", OUTREACH, "科技工作者慰问人数", "260", ""),
    ("06-30", OUTREACH, "开展各类科普活动参与人数", "2600", ""),
    ("06-30", GRASSROOTS, "当年开展各类科普活动的次数", "2", ""),
    ("06-30", "", "创建科普教育基地", "1", ""),
    ("09-20", "", "举办全国“科普日”活动", "1", "9月20日红山体育中心主场活动"),
    ("09-30", ELDERLY, "开展科普讲座科技培训场次", "27", "三季度补齐"),
    ("09-30", ELDERLY, "老年科技大学教学参学场次", "15", ""),
    ("09-30", OUTREACH, "当年开展各类科普活动的次数", "5", ""),
    ("09-30", OUTREACH, "科技工作者慰问人数", "400", ""),
    ("09-30", OUTREACH, "开展各类科普活动参与人数", "4200", ""),
    ("09-30", GRASSROOTS, "奖补市属先进学协会数量", "2", ""),
    ("09-30", GRASSROOTS, "当年开展各类科普活动的次数", "3", ""),
    ("09-30", "", "创建科普教育基地", "4", ""),
    ("12-29", ELDERLY, "开展科普讲座科技培训场次", "36", "全年台账"),
    ("12-29", ELDERLY, "老年科技大学教学参学场次", "21", ""),
    ("12-29", ELDERLY, "科普讲座培训考核合格率", "97%", ""),
    ("12-29", OUTREACH, "当年开展各类科普活动的次数", "7", ""),
    ("12-29", OUTREACH, "科技工作者慰问人数", "530", ""),
    ("12-29", OUTREACH, "开展各类科普活动参与人数", "5600", ""),
    ("12-29", OUTREACH, "群众满意度", "96.12%", "问卷 361 份"),
    ("12-29", GRASSROOTS, "奖补市属先进学协会数量", "5", ""),
    ("12-29", GRASSROOTS, "当年开展各类科普活动的次数", "4", ""),
    ("12-29", "", "创建科普教育基地", "10", "新科协发〔2023〕70 号"),
)


def _day(year: int, month_day: str) -> str:
    return f"{year}-{month_day}" if month_day else ""


def write_targets(folder: Path, year: int = seed2023.YEAR) -> Path:
    """The year's target table as an .xlsx shaped like the disclosure's: two title rows, then one
    row per indicator with its unit and project (blank: the unit as a whole)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "绩效目标表"
    sheet.append(["项目支出绩效目标表"])
    sheet.append([f"（{year} 年）"])
    sheet.append(list(HEADER))
    for project, level1, level2, name, value, weight, start, due, milestones, economic in TARGETS:
        sheet.append([HQ, project, level1, level2, name, value, weight, LEADERS.get(project, ""),
                      _day(year, start), _day(year, due), milestones, economic])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    path = folder / f"{year}-01-03_绩效目标表.xlsx"
    book.save(path)
    return path


def write_progress(folder: Path, year: int = seed2023.YEAR) -> list[Path]:
    """One GBK CSV of progress reports per reporting day, named by the day it is filed."""
    by_day: dict[str, list[tuple]] = {}
    for row in PROGRESS:
        by_day.setdefault(row[0], []).append(row)
    paths = []
    for month_day, rows in sorted(by_day.items()):
        reported = dt.date.fromisoformat(f"{year}-{month_day}")
        filed = reported + dt.timedelta(days=1 if reported.month != 12 else 0)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(PROGRESS_HEADER)
        for _, project, name, actual, note in rows:
            writer.writerow([HQ, project, name, reported.isoformat(), actual, note])
        path = folder / f"{filed.isoformat()}_绩效进度.csv"
        path.write_bytes(buffer.getvalue().encode("gb18030"))
        paths.append(path)
    return paths
