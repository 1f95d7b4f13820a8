"""what each recipient last heard of each alert (the dedupe stage compares against it)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 17:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('told_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('budget_year', sa.Integer(), nullable=False),
    sa.Column('recipient_kind', sa.String(length=20), nullable=False),
    sa.Column('recipient_address', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('told_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_told_notices')),
    sa.UniqueConstraint('recipient_kind', 'recipient_address', 'key', name='uq_told_notices_key')
    )
    with op.batch_alter_table('told_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_told_notices_budget_year'), ['budget_year'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('told_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_told_notices_budget_year'))
    op.drop_table('told_notices')
