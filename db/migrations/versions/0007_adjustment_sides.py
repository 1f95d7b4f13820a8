"""an adjustment keyed by (year, 调整单号, 指标明细号): a 调剂 is two rows under one number

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:00:00
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every stored row stays: (year, number) unique implies (year, number, line) unique.
    with op.batch_alter_table('adjustments', schema=None) as batch_op:
        batch_op.drop_constraint('uq_adjustments_year_no', type_='unique')
        batch_op.create_unique_constraint('uq_adjustments_year_no_line', ['budget_year', 'adjustment_no', 'quota_no'])


def downgrade() -> None:
    # Refuses (an IntegrityError) while a 调整单 has two sides stored: going back would lose one.
    with op.batch_alter_table('adjustments', schema=None) as batch_op:
        batch_op.drop_constraint('uq_adjustments_year_no_line', type_='unique')
        batch_op.create_unique_constraint('uq_adjustments_year_no', ['budget_year', 'adjustment_no'])
