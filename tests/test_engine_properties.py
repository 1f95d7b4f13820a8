"""Properties of the execution engine that must hold for any data (hypothesis).

Roll-ups, rates, scores and projections are pure (``monitor``); what counts as paid is decided
in SQL (``db.queries.counted_amount``), so the reversal and monotonicity properties run the real
query on a real SQLite file, one rolled-back transaction per example.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from db.engine import make_engine, session_factory, sqlite_url
from db.figures import line_figures
from db.migrate import upgrade
from db.models import Import, Payment, Unit
from monitor.assess import assess, rank
from monitor.calendar import WorkCalendar
from monitor.execution import LineFigures, breakdown, roll_up
from monitor.money import FEN, ZERO, rate
from monitor.pacing import next_checkpoint, project
from monitor.rulebook import SCHEDULE_METHODS, build_rules
from monitor.schedule import schedule_rate, year_fraction
from monitor.scores import CheckpointFigure, payment_progress
from tests.conftest import NOW
from tests.helpers import ingest_rows, quota_export, quota_line

CALENDAR = WorkCalendar()
RULES = build_rules(2023, {})
YEAR_START, YEAR_END = dt.date(2023, 1, 1), dt.date(2023, 12, 31)

fen = st.integers(min_value=0, max_value=10**10).map(lambda f: Decimal(f) / 100)
days_2023 = st.dates(min_value=YEAR_START, max_value=YEAR_END)


def line(quota_no: str, unit: str, budget: Decimal, paid: Decimal, *, expense_type: str | None = "basic",
         economic_class: str | None = "30201", fund_type: str | None = "一般公共预算") -> LineFigures:
    """A quota line of ``unit``; the department is the unit's first three digits."""
    return LineFigures(quota_no, unit[:3], f"部门{unit[:3]}", unit, f"单位{unit}", None, None, expense_type,
                       economic_class, None, fund_type, False, budget, budget, paid)


@st.composite
def line_sets(draw, min_size: int = 1) -> list[LineFigures]:
    units = draw(st.lists(st.sampled_from(["901001", "901002", "901003", "902001", "902002", "903001"]),
                          min_size=min_size, max_size=25))
    return [line(f"ZB{i:03d}", unit, draw(fen), draw(fen),
                 expense_type=draw(st.sampled_from(["basic", "project", None])),
                 economic_class=draw(st.sampled_from(["30101", "30201", "30302", "31002", "39999", None])),
                 fund_type=draw(st.sampled_from(["一般公共预算", "政府性基金", None])))
            for i, unit in enumerate(units)]


# --- roll-ups and rates -----------------------------------------------------------------------


@given(line_sets())
def test_a_department_s_budget_and_paid_are_the_sums_of_its_units(lines):
    entities = roll_up(lines)
    departments = [e for e in entities if e.level == "department"]
    units = [e for e in entities if e.level == "unit"]
    assert {d.code for d in departments} == {l.department_code for l in lines}
    assert sorted(u.code for u in units) == sorted({l.unit_code for l in lines})
    for department in departments:
        members = [u for u in units if u.department_code == department.code]
        assert department.budget == sum((u.budget for u in members), ZERO)
        assert department.paid == sum((u.paid for u in members), ZERO)
        own_lines = [l for l in lines if l.department_code == department.code]
        assert department.budget == sum((l.budget for l in own_lines), ZERO)
        assert department.paid == sum((l.paid for l in own_lines), ZERO)
    assert len([e for e in entities if e.level == "quota_line"]) == len(lines)


@given(line_sets())
def test_every_rate_is_the_summed_paid_over_the_summed_budget(lines):
    for entity in roll_up(lines):
        if entity.level == "department":
            members = [l for l in lines if l.department_code == entity.code]
        elif entity.level == "unit":
            members = [l for l in lines if l.unit_code == entity.code]
        else:
            continue
        assert entity.execution_rate == rate(sum((l.paid for l in members), ZERO),
                                             sum((l.budget for l in members), ZERO))


@given(line_sets(), st.sampled_from(["expense_type", "basic_category", "fund_type", "economic_class"]))
def test_a_breakdown_splits_the_totals_without_losing_or_adding_a_fen(lines, dimension):
    shares = breakdown(lines, dimension)
    assert sum((s.budget for s in shares), ZERO) == sum((l.budget for l in lines), ZERO)
    assert sum((s.paid for s in shares), ZERO) == sum((l.paid for l in lines), ZERO)
    assert len({s.value for s in shares}) == len(shares)
    for share in shares:
        assert share.execution_rate == rate(share.paid, share.budget)


def test_a_department_rate_is_not_the_average_of_its_unit_rates():
    lines = [line("ZB1", "901001", Decimal("100.00"), Decimal("100.00")),  # 100%
             line("ZB2", "901002", Decimal("900.00"), Decimal("0.00"))]  # 0%
    entities = {e.key: e for e in roll_up(lines)}
    assert entities["unit", "901001"].execution_rate == Decimal("100.00")
    assert entities["unit", "901002"].execution_rate == Decimal("0.00")
    assert entities["department", "901"].execution_rate == Decimal("10.00")  # averaging would say 50
    by_type = breakdown(lines + [line("ZB3", "901001", Decimal("1000.00"), Decimal("0.00"), expense_type="project")],
                        "expense_type")
    assert [(s.value, s.execution_rate) for s in by_type] == [("basic", Decimal("10.00")),
                                                              ("project", Decimal("0.00"))]


