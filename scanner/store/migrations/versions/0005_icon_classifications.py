"""icon classifier scores per icon and model

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 13:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'icon_classification',
        sa.Column('icon_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('model_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column('scores', sa.JSON(), nullable=False),
        sa.Column('created_scan_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['created_scan_id'], ['scan_run.id']),
        sa.PrimaryKeyConstraint('icon_sha256', 'model_id'),
    )


def downgrade() -> None:
    op.drop_table('icon_classification')
