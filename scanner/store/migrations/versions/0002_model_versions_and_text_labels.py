"""model versions per scan and group; text labels for retraining

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 11:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('scan_run') as batch:
        batch.add_column(sa.Column('models', sa.JSON(), nullable=False, server_default='{}'))
    with op.batch_alter_table('group_state') as batch:
        batch.add_column(sa.Column('model_versions', sa.JSON(), nullable=False, server_default='{}'))
    op.create_table(
        'text_label',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('group_id', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
        sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('text', 'label', 'source', name='uq_text_label'),
    )


def downgrade() -> None:
    op.drop_table('text_label')
    with op.batch_alter_table('group_state') as batch:
        batch.drop_column('model_versions')
    with op.batch_alter_table('scan_run') as batch:
        batch.drop_column('models')
