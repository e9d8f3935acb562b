"""imported hash banks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 12:50:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'hash_bank',
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('threshold', sa.Integer(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('negative', sa.Boolean(), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
        sa.Column('imported_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    op.create_table(
        'hash_bank_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('bank', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column('pdq', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column('line', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['bank'], ['hash_bank.name']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('bank', 'pdq', name='uq_bank_entry'),
    )
    op.create_index('ix_hash_bank_entry_bank', 'hash_bank_entry', ['bank'])


def downgrade() -> None:
    op.drop_index('ix_hash_bank_entry_bank', table_name='hash_bank_entry')
    op.drop_table('hash_bank_entry')
    op.drop_table('hash_bank')
