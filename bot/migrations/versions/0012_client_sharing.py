"""client sharing: status-page links (token hashes only), risks marked internal

Revision ID: 0012
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "share_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("show_costs", sa.Boolean(), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "number"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_share_links_team_id", "share_links", ["team_id"])
    op.create_index("ix_share_links_project_id", "share_links", ["project_id"])
    with op.batch_alter_table("risks") as batch:
        batch.add_column(sa.Column("internal", sa.Boolean(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("risks") as batch:
        batch.drop_column("internal")
    op.drop_index("ix_share_links_project_id", table_name="share_links")
    op.drop_index("ix_share_links_team_id", table_name="share_links")
    op.drop_table("share_links")
