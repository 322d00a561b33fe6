"""sanctions: a suspension's end date

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 11:30:01.385309

The new organisation status "suspended" needs no change (statuses are plain strings); a suspension
may end by itself on ``organisations.suspended_until``.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_until', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('suspended_until')
