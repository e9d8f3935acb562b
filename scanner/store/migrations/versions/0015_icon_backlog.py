"""icons hashed but not classified yet (the icon classifier's backlog)

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-02 12:00:00

A scan classifies new icons up to the policy's budget; the rest wait here for `groupscan icons classify`, and
rows it has classified wait for the next scan to rescore their groups (scanner.images.icon_backlog).
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0015'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'icon_backlog',
        sa.Column('icon_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('model_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column('path', sqlmodel.sql.sqltypes.AutoString(length=4096), nullable=False),
        sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=True),
        sa.Column('scan_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['scan_id'], ['scan_run.id']),
        sa.PrimaryKeyConstraint('icon_sha256', 'model_id'),
    )
    op.create_index('ix_icon_backlog_state', 'icon_backlog', ['model_id', 'state'])


def downgrade() -> None:
    op.drop_index('ix_icon_backlog_state', table_name='icon_backlog')
    op.drop_table('icon_backlog')