def test_basic_expenditure_is_split_into_personnel_and_public_by_economic_class():
    lines = [line("ZB1", "901001", Decimal("300.00"), Decimal("100.00"), economic_class="30101"),
             line("ZB2", "901001", Decimal("100.00"), Decimal("50.00"), economic_class="30302"),
             line("ZB3", "901001", Decimal("200.00"), Decimal("20.00"), economic_class="30201"),
             line("ZB4", "901001", Decimal("400.00"), Decimal("40.00"), economic_class="30201",
                  expense_type="project")]
    shares = {s.value: s for s in breakdown(lines, "basic_category")}
    assert (shares["personnel"].budget, shares["personnel"].paid) == (Decimal("400.00"), Decimal("150.00"))
    assert (shares["public"].budget, shares["public"].paid) == (Decimal("200.00"), Decimal("20.00"))
    assert shares[None].budget == Decimal("400.00")  # project expenditure is neither


# --- payment progress is monotone in payments -------------------------------------------------


@given(line_sets(), st.data())
def test_adding_a_non_negative_payment_never_lowers_a_rate(lines, data):
    index = data.draw(st.integers(0, len(lines) - 1))
    extra = data.draw(fen)
    more = [l if i != index else line(l.quota_no, l.unit_code, l.budget, l.paid + extra)
            for i, l in enumerate(lines)]
    before, after = {e.key: e for e in roll_up(lines)}, {e.key: e for e in roll_up(more)}
    for key, entity in before.items():
        if entity.execution_rate is not None:
            assert after[key].execution_rate >= entity.execution_rate


CHECKPOINTS = RULES.progress_checkpoints


@given(budget=st.integers(1, 10**10).map(lambda f: Decimal(f) / 100),
       payments=st.lists(st.tuples(days_2023, fen), max_size=8),
       extra=st.tuples(days_2023, fen))
def test_adding_a_non_negative_payment_never_lowers_the_payment_progress_score(budget, payments, extra):
    def figures(paid):
        return [CheckpointFigure(c, sum((amount for day, amount in paid if day <= c.date), ZERO), False)
                for c in CHECKPOINTS]

    before = payment_progress(RULES, budget, figures(payments))
    after = payment_progress(RULES, budget, figures([*payments, extra]))
    assert after.score >= before.score
    rates_before = [i.value for i in before.inputs if i.name.endswith(".rate")]
    rates_after = [i.value for i in after.inputs if i.name.endswith(".rate")]
    assert all(a >= b for a, b in zip(rates_after, rates_before, strict=True))


# --- projections -----------------------------------------------------------------------------


@settings(max_examples=300)
@given(method=st.sampled_from(SCHEDULE_METHODS), as_of=days_2023, target=days_2023,
       budget=st.integers(100_000_00, 10**11).map(lambda f: Decimal(f) / 100))
def test_a_unit_exactly_on_schedule_is_projected_exactly_on_schedule(method, as_of, target, budget):
    assume(as_of < target)
    share = year_fraction(method, as_of, 2023, CALENDAR)
    assume(share > 0)  # before the first working day nothing can be on or off schedule
    paid = (budget * share).quantize(FEN)
    projection = project(paid, budget, as_of, target, year=2023, schedule=method, calendar=CALENDAR)
    assert projection.method == "linear"
    assert abs(projection.rate - schedule_rate(method, target, 2023, CALENDAR)) <= Decimal("0.01")


@given(method=st.sampled_from(SCHEDULE_METHODS), first=days_2023, second=days_2023)
def test_the_time_schedule_never_goes_back_and_is_complete_at_year_end(method, first, second):
    early, late = sorted((first, second))
    assert ZERO <= year_fraction(method, early, 2023, CALENDAR) <= year_fraction(method, late, 2023, CALENDAR) <= 1
    assert year_fraction(method, YEAR_END, 2023, CALENDAR) == 1


# At 31 March: 3 of 12 months; 90 of 365 days; 61 of 2023's 249 working days (Monday–Friday
# less 2 Jan and 23–27 Jan of 春节, plus the 调休 weekend 28–29 Jan).
END_OF_MARCH = {"months": Decimal(25), "calendar": Decimal(9000) / 365, "working_days": Decimal(6100) / 249}


@pytest.mark.parametrize("method", SCHEDULE_METHODS)
def test_at_the_end_of_march_each_schedule_method_gives_its_own_elapsed_share(method):
    share = schedule_rate(method, dt.date(2023, 3, 31), 2023, CALENDAR)
    assert share.quantize(Decimal("0.000001")) == END_OF_MARCH[method].quantize(Decimal("0.000001"))


