import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from db.engine import transaction
from db.migrate import downgrade, is_current, upgrade
from db.models import Payment, Unit


def test_migrations_reach_head_and_can_be_undone_and_redone(engine):
    assert is_current(engine)
    downgrade(engine, "base")
    assert not is_current(engine)
    upgrade(engine)
    assert is_current(engine)


def test_money_is_stored_as_integer_fen_and_sums_exactly(engine, factory, now):
    from db.models import Import

    with transaction(factory) as session:
        imp = Import(file_name="x", content_hash="h", kind="payments", budget_year=2023, rows=3,
                     observed_on=dt.date(2023, 3, 31), imported_at=now, outcome="ingested", detail={})
        unit = Unit(code="158001", name="科协")
        session.add_all([imp, unit])
        session.flush()
        for n, amount in enumerate(["0.10", "0.20", "1234567890.03"]):
            session.add(Payment(budget_year=2023, payment_no=f"P{n}", pay_date=dt.date(2023, 3, 1),
                                amount=Decimal(amount), status="paid", unit_id=unit.id,
                                observed_on=dt.date(2023, 3, 31),
                                first_import_id=imp.id, last_import_id=imp.id))
    with transaction(factory) as session:
        total = session.scalar(select(func.sum(Payment.amount)))
        raw = session.execute(select(Payment.__table__.c.amount)).scalars().all()
    assert total == Decimal("1234567890.33")
    assert sorted(raw) == [Decimal("0.10"), Decimal("0.20"), Decimal("1234567890.03")]
    with engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT amount FROM payments ORDER BY amount").scalars().all()
    assert stored == [10, 20, 123456789003]


def test_the_migrations_build_exactly_the_schema_the_models_describe(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from db.models import Base

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
