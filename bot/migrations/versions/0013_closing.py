"""closing: project closures with final figures, retrospective answers, lessons; risk outcomes

Revision ID: 0013
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("closed_by", sa.String(length=32), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=False),
        sa.Column("final", sa.JSON(), nullable=False),
        sa.Column("retro_mode", sa.String(length=16), nullable=False),
        sa.Column("retro_until", sa.DateTime(), nullable=True),
        sa.Column("retro_summarised_at", sa.DateTime(), nullable=True),
        sa.Column("reopened_at", sa.DateTime(), nullable=True),
        sa.Column("reopened_by", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_project_closures_team_id", "project_closures", ["team_id"])
    op.create_index("ix_project_closures_project_id", "project_closures", ["project_id"])
    op.create_table(
        "retro_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("closure_id", sa.Integer(), sa.ForeignKey("project_closures.id"), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("went_well", sa.Text(), nullable=False),
        sa.Column("went_badly", sa.Text(), nullable=False),
        sa.Column("differently", sa.Text(), nullable=False),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("closure_id", "user_id"),
    )
    op.create_index("ix_retro_answers_team_id", "retro_answers", ["team_id"])
    op.create_index("ix_retro_answers_closure_id", "retro_answers", ["closure_id"])
    op.create_table(
        "lessons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id"), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("tags", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_lessons_team_id", "lessons", ["team_id"])
    op.create_index("ix_lessons_project_id", "lessons", ["project_id"])
    with op.batch_alter_table("risks") as batch:
        batch.add_column(sa.Column("outcome", sa.String(length=16), nullable=False, server_default=""))
        batch.add_column(sa.Column("outcome_cost_cents", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("risks") as batch:
        batch.drop_column("outcome_cost_cents")
        batch.drop_column("outcome")
    for table, columns in (("lessons", ("team_id", "project_id")),
                           ("retro_answers", ("team_id", "closure_id")),
                           ("project_closures", ("team_id", "project_id"))):
        for column in columns:
            op.drop_index(f"ix_{table}_{column}", table_name=table)
        op.drop_table(table)
