"""Typed SQLAlchemy 2 models.

Amounts are ``Money`` (Decimal in Python, integer fen in the database). Business keys from the
payment system (指标明细号, 支付申请号, 调整单号) are unique per budget year, so re-importing an
export or an overlapping one updates rows instead of adding them twice.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db.types import ExactDecimal, Money

# Stable constraint names, so Alembic batch migrations on SQLite can find them again.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Department(Base):
    """主管部门: a supervising department with its own unit (本级) and subordinate units."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    units: Mapped[list[Unit]] = relationship(back_populates="department")


class Unit(Base):
    """预算单位: a budget unit, e.g. ``158001 乌鲁木齐市科学技术协会``."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))

    department: Mapped[Department | None] = relationship(back_populates="units")


class Project(Base):
    """A project (项目) of project expenditure; its code is the export's 项目代码, or its name."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))


class Import(Base):
    """One ingested export file. Refused files leave no row: a refusal changes nothing.
    A file split at New Year (jobs/ingest/years.py) is one import of its later year whose
    ``detail[FIRST_YEAR]`` names the earlier one."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(500))
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # quota | payments | adjustments | targets | progress
    budget_year: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    observed_on: Mapped[dt.date] = mapped_column(Date)  # the export's date ("as of")
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(20))  # ingested
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


FIRST_YEAR = "first_year"


class QuotaLine(Base):
    """指标: one budget line (unit × functional class × economic class × project × fund type)."""

    __tablename__ = "quota_lines"
    __table_args__ = (UniqueConstraint("budget_year", "quota_no", name="uq_quota_lines_year_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_year: Mapped[int] = mapped_column(Integer, index=True)
    quota_no: Mapped[str] = mapped_column(String(80))  # 指标明细号
    doc_no: Mapped[str | None] = mapped_column(String(200))  # 指标文号
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    functional_class: Mapped[str | None] = mapped_column(String(20))
    functional_name: Mapped[str | None] = mapped_column(String(200))
    economic_class: Mapped[str | None] = mapped_column(String(20))
    economic_name: Mapped[str | None] = mapped_column(String(200))
    gov_economic_class: Mapped[str | None] = mapped_column(String(20))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    expense_type: Mapped[str | None] = mapped_column(String(10))  # basic | project
    fund_type: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(100))
    three_public: Mapped[bool] = mapped_column(Boolean, default=False)
    initial: Mapped[Decimal] = mapped_column(Money)
    adjustment: Mapped[Decimal] = mapped_column(Money)
    current: Mapped[Decimal] = mapped_column(Money)
    reported_paid: Mapped[Decimal | None] = mapped_column(Money)
    reported_available: Mapped[Decimal | None] = mapped_column(Money)
    observed_on: Mapped[dt.date] = mapped_column(Date)
    last_import_id: Mapped[int] = mapped_column(ForeignKey("imports.id"))


class QuotaSnapshot(Base):
    """The amounts of a quota line as one export saw them: the budget in force at a date."""

    __tablename__ = "quota_snapshots"
    __table_args__ = (
        UniqueConstraint("quota_line_id", "import_id", name="uq_quota_snapshots_line_import"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quota_line_id: Mapped[int] = mapped_column(ForeignKey("quota_lines.id"), index=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id"))
    observed_on: Mapped[dt.date] = mapped_column(Date)
    initial: Mapped[Decimal] = mapped_column(Money)
    adjustment: Mapped[Decimal] = mapped_column(Money)
    current: Mapped[Decimal] = mapped_column(Money)


class ExportedRecord:
    """Columns every record taken from an export row has: its year, quota line and unit, its
    signed amount, and which export (and export date) last set it."""

    budget_year: Mapped[int] = mapped_column(Integer)
    quota_no: Mapped[str | None] = mapped_column(String(80), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    observed_on: Mapped[dt.date] = mapped_column(Date)  # date of the export that last set this row
    first_import_id: Mapped[int] = mapped_column(ForeignKey("imports.id"))
    last_import_id: Mapped[int] = mapped_column(ForeignKey("imports.id"))


class Payment(ExportedRecord, Base):
    """支付: a payment against a quota line.

    ``status`` is paid | returned | voided | pending. Paid rows count; a negative row is a
    reversal voucher (退回) and counts with its sign; see ``db.queries.counted_amount``.
    """

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("budget_year", "payment_no", name="uq_payments_year_no"),
        Index("ix_payments_unit_date", "unit_id", "pay_date"),
        # Covers the per-line sums of db/figures.py (GROUP BY quota_no, unit_id of one year, up to
        # a date): read in group order from the index alone, never from the wide table rows.
        Index("ix_payments_year_line_sums", "budget_year", "quota_no", "unit_id", "pay_date", "status", "amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_no: Mapped[str] = mapped_column(String(80))  # 支付申请号 / 凭证号
    pay_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    doc_no: Mapped[str | None] = mapped_column(String(200))
    functional_class: Mapped[str | None] = mapped_column(String(20))
    economic_class: Mapped[str | None] = mapped_column(String(20))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    payee: Mapped[str | None] = mapped_column(String(300))
    purpose: Mapped[str | None] = mapped_column(Text)
    settlement: Mapped[str | None] = mapped_column(String(60))


class Adjustment(ExportedRecord, Base):
    """调整: an addition (追加), cut (追减) or transfer (调剂) of a quota line, signed."""

    __tablename__ = "adjustments"
    __table_args__ = (
        # A 调剂 is two rows under one 调整单号: the line it leaves and the line it joins.
        UniqueConstraint("budget_year", "adjustment_no", "quota_no", name="uq_adjustments_year_no_line"),
        # The dated adjustments of each line of a year, for its budget in force (db/figures.py).
        Index("ix_adjustments_year_quota", "budget_year", "quota_no", "adjusted_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    adjustment_no: Mapped[str] = mapped_column(String(80))
    adjusted_on: Mapped[dt.date] = mapped_column(Date)
    adjustment_type: Mapped[str] = mapped_column(String(10))  # add | cut | transfer
    reason: Mapped[str | None] = mapped_column(Text)
    exempt_category: Mapped[str | None] = mapped_column(String(20))  # policy | force_majeure | higher_level


class PerformanceTarget(Base):
    """绩效目标: one indicator (三级指标) of a project's or a whole unit's performance target table.

    ``scope`` is the project's code, or "" for a target of the unit as a whole: the unique key
    needs a column that is never NULL (NULLs are all distinct in a SQL unique constraint).
    ``operator`` / ``value`` / ``measure`` are the 指标值 as monitor/target_values.py reads it.
    """

    __tablename__ = "performance_targets"
    __table_args__ = (
        UniqueConstraint("budget_year", "unit_id", "scope", "name", name="uq_performance_targets_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_year: Mapped[int] = mapped_column(Integer, index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    scope: Mapped[str] = mapped_column(String(60))
    level1: Mapped[str | None] = mapped_column(String(100))  # 一级指标
    level2: Mapped[str | None] = mapped_column(String(100))  # 二级指标
    name: Mapped[str] = mapped_column(String(300))  # 三级指标
    target_text: Mapped[str] = mapped_column(String(200))  # 指标值 as written
    operator: Mapped[str] = mapped_column(String(10))  # >= <= > < = improve
    value: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    measure: Mapped[str] = mapped_column(String(40))  # 个, 场次, %, 万元 … ("" when none)
    weight: Mapped[Decimal | None] = mapped_column(ExactDecimal)  # 分值权重
    leader: Mapped[str | None] = mapped_column(String(100))  # 项目负责人
    due_on: Mapped[dt.date] = mapped_column(Date)  # 完成时限
    window_start: Mapped[dt.date | None] = mapped_column(Date)
    milestones: Mapped[list] = mapped_column(JSON, default=list)  # [[iso date, decimal text], …]
    economic_class: Mapped[str | None] = mapped_column(String(20))  # what a cost indicator spends
    last_import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class TargetProgress(Base):
    """A progress report on a target: the actual value reached by a date (from a file or the CLI).
    A later report for the same target and date replaces the value."""

    __tablename__ = "target_progress"
    __table_args__ = (UniqueConstraint("target_id", "reported_on", name="uq_target_progress_target_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("performance_targets.id"))
    reported_on: Mapped[dt.date] = mapped_column(Date)
    actual: Mapped[Decimal] = mapped_column(ExactDecimal)
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10))  # file | cli
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class JobRun(Base):
    """A fence: one row per (job, period), so a restart or a second daemon never runs it twice."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "period", name="uq_job_runs_job_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(100))
    period: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class AlertState(Base):
    """The state of one alert key (rule:level:code:period): firing, resolved or closed, when it
    was last told to someone, and any acknowledgement. alerts/state.py decides the flips."""

    __tablename__ = "alert_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    budget_year: Mapped[int] = mapped_column(Integer, index=True)
    rule: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(300))
    period: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12))  # firing | resolved | closed
    fired_on: Mapped[dt.date] = mapped_column(Date)
    last_seen_on: Mapped[dt.date] = mapped_column(Date)
    first_notified_on: Mapped[dt.date | None] = mapped_column(Date)  # escalation counts from here
    last_notified_on: Mapped[dt.date | None] = mapped_column(Date)
    notify_count: Mapped[int] = mapped_column(Integer, default=0)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    resolved_on: Mapped[dt.date | None] = mapped_column(Date)
    ack_until: Mapped[dt.date | None] = mapped_column(Date)
    ack_reason: Mapped[str | None] = mapped_column(Text)
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    routing: Mapped[dict] = mapped_column(JSON, default=dict)  # department, unit, project codes
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Silence(Base):
    """Mutes every alert whose key matches ``pattern`` (shell-style: ``*:unit:158001:*``) until
    a date."""

    __tablename__ = "alert_silences"

    id: Mapped[int] = mapped_column(primary_key=True)
    pattern: Mapped[str] = mapped_column(String(300))
    until: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ToldNotice(Base):
    """What one recipient last heard of one alert key (or brief line): the severity, the figures
    and the day, written with the outbox message that carries it. The dedupe stage
    (alerts/pipeline.py) compares today's figures with these."""

    __tablename__ = "told_notices"
    __table_args__ = (UniqueConstraint("recipient_kind", "recipient_address", "key", name="uq_told_notices_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_year: Mapped[int] = mapped_column(Integer, index=True)
    recipient_kind: Mapped[str] = mapped_column(String(20))
    recipient_address: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(10))
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    told_on: Mapped[dt.date] = mapped_column(Date)


class Evaluation(Base):
    """One run of the alert evaluation: the date its figures are of and what it produced."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    ran_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class OutboxMessage(Base):
    """One message to one recipient, written in the evaluation's transaction; the delivery job
    claims it with a conditional UPDATE (pending → sending) and records every attempt.

    status: pending | sending (claimed; reclaimed after a lease when its sender died) | sent |
    failed (a permanent error: never retried)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"))
    recipient_kind: Mapped[str] = mapped_column(String(20))
    recipient_address: Mapped[str] = mapped_column(String(200))
    recipient_name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5))
    budget_year: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[dt.date] = mapped_column(Date)
    items: Mapped[list] = mapped_column(JSON)
    chart: Mapped[dict | None] = mapped_column(JSON)  # {"unit": code} or {"department": code}
    status: Mapped[str] = mapped_column(String(10))
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))  # quiet hours, backoff
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class DeliveryAttempt(Base):
    """Every try at sending an outbox message, with its outcome and the provider's error."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    notifier: Mapped[str] = mapped_column(String(20))
    attempted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(12))  # sent | transient | permanent | auth
    error: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(200))


class SlackUser(Base):
    """users.lookupByEmail answers, cached: an e-mail is looked up once."""

    __tablename__ = "slack_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[str] = mapped_column(String(40))
    looked_up_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
