"""performance targets (绩效目标表) and their progress reports

performance_targets: one row per (budget year, unit, scope, 三级指标), scope being the project's
code or "" for the unit as a whole; target_progress: one actual value per (target, date).
Target values, weights and actuals are exact decimal text (never float).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('performance_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('budget_year', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('scope', sa.String(length=60), nullable=False),
    sa.Column('level1', sa.String(length=100), nullable=True),
    sa.Column('level2', sa.String(length=100), nullable=True),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('target_text', sa.String(length=200), nullable=False),
    sa.Column('operator', sa.String(length=10), nullable=False),
    sa.Column('value', sa.String(length=40), nullable=True),
    sa.Column('measure', sa.String(length=40), nullable=False),
    sa.Column('weight', sa.String(length=40), nullable=True),
    sa.Column('leader', sa.String(length=100), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('window_start', sa.Date(), nullable=True),
    sa.Column('milestones', sa.JSON(), nullable=False),
    sa.Column('economic_class', sa.String(length=20), nullable=True),
    sa.Column('last_import_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['last_import_id'], ['imports.id'], name=op.f('fk_performance_targets_last_import_id_imports')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_performance_targets_project_id_projects')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_performance_targets_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_performance_targets')),
    sa.UniqueConstraint('budget_year', 'unit_id', 'scope', 'name', name='uq_performance_targets_key')
    )
    with op.batch_alter_table('performance_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_performance_targets_budget_year'), ['budget_year'], unique=False)
        batch_op.create_index(batch_op.f('ix_performance_targets_project_id'), ['project_id'], unique=False)

    op.create_table('target_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('reported_on', sa.Date(), nullable=False),
    sa.Column('actual', sa.String(length=40), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['imports.id'], name=op.f('fk_target_progress_import_id_imports')),
    sa.ForeignKeyConstraint(['target_id'], ['performance_targets.id'], name=op.f('fk_target_progress_target_id_performance_targets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_target_progress')),
    sa.UniqueConstraint('target_id', 'reported_on', name='uq_target_progress_target_date')
    )


def downgrade() -> None:
    op.drop_table('target_progress')
    with op.batch_alter_table('performance_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_performance_targets_project_id'))
        batch_op.drop_index(batch_op.f('ix_performance_targets_budget_year'))

    op.drop_table('performance_targets')
