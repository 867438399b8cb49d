"""runners.order_key (the per-runner key that signs orders) and artifacts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ln1.db.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runners", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_key", sa.String(length=64), nullable=True))
    op.create_table(
        "artifacts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("task_id", sa.String(length=40), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", ln1.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("company_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_artifacts_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_artifacts_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_artifacts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artifacts")),
    )
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_artifacts_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_artifacts_task_id"), ["task_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_artifacts_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("artifacts")
    with op.batch_alter_table("runners", schema=None) as batch_op:
        batch_op.drop_column("order_key")
