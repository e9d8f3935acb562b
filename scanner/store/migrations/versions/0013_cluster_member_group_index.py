"""index cluster members by group

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-22 21:25:00.000000

A scoped rescan (scanner.engine.scope) reads the clusters of the groups it scores: by group, which the primary key
(cluster_id, group_id) cannot serve, so each lookup scanned the whole table (25 s at a million groups).
"""
from __future__ import annotations

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_cluster_member_group_id', 'cluster_member', ['group_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_cluster_member_group_id', table_name='cluster_member')
