"""corrections: cancelled tasks and milestones, correcting cost and time entries

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("cancelled_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("cancel_reason", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("milestones") as batch:
        batch.add_column(sa.Column("cancelled_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("cost_entries") as batch:
        batch.add_column(sa.Column("reverses_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_cost_entries_reverses_id", "cost_entries", ["reverses_id"], ["id"])
    with op.batch_alter_table("time_entries") as batch:
        batch.add_column(sa.Column("reverses_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_time_entries_reverses_id", "time_entries", ["reverses_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("time_entries") as batch:
        batch.drop_constraint("fk_time_entries_reverses_id", type_="foreignkey")
        batch.drop_column("reverses_id")
    with op.batch_alter_table("cost_entries") as batch:
        batch.drop_constraint("fk_cost_entries_reverses_id", type_="foreignkey")
        batch.drop_column("reverses_id")
    with op.batch_alter_table("milestones") as batch:
        batch.drop_column("cancelled_at")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("cancel_reason")
        batch.drop_column("cancelled_at")
