"""dashboard sessions, password resets, language and time zone preferences

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 11:50:00.000000

Sessions that survive a reload (``app_session``: only token hashes), a password reset an admin starts (a one-time
token's hash on ``app_user``), and each user's language and time zone (``user_preference``).
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'app_session',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('token_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('handoff_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('handoff_expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['name'], ['app_user.name']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('app_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_session_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_app_session_token_sha256'), ['token_sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_app_session_handoff_sha256'), ['handoff_sha256'], unique=False)
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reset_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('reset_expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table('user_preference', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True))
        batch_op.add_column(sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_preference', schema=None) as batch_op:
        batch_op.drop_column('timezone')
        batch_op.drop_column('language')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('reset_expires_at')
        batch_op.drop_column('reset_sha256')
    with op.batch_alter_table('app_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_session_handoff_sha256'))
        batch_op.drop_index(batch_op.f('ix_app_session_token_sha256'))
        batch_op.drop_index(batch_op.f('ix_app_session_name'))
    op.drop_table('app_session')
