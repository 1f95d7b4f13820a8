"""indexes for the engine's sums

A covering index for the per-quota-line payment sums of a year (db/figures.py reads them from
the index alone, in GROUP BY order), and one for the dated adjustments of each line.
bench/README.md ("status") has the plans and the figures before and after.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 03:25:07.668381
"""
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_adjustments_year_quota', 'adjustments', ['budget_year', 'quota_no', 'adjusted_on'],
                    unique=False)
    op.create_index('ix_payments_year_line_sums', 'payments',
                    ['budget_year', 'quota_no', 'unit_id', 'pay_date', 'status', 'amount'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_payments_year_line_sums', table_name='payments')
    op.drop_index('ix_adjustments_year_quota', table_name='adjustments')
