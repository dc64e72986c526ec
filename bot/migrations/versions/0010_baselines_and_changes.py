"""scope control: baselines, change requests, and the plan-vs-now summary on projects

Revision ID: 0010
Revises: 0013

- `baselines`: a project's plan frozen as Baseline 1, 2, ... (budget, dates,
  scope, milestones and task estimates);
- `change_requests`: CR-1, CR-2, ... with their parts, state and decision;
- `projects.plan`: first and current baseline and change counts in brief
  (NULL until a project's first baseline).
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "baselines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=True),
        sa.Column("budget_cents", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "number"),
    )
    op.create_index("ix_baselines_team_id", "baselines", ["team_id"])
    op.create_index("ix_baselines_project_id", "baselines", ["project_id"])
    op.create_table(
        "change_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=32), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("applied", sa.JSON(), nullable=False),
        sa.Column("baseline_id", sa.Integer(), sa.ForeignKey("baselines.id"), nullable=True),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "number"),
    )
    op.create_index("ix_change_requests_team_id", "change_requests", ["team_id"])
    op.create_index("ix_change_requests_project_id", "change_requests", ["project_id"])
    op.create_index("ix_change_requests_decided_at", "change_requests", ["decided_at"])
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("plan", sa.JSON(), nullable=True))


def downgrade() -> None:
    # a plain DROP COLUMN (SQLite 3.35+): a batch copy of `projects` would trip the
    # foreign keys of every table that points at it
    op.execute("ALTER TABLE projects DROP COLUMN plan")
    op.drop_index("ix_change_requests_decided_at", table_name="change_requests")
    op.drop_index("ix_change_requests_project_id", table_name="change_requests")
    op.drop_index("ix_change_requests_team_id", table_name="change_requests")
    op.drop_table("change_requests")
    op.drop_index("ix_baselines_project_id", table_name="baselines")
    op.drop_index("ix_baselines_team_id", table_name="baselines")
    op.drop_table("baselines")
