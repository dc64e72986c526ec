"""people: one weekly capacity per person; per-project capacity becomes an allocation; one DM per standup moment

Revision ID: 0009
Revises: 0012

- `users.weekly_capacity_hours` (new, NULL = the default: 40h for someone who
  works on a project, none for stakeholders);
- `members.weekly_capacity_hours` becomes nullable and means the person's
  allocation to the project (NULL = a share of what their capacity leaves);
- `standup_participants.prompt_key`: the DM that asked them (one DM may ask
  several standups).

Existing per-project values are carried over as allocations when someone set
them: a value other than the old default 40h, or one the audit log shows was
set with `member capacity`. A 40h nobody ever set becomes NULL (not allocated:
the person's capacity is shared out over such projects). A person whose
largest allocation was above 40h gets that as their capacity (they evidently
work that much); everyone else starts at the default. Allocations that add up
to more than a person's capacity stay as they were, so `/project people`
shows the over-allocation at once.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0012"
branch_labels = None
depends_on = None

OLD_DEFAULT = 40.0


def _audited_members(conn) -> set[int]:
    """Members whose capacity the audit log shows was set by someone."""
    out = set()
    rows = conn.execute(sa.text("SELECT entity_id, after FROM audit_log "
                                "WHERE action = 'member.update' AND entity = 'member'"))
    for entity_id, after in rows:
        data = json.loads(after) if isinstance(after, str) else (after or {})
        if entity_id is not None and "weekly_capacity_hours" in data:
            out.add(int(entity_id))
    return out


def _carry_over(conn) -> None:
    audited = _audited_members(conn)
    members = conn.execute(sa.text("SELECT id, team_id, user_id, weekly_capacity_hours FROM members")).all()
    largest: dict[tuple[str, str], float] = {}
    for member_id, team_id, user_id, hours in members:
        explicit = hours is not None and (hours != OLD_DEFAULT or member_id in audited)
        if not explicit:
            conn.execute(sa.text("UPDATE members SET weekly_capacity_hours = NULL WHERE id = :id"),
                         {"id": member_id})
        elif hours > OLD_DEFAULT:
            largest[(team_id, user_id)] = max(hours, largest.get((team_id, user_id), 0.0))
    for (team_id, user_id), hours in largest.items():
        found = conn.execute(sa.text("SELECT id FROM users WHERE team_id = :t AND user_id = :u"),
                             {"t": team_id, "u": user_id}).first()
        if found is None:
            conn.execute(sa.text("INSERT INTO users (team_id, user_id, name, timezone, is_bot, deleted, holidays) "
                                 "VALUES (:t, :u, '', '', :no, :no, '')"), {"t": team_id, "u": user_id, "no": False})
        conn.execute(sa.text("UPDATE users SET weekly_capacity_hours = :h WHERE team_id = :t AND user_id = :u"),
                     {"h": hours, "t": team_id, "u": user_id})


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("weekly_capacity_hours", sa.Float(), nullable=True))
    with op.batch_alter_table("members") as batch:
        batch.alter_column("weekly_capacity_hours", existing_type=sa.Float(), nullable=True)
    with op.batch_alter_table("standup_participants") as batch:
        batch.add_column(sa.Column("prompt_key", sa.String(length=200), nullable=True))
    _carry_over(op.get_bind())


def downgrade() -> None:
    op.get_bind().execute(sa.text("UPDATE members SET weekly_capacity_hours = :h "
                                  "WHERE weekly_capacity_hours IS NULL"), {"h": OLD_DEFAULT})
    with op.batch_alter_table("standup_participants") as batch:
        batch.drop_column("prompt_key")
    with op.batch_alter_table("members") as batch:
        batch.alter_column("weekly_capacity_hours", existing_type=sa.Float(), nullable=False)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("weekly_capacity_hours")
