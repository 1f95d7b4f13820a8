"""alert states remember when people were first told (escalation counts from there)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 08:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alert_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_notified_on', sa.Date(), nullable=True))
    # States told before this column existed: their first telling is not known; the last is
    # the best lower bound there is.
    op.execute("UPDATE alert_states SET first_notified_on = last_notified_on")


def downgrade() -> None:
    with op.batch_alter_table('alert_states', schema=None) as batch_op:
        batch_op.drop_column('first_notified_on')
