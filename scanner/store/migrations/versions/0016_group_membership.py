"""group rows say whether the group is a member of its case or only connected to it

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 12:00:00.000000

A group with no evidence of its own, tied to a flagged cluster by one weak tie it did not create (its link
posted by the ring, one shared admin), is shown as "connected" to the case, not as a member at the network's
severity (scanner.graph.ties). Rows written before this are members, as they were scored then.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('group_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('membership', sa.String(length=16), nullable=False, server_default='member'))


def downgrade() -> None:
    with op.batch_alter_table('group_state', schema=None) as batch_op:
        batch_op.drop_column('membership')