@given(budget=st.integers(1, 10**10).map(lambda f: Decimal(f) / 100), paid=fen, as_of=days_2023)
def test_the_daily_amount_needed_is_the_gap_spread_over_the_working_days_rounded_up_to_the_fen(budget, paid, as_of):
    upcoming = next_checkpoint(paid, budget, as_of, RULES.checkpoints, year=2023, schedule="months",
                               calendar=CALENDAR)
    assert upcoming is not None  # 12-31 is a checkpoint: there is always one in the year
    assert upcoming.gap == max(ZERO, upcoming.target_amount - paid)
    if upcoming.working_days_left == 0:
        assert upcoming.daily_needed == upcoming.gap
    else:
        assert upcoming.daily_needed * upcoming.working_days_left >= upcoming.gap
        assert (upcoming.daily_needed - FEN) * upcoming.working_days_left < upcoming.gap or upcoming.gap == ZERO


@given(line_sets(), days_2023)
def test_the_ranking_puts_the_entities_furthest_behind_the_time_schedule_first(lines, as_of):
    ranked = rank(assess(roll_up(lines), year=2023, as_of=as_of, rules_for=lambda _: RULES, calendar=CALENDAR))
    behind = [s.behind for s in ranked]
    assert behind == sorted(behind, reverse=True)
    assert len(ranked) == len(roll_up(lines))


# --- what counts as paid, through the real query -----------------------------------------------


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    """A SQLite file with one quota line of 1,000,000.00 for unit 901001, imported for real."""
    folder = tmp_path_factory.mktemp("ledger")
    engine = make_engine(sqlite_url(folder / "monitor.sqlite"))
    upgrade(engine)
    factory = session_factory(engine)
    ingest_rows(factory, folder / "q.csv",
                quota_export(dt.date(2023, 1, 3), quota_line("ZB1", "901001 - 市测试局本级", "1000000.00")), now=NOW)
    with factory() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == "901001"))
        import_id = session.scalar(select(Import.id))
    yield factory, unit_id, import_id
    engine.dispose()


STATUSES = st.sampled_from(["paid", "returned", "voided", "pending"])
amounts = st.integers(-10**8, 10**8).map(lambda f: Decimal(f) / 100)
payment_sets = st.lists(st.tuples(days_2023, amounts, STATUSES), max_size=12)


def paid_at(ledger, payments, as_of: dt.date) -> tuple[Decimal, Decimal | None]:
    """Paid and execution rate of ZB1 at ``as_of`` with ``payments`` stored, in a transaction
    that is rolled back."""
    factory, unit_id, import_id = ledger
    with factory() as session:
        for number, (day, amount, status) in enumerate(payments):
            session.add(Payment(budget_year=2023, payment_no=f"P{number}", quota_no="ZB1", unit_id=unit_id,
                                amount=amount, observed_on=day, first_import_id=import_id,
                                last_import_id=import_id, pay_date=day, status=status))
        session.flush()
        lines, _ = line_figures(session, 2023, as_of)
        session.rollback()
    (figures,) = lines
    return figures.paid, rate(figures.paid, figures.budget)


DB_EXAMPLES = settings(max_examples=60, deadline=None)


@DB_EXAMPLES
@given(payments=payment_sets, paid_on=days_2023, returned_on=days_2023,
       amount=st.integers(1, 10**8).map(lambda f: Decimal(f) / 100))
def test_a_payment_and_its_negative_returned_voucher_net_to_nothing(ledger, payments, paid_on, returned_on, amount):
    paid_on, returned_on = sorted((paid_on, returned_on))
    reversal = [(paid_on, amount, "paid"), (returned_on, -amount, "returned")]
    assert paid_at(ledger, [*payments, *reversal], YEAR_END) == paid_at(ledger, payments, YEAR_END)
    if returned_on > paid_on:  # between the two, the payment counts
        before, _ = paid_at(ledger, payments, paid_on)
        assert paid_at(ledger, [*payments, *reversal], paid_on)[0] == before + amount


@DB_EXAMPLES
@given(payments=payment_sets, day=days_2023, amount=st.integers(1, 10**8).map(lambda f: Decimal(f) / 100))
def test_a_returned_payment_and_a_voided_or_pending_one_count_nothing(ledger, payments, day, amount):
    others = [(day, amount, "returned"), (day, amount, "voided"), (day, amount, "pending"),
              (day, -amount, "voided")]
    assert paid_at(ledger, [*payments, *others], YEAR_END) == paid_at(ledger, payments, YEAR_END)


@DB_EXAMPLES
@given(payments=payment_sets, extra=st.tuples(days_2023, fen), as_of=days_2023)
def test_adding_a_paid_payment_never_lowers_the_rate_at_a_checkpoint(ledger, payments, extra, as_of):
    day, amount = extra
    before, rate_before = paid_at(ledger, payments, as_of)
    after, rate_after = paid_at(ledger, [*payments, (day, amount, "paid")], as_of)
    assert after == before + (amount if day <= as_of else ZERO)
    assert rate_after >= rate_before
