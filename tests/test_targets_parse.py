"""指标值 parsing: every target value of the seed's 2024 绩效目标表 (as the PDF extraction has them),
the usual variants of real filings, and the refusals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from decimal import Decimal as D

import pytest

from monitor.target_values import (
    OPERATORS,
    MilestoneError,
    TargetParseError,
    TargetValue,
    describe,
    parse_milestones,
    parse_target,
)

# (table, 三级指标, 指标值 as extracted, operator, value, measure) — seed 000, lines 535-650.
SEED_2024 = [
    ("单位整体", "成立科普基地", "≥5 个", ">=", "5", "个"),
    ("单位整体", "举办乌鲁木齐市青少年创新大赛", "≥1 场次", ">=", "1", "场次"),
    ("单位整体", "开展学协会学术交流", "≥3 场次", ">=", "3", "场次"),
    ("科普经费", "科普宣传、科技成果展示与媒体合作数", ">=1个", ">=", "1", "个"),
    ("科普经费", "科技工作者慰问人数", ">=510人", ">=", "510", "人"),
    ("科普经费", "当年开展各类科普活动的次数", ">=6场", ">=", "6", "场"),
    ("科普经费", "开展各类科普活动参与人数", ">=5000人次", ">=", "5000", "人次"),
    ("科普经费", "融媒体发布科普内容及及时性", "<=24小时", "<=", "24", "小时"),
    ("科普经费", "科技工作者慰问行业领域覆盖率", ">=5个", ">=", "5", "个"),
    ("科普经费", "各种科普活动服务费", "<=61.85万元", "<=", "61.85", "万元"),
    ("科普经费", "科技工作者慰问成本", "<=15万元", "<=", "15", "万元"),
    ("科普经费", "融媒体宣传服务费", "<=30万元", "<=", "30", "万元"),
    ("科普经费", "不断提高公民科学素质比例", "不断 提高", "improve", None, ""),
    ("科普经费", "群众满意度", "> =90%", ">=", "90", "%"),
    ("老科协", "开展科普讲座科技培训场次", ">=35 场次", ">=", "35", "场次"),
    ("老科协", "老年科技大学教学参学场次", ">=20 场次", ">=", "20", "场次"),
    ("老科协", "科普讲座培训考核合格率", "> =95%", ">=", "95", "%"),
    ("老科协", "聘请人员劳务费", "< =6000 0 元", "<=", "60000", "元"),
    ("老科协", "科普培训支出及差旅费成本", "< =4000 0 元", "<=", "40000", "元"),
    ("老科协", "提高老年群体科学素质", "不断 提高", "improve", None, ""),
    ("老科协", "群众满意度 (%)", "> =90%", ">=", "90", "%"),
    ("全国基层科普", "奖补市属先进学协会数量", ">=5 个", ">=", "5", "个"),
    ("全国基层科普", "当年开展各类科普活动的次数", ">=4 场", ">=", "4", "场"),
    ("全国基层科普", "科普产业示范基地、科技小院立项（个）", ">=2 个", ">=", "2", "个"),
    ("全国基层科普", "拍摄科普短视频（个）", ">=4 个", ">=", "4", "个"),
    ("全国基层科普", "市属先进学协会合格率（%）", "> =90%", ">=", "90", "%"),
    ("全国基层科普", "科普活动完成率（%）", "> =90%", ">=", "90", "%"),
    ("全国基层科普", "科普视频制作验收合格率（%）", "> =90%", ">=", "90", "%"),
    ("全国基层科普", "科普产业示范基地、科技小院评选合格率（%）", "> =90%", ">=", "90", "%"),
    ("全国基层科普", "学术交流会议", "<=28 万元", "<=", "28", "万元"),
    ("全国基层科普", "拍摄科普及科技工作者宣传片", "<=30 万元", "<=", "30", "万元"),
    ("全国基层科普", "学协会及示范科普基地奖补资金", "<=22 万元", "<=", "22", "万元"),
    ("全国基层科普", "科普活动公众参与率", "不断提高", "improve", None, ""),
    ("全国基层科普", "受益群众满意度（%）", "> =90%", ">=", "90", "%"),
    ("自治区基层科普", "创作高质量科普视频数量", ">=1 个", ">=", "1", "个"),
    ("自治区基层科普", "当年开展各类科普活动的次数。", ">=4 次", ">=", "4", "次"),
    ("自治区基层科普", "奖补科普教育基地数量", ">=15 个", ">=", "15", "个"),
    ("自治区基层科普", "青少年科技活动特色学校奖补先进集体数量", ">=11 个", ">=", "11", "个"),
    ("自治区基层科普", "科普活动完成率", "> =90%", ">=", "90", "%"),
    ("自治区基层科普", "科技特色学校评选合格率", "> =90%", ">=", "90", "%"),
    ("自治区基层科普", "科普教育基评选合格率", "> =90%", ">=", "90", "%"),
    ("自治区基层科普", "科普视频制作验收合格率", "> =90%", ">=", "90", "%"),
    ("自治区基层科普", "举办科普讲座", ">=2万元", ">=", "2", "万元"),
    ("自治区基层科普", "奖补科普教育基地 15 个", ">=15万元", ">=", "15", "万元"),
    ("自治区基层科普", "青少年科技活动特色学校 奖补先进集体 11 个", ">=11万元", ">=", "11", "万元"),
    ("自治区基层科普", "开发创作高质量科普视频 或科普创作作品 1 个", ">=22万元", ">=", "22", "万元"),
    ("自治区基层科普", "科普活动公众参与率", "不断提高", "improve", None, ""),
    ("自治区基层科普", "受益群众满意度 (%)", ">=90%", ">=", "90", "%"),
]


def test_seed_table_is_complete():
    assert len(SEED_2024) == 48
    assert sum(row[0] == "全国基层科普" for row in SEED_2024) == 13


@pytest.mark.parametrize("table,name,text,operator,value,measure", SEED_2024,
                         ids=lambda x: x if isinstance(x, str) else None)
def test_seed_2024_values(table, name, text, operator, value, measure):
    spec = parse_target(text)
    assert spec.operator == operator
    assert spec.value == (None if value is None else Decimal(value))
    assert isinstance(spec.value, (Decimal, type(None)))
    assert spec.measure == measure
    assert spec.text == text
    assert not spec.implied


@pytest.mark.parametrize(
    "text,operator,value,measure",
    [
        ("＞＝９０％", ">=", "90", "%"),
        ("≤５万元", "<=", "5", "万元"),
        ("≧3个", ">=", "3", "个"),
        ("≦24小时", "<=", "24", "小时"),
        ("＜5天", "<", "5", "天"),
        ("＞0人", ">", "0", "人"),
        ("＝1本", "=", "1", "本"),
        ("不低于95%", ">=", "95", "%"),
        ("不高于10万元", "<=", "10", "万元"),
        ("不少于12期", ">=", "12", "期"),
        ("不超过 3 家", "<=", "3", "家"),
        ("大于等于100条", ">=", "100", "条"),
        ("小于等于8.5万元", "<=", "8.5", "万元"),
        ("达到100%", ">=", "100", "%"),
        (">= 1,000人", ">=", "1000", "人"),
        ("≥1，200人次", ">=", "1200", "人次"),
        ("90%以上", ">=", "90", "%"),
        ("≥90%以上", ">=", "90", "%"),
        ("3个工作日以内", "<=", "3", "个工作日"),
        ("≥5（个）", ">=", "5", "个"),
        ("=>2场", ">=", "2", "场"),
        ("  >=  15  个 ", ">=", "15", "个"),
        ("逐步提高", "improve", None, ""),
        ("有所提升", "improve", None, ""),
        ("持续 改善", "improve", None, ""),
    ],
)
def test_variants(text, operator, value, measure):
    spec = parse_target(text)
    assert (spec.operator, spec.value, spec.measure) == (operator, None if value is None else Decimal(value), measure)


def test_bare_value_is_an_implied_floor():
    spec = parse_target("35场次")
    assert (spec.operator, spec.value, spec.measure, spec.implied) == (">=", Decimal(35), "场次", True)
    assert parse_target("1,000人").value == Decimal(1000)
    assert parse_target("60000元").implied


def test_money_in_fen():
    assert parse_target("<=61.85万元").fen == 61_850_000
    assert parse_target("< =6000 0 元").fen == 6_000_000
    assert parse_target(">=2万元").is_money
    assert parse_target(">=90%").fen is None
    assert not parse_target(">=90%").is_money
    assert parse_target("不断提高").fen is None
    assert parse_target("<=0.05元").fen == 5


def test_value_object():
    spec = parse_target("<=61.85万元")
    assert spec == TargetValue("<=", Decimal("61.85"), "万元", "<=61.85万元")
    assert spec.is_cap and not spec.is_floor
    assert describe(spec) == "<=61.85万元"
    assert set(OPERATORS) == {">=", "<=", ">", "<", "=", "improve"}
    with pytest.raises(AttributeError):
        spec.value = Decimal(1)  # frozen


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("很多", "neither an operator nor a number"),
        (">=", "no number"),
        (">=abc", "no number"),
        ("5-10个", "range"),
        ("5～10个", "range"),
        ("5至10个", "range"),
        ("-5个", "negative"),
        (">=-5个", "negative"),
        ("≥ －3 人", "negative"),
        ("≥5个10场", "two numbers"),
        (">=>=5", "operator"),
        ("≥不低于5个", "operator"),
        ("≥90%以下", "disagree"),
        (">=0.001元", "fen"),
        (">=5个!", "measure"),
        ("≥" + "9" * 100 + "个", "longer than 100"),
    ],
)
def test_refusals(text, fragment):
    with pytest.raises(TargetParseError) as caught:
        parse_target(text)
    error = caught.value
    assert fragment in error.en
    assert "可接受的写法" in error.zh and "≥5个" in error.zh
    assert "\n" not in error.zh and "\n" not in error.en
    assert isinstance(error, ValueError)


def test_refuses_non_text():
    with pytest.raises(TargetParseError):
        parse_target(None)  # type: ignore[arg-type]


def test_milestones_undated():
    quarters = parse_milestones("9/18/27/35", 2024)
    assert quarters == (
        (dt.date(2024, 3, 31), Decimal(9)), (dt.date(2024, 6, 30), Decimal(18)),
        (dt.date(2024, 9, 30), Decimal(27)), (dt.date(2024, 12, 31), Decimal(35)),
    )
    assert parse_milestones("10/20", 2024) == (
        (dt.date(2024, 6, 30), Decimal(10)), (dt.date(2024, 12, 31), Decimal(20)))
    months = parse_milestones("/".join(str(m) for m in range(1, 13)), 2024)
    assert months[1] == (dt.date(2024, 2, 29), Decimal(2)) and months[-1][0] == dt.date(2024, 12, 31)
    assert parse_milestones("", 2024) == () and parse_milestones("  ", 2024) == ()
    assert parse_milestones("0/1/1/1", 2024)[0][1] == 0  # flat steps are allowed


def test_milestones_dated():
    expected = parse_milestones("9/18/27/35", 2024)
    assert parse_milestones("3-31:9; 6-30:18; 9-30:27; 12-31:35", 2024) == expected
    assert parse_milestones("2024-03-31=9,2024-06-30=18,2024-09-30=27,2024-12-31=35", 2024) == expected
    assert parse_milestones("3月31日：9；6月30日：18", 2024)[1] == (dt.date(2024, 6, 30), Decimal(18))


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("9/18/27", "must be 2"),
        ("9/8/27/35", "cannot decrease"),
        ("6-30:18; 3-31:9", "dates must increase"),
        ("2023-03-31=9", "outside 2024"),
        ("2-30:1", "invalid date"),
        ("a/b", "not a number"),
        ("3-31:-1", "non-negative"),
        ("3-31", "not a number"),
        ("31.3:9", "invalid date"),
        ("Q1:9", "cannot read"),
    ],
)
def test_milestones_refused(text, fragment):
    with pytest.raises(MilestoneError) as caught:
        parse_milestones(text, 2024)
    assert fragment in caught.value.en
    assert caught.value.zh


# --- typos that used to become measures, dates, and words without a number ----------------------

@pytest.mark.parametrize("text,measure", [
    (">=3五个", "五个"), ("≥2十场次", "十场次"), (">=1万五千人次", "万五千人次"), (">=3亿万元", "亿万元"),
])
def test_a_measure_with_chinese_numerals_is_refused_as_a_typo(text, measure):
    with pytest.raises(TargetParseError) as caught:
        parse_target(text)
    assert f"计量单位「{measure}」含有中文数字" in caught.value.zh
    assert "Chinese numerals" in caught.value.en


@pytest.mark.parametrize("text,measure", [
    ("≥3万人次", "万人次"), (">=2千元", "千元"), ("<=1.5亿元", "亿元"), (">=3千米", "千米"),
    ("≥5个百分点", "个百分点"), ("≤3个月", "个月"), ("≥5年", "年"), ("12月", "月"),
])
def test_one_leading_unit_prefix_and_measure_words_are_kept(text, measure):
    assert parse_target(text).measure == measure


@pytest.mark.parametrize("text", ["12月底前", "2023年12月底前", "12月31日前", "2024-12-31", "2024/12/31", "2024年内",
                                  "≥12月底", "6月末", "12月内"])
def test_a_deadline_written_as_the_value_is_refused_pointing_to_the_date_columns(text):
    with pytest.raises(TargetParseError) as caught:
        parse_target(text)
    assert "时效指标请用 完成时限/开始日期 列" in caught.value.zh
    assert "use the 完成时限/开始日期 columns for a deadline" in caught.value.en
    assert "两个数值" not in caught.value.zh and "range" not in caught.value.en


@pytest.mark.parametrize("text,operator,value,measure", [
    ("10日内", "<=", "10", "日"), ("3个工作日内", "<=", "3", "个工作日"), ("24小时内", "<=", "24", "小时"),
])
def test_a_duration_within_is_a_cap_like_yinei(text, operator, value, measure):
    spec = parse_target(text)
    assert (spec.operator, spec.value, spec.measure) == (operator, D(value), measure)


@pytest.mark.parametrize("text", ["及时", "达标", "合格", "≥五个"])
def test_a_value_without_a_number_says_a_target_needs_one_or_bu_duan_ti_gao(text):
    with pytest.raises(TargetParseError) as caught:
        parse_target(text)
    if text == "≥五个":
        assert "阿拉伯数字" in caught.value.zh and "digits" in caught.value.en
    else:
        assert "绩效目标须有数值" in caught.value.zh and "不断提高" in caught.value.zh
        assert "a target needs a number" in caught.value.en


def test_measures_that_differ_by_a_prefix_convert_exactly_and_others_do_not():
    from monitor.target_values import convert_measure

    assert convert_measure(D("12000"), "人次", "万人次") == D("1.2")
    assert str(convert_measure(D("3"), "万元", "元")) == "30000"
    assert convert_measure(D("1.5"), "千元", "万元") == D("0.15")
    assert convert_measure(D("12345.6789"), "人次", "亿人次") == D("0.000123456789")
    assert convert_measure(D("7"), "场次", "场次") == D("7")
    assert convert_measure(D("5"), "个", "场") is None
    assert convert_measure(D("5"), "", "个") is None
    assert convert_measure(D("90"), "%", "‰") is None
