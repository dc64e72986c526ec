"""task links: finish-to-start dependencies between tasks, with a lag in working days

Revision ID: 0011
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("task_id", sa.Integer(), sa.ForeignKey("tasks.id"), nullable=False),
        sa.Column("after_task_id", sa.Integer(), sa.ForeignKey("tasks.id"), nullable=False),
        sa.Column("lag_days", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_id", "after_task_id"),
    )
    op.create_index("ix_task_links_team_id", "task_links", ["team_id"])
    op.create_index("ix_task_links_project_id", "task_links", ["project_id"])
    op.create_index("ix_task_links_after_task_id", "task_links", ["after_task_id"])


def downgrade() -> None:
    op.drop_index("ix_task_links_after_task_id", table_name="task_links")
    op.drop_index("ix_task_links_project_id", table_name="task_links")
    op.drop_index("ix_task_links_team_id", table_name="task_links")
    op.drop_table("task_links")
