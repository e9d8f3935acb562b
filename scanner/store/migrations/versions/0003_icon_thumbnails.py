"""moderator-safe icon thumbnails

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 12:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'icon_thumbnail',
        sa.Column('icon_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('png', sa.LargeBinary(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('blur', sa.Float(), nullable=False),
        sa.Column('created_scan_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['created_scan_id'], ['scan_run.id']),
        sa.PrimaryKeyConstraint('icon_sha256'),
    )


def downgrade() -> None:
    op.drop_table('icon_thumbnail')
