"""icon family ids are 60-bit, derived from the family's smallest hash

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 21:20:00.000000

A family id was the position of its smallest hash among all hashes, so one new icon anywhere renumbered the
families of groups it had nothing to do with, and an incremental rescan could not keep their rows. It is now the
first 60 bits of the smallest hash, which needs a BIGINT on PostgreSQL.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('group_state', schema=None) as batch_op:
        batch_op.alter_column('icon_family', existing_type=sa.Integer(), type_=sa.BigInteger(),
                              existing_nullable=True)


def downgrade() -> None:
    # Ids do not fit 32 bits; they are recomputed by the next scan.
    op.execute("UPDATE group_state SET icon_family = NULL")
    with op.batch_alter_table('group_state', schema=None) as batch_op:
        batch_op.alter_column('icon_family', existing_type=sa.BigInteger(), type_=sa.Integer(),
                              existing_nullable=True)
