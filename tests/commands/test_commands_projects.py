"""`/project help|new|list|status|link|edit|delete`, as a user types them."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from bot.commands.registry import COMMANDS
from bot.models import AuditEntry, Project
from tests.support.factories import MANAGER, MEMBER, OWNER, add_milestone, fresh, make_project
from tests.support.helpers import Runner, ok, refused


def test_help_lists_every_command_with_its_usage(db_engine, now):
    text = ok(Runner(db_engine, now)("help"))
    for path, cmd in COMMANDS.items():
        if path != ("help",):
            assert cmd.usage in text, cmd.name


def test_help_for_one_command_shows_its_docstring_and_examples(db_engine, now):
    text = ok(Runner(db_engine, now)("help task add"))
    assert "Add a task, optionally assigned, dated, estimated, in a milestone and after others." in text
    assert '/project task add "Choose hosting" @bob due next friday estimate 4h' in text


def test_empty_text_shows_help(db_engine, now):
    assert "Your project manager" in ok(Runner(db_engine, now)(""))


def test_help_for_a_misspelt_command_suggests_the_closest(db_engine, now):
    assert "Did you mean `/project help task add`?" in refused(Runner(db_engine, now)("help task ad"))


def test_unknown_subcommand_suggests_the_closest_one(db_engine, now):
    run = Runner(db_engine, now)
    assert "Did you mean `/project status`?" in refused(run("stauts"))
    assert "Did you mean `/project task add`?" in refused(run('task ad "Buy domain"'))
    assert "Did you mean `/project milestone`?" in refused(run("milestones"))


def test_a_group_word_alone_lists_its_subcommands(db_engine, now):
    text = ok(Runner(db_engine, now)("member"))
    assert "member add" in text and "member capacity" in text


def test_text_without_a_command_word_says_how_to_start(db_engine, now):
    assert "Start with a command word" in refused(Runner(db_engine, now)("<@U0BOB|bob>"))


# --- new -------------------------------------------------------------------------


def test_new_project_with_every_option(db_engine, now):
    run = Runner(db_engine, now)
    text = ok(run('new "Office network move" key office due 31 Mar budget 12.5k '
                  'goal "No downtime during the move" objective "Cheaper premises" '
                  'scope "Cabling, wifi, firewall" start 1 Dec'))
    assert "Project Office network move started" in text
    assert "key `office`" in text and "due Wed 31 Mar 2027" in text and "budget $12,500" in text
    assert "This channel is now its home." in text
    with Session(db_engine) as s:
        p = s.exec(select(Project).where(Project.key == "office")).one()
    assert (p.goal, p.objective, p.scope) == ("No downtime during the move", "Cheaper premises",
                                              "Cabling, wifi, firewall")
    assert (p.start_date, p.due_date, p.budget_cents, p.owner_user_id, p.channel_id) == (
        date(2026, 12, 1), date(2027, 3, 31), 1_250_000, OWNER, "C0PROJ")


def test_new_project_key_comes_from_the_name_and_stays_unique(db_engine, now):
    run = Runner(db_engine, now)
    assert "key `website-relaunch`" in ok(run('new "Website relaunch"', channel="C1"))
    ok(run("delete website-relaunch confirm"))  # archived: its name is free, its key is not
    assert "key `website-relaunch-2`" in ok(run('new "Website Relaunch!"', channel="C2"))


def test_new_project_name_that_would_read_as_a_task_number_gets_a_safe_key(db_engine, now):
    assert "key `project-2027`" in ok(Runner(db_engine, now)('new "2027"'))


def test_new_project_currency_follows_the_money_symbol(db_engine, now):
    ok(Runner(db_engine, now)('new "Shop" budget €8,000'))
    with Session(db_engine) as s:
        p = s.exec(select(Project)).one()
    assert (p.budget_cents, p.currency) == (800_000, "EUR")


def test_new_project_reads_dates_in_its_own_timezone(db_engine, now):
    # 23:30 on 27 Nov in UTC is already 28 Nov in Auckland
    late = now.replace(hour=23, minute=30)
    ok(Runner(db_engine, late)('new "Auckland office" tz Pacific/Auckland due tomorrow'))
    with Session(db_engine) as s:
        p = s.exec(select(Project)).one()
    assert (p.timezone, p.start_date, p.due_date) == ("Pacific/Auckland", date(2026, 11, 28),
                                                      date(2026, 11, 29))


def test_new_project_in_a_channel_that_has_a_project_leaves_that_link(db_engine, now):
    make_project(db_engine)
    text = ok(Runner(db_engine, now)('new "Office move"'))
    assert "This channel stays the home of Website relaunch" in text
    assert "`/project link office-move #channel`" in text
    assert "Website relaunch" in ok(Runner(db_engine, now)("status"))


def test_new_project_bad_input(db_engine, now):
    run = Runner(db_engine, now)
    assert "amount like 25000" in refused(run('new "Shop" budget lots'))
    assert "not a time zone" in refused(run('new "Shop" tz Mars/Base'))
    assert "before the start" in refused(run('new "Shop" start 2027-05-01 due 2027-04-01'))
    assert "lowercase letters" in refused(run('new "Shop" key "Big Shop"'))
    assert "cannot be a project key" in refused(run('new "Shop" key 42'))
    assert "at most 200 characters" in refused(run('new "' + "x" * 201 + '"'))
    assert "Usage: `/project new" in refused(run('new "Shop" budget lots'))
    ok(run('new "Shop" key shop', channel="C1"))
    assert "already exists" in refused(run('new "Other shop" key shop', channel="C2"))


def test_new_without_arguments_asks_for_a_name(db_engine, now):
    reply = Runner(db_engine, now)("new")
    assert reply.open_modal == "new_project"
    assert '/project new "Website relaunch"' in ok(reply)


# --- list and status ------------------------------------------------------------


def test_list_shows_open_projects_and_all_shows_closed_ones(db_engine, now):
    make_project(db_engine, key="website", channel_id="C1")
    make_project(db_engine, key="crm", name="New CRM", channel_id="C2")
    run = Runner(db_engine, now)
    ok(run("delete crm confirm"))
    listed = ok(run("list"))
    assert "Website relaunch" in listed and "New CRM" not in listed
    assert "New CRM" in ok(run("list all"))


def test_list_with_no_projects_says_how_to_start(db_engine, now):
    assert "/project new" in ok(Runner(db_engine, now)("list"))


def test_status_with_no_tasks(db_engine, now):
    make_project(db_engine, due_date=date(2027, 3, 31))
    text = ok(Runner(db_engine, now)("status"))
    assert "Progress: ░░░░░░░░░░ no tasks yet" in text
    assert "Wed 31 Mar 2027 (124 days left)" in text


def test_status_shows_progress_due_date_and_next_milestones(db_engine, now):
    project = make_project(db_engine, due_date=date(2027, 3, 31), task_titles=("A", "B", "C", "D"))
    add_milestone(db_engine, project, "Design approved", date(2026, 12, 15))
    run = Runner(db_engine, now)
    ok(run("task done 1"))
    text = ok(run("status"))
    assert "25% of tasks · 1 of 4 done" in text
    assert "124 days left" in text
    assert "Design approved" in text


def test_status_names_the_project_first_or_uses_the_channel(db_engine, now):
    make_project(db_engine, key="website", channel_id="C1")
    make_project(db_engine, key="crm", name="New CRM", channel_id="C2")
    run = Runner(db_engine, now)
    assert "New CRM: status" in ok(run("status crm", channel="C1"))
    assert "Website relaunch: status" in ok(run("status", channel="C1"))
    assert "Which project?" in refused(run("status", channel="C9"))
    assert "Did not understand `nope`" in refused(run("status nope", channel="C1"))


def test_with_only_one_project_no_name_is_needed(db_engine, now):
    make_project(db_engine, channel_id=None)
    assert "Website relaunch: status" in ok(Runner(db_engine, now)("status", channel="CELSEWHERE"))


def test_status_counts_days_left_in_the_projects_timezone(db_engine, now):
    make_project(db_engine, due_date=date(2026, 12, 1), timezone="Pacific/Auckland")
    # 27 Nov 23:30 UTC is 28 Nov in Auckland: three days left there, not four
    text = ok(Runner(db_engine, now.replace(hour=23, minute=30))("status"))
    assert "3 days left" in text


# --- link -------------------------------------------------------------------------


def test_link_makes_a_channel_the_projects_home(db_engine, now):
    make_project(db_engine, key="website", channel_id=None)
    make_project(db_engine, key="crm", name="New CRM", channel_id=None)
    run = Runner(db_engine, now)
    assert "is now the home of *New CRM*" in ok(run("link crm <#C0CRM|crm>", channel="C0GEN"))
    assert "New CRM: status" in ok(run("status", channel="C0CRM"))


def test_linking_a_channel_moves_it_from_the_previous_project(db_engine, now):
    make_project(db_engine, key="website", channel_id="C0WEB")
    make_project(db_engine, key="crm", name="New CRM", channel_id=None)
    run = Runner(db_engine, now)
    assert "(it was Website relaunch's)" in ok(run("link crm <#C0WEB|web>"))
    assert "New CRM: status" in ok(run("status", channel="C0WEB"))


def test_link_needs_a_channel(db_engine, now):
    make_project(db_engine)
    text = refused(Runner(db_engine, now)("link website"))
    assert "Expected a channel, like #website." in text
    assert "Usage: `/project link [PROJECT] #channel`" in text


# --- edit -------------------------------------------------------------------------


def test_edit_changes_each_field_and_shows_old_and_new(db_engine, now):
    project = make_project(db_engine, due_date=date(2027, 3, 31), budget_cents=2_500_000)
    run = Runner(db_engine, now)
    text = ok(run('edit website name "Shop relaunch" due 15 Apr budget 30k'))
    assert "due date: Wed 31 Mar 2027 → Thu 15 Apr 2027" in text
    assert "budget: $25,000 → $30,000" in text
    assert "name: Website relaunch → Shop relaunch" in text
    ok(run('edit goal "Double online orders" scope "Shop, payments, emails"'))
    p = fresh(db_engine, project)
    assert (p.name, p.due_date, p.budget_cents, p.goal, p.scope) == (
        "Shop relaunch", date(2027, 4, 15), 3_000_000, "Double online orders", "Shop, payments, emails")


def test_edit_unquoted_goal_runs_until_the_next_option(db_engine, now):
    project = make_project(db_engine)
    ok(Runner(db_engine, now)("edit goal More online orders due 31 Mar"))
    p = fresh(db_engine, project)
    assert (p.goal, p.due_date) == ("More online orders", date(2027, 3, 31))


def test_edit_bad_input(db_engine, now):
    make_project(db_engine)
    run = Runner(db_engine, now)
    text = refused(run("edit"))
    assert "Say what to change" in text and "Usage: `/project edit" in text
    assert "Expected a date" in refused(run("edit due someday"))
    assert "not a time zone" in refused(run("edit tz Mars/Base"))
    assert "State is one of" in refused(run("edit state finished"))
    assert "A project needs a name" in refused(run('edit name ""'))
    assert "at most 2000 characters" in refused(run('edit goal "' + "g" * 2001 + '"'))


def test_a_failed_edit_changes_nothing(db_engine, now):
    project = make_project(db_engine, due_date=date(2027, 3, 31), budget_cents=100)
    refused(Runner(db_engine, now)("edit budget 5k due 2026-01-01"))  # due before start
    p = fresh(db_engine, project)
    assert (p.budget_cents, p.due_date) == (100, date(2027, 3, 31))


def test_every_edit_is_in_the_audit_log_with_who_when_old_and_new(db_engine, now):
    project = make_project(db_engine, budget_cents=2_500_000, due_date=date(2027, 3, 31))
    ok(Runner(db_engine, now)("edit budget 30k due 15 Apr", user=MANAGER))
    with Session(db_engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "project.edit")).one()
    assert entry.user_id == MANAGER and entry.project_id == project.id
    assert entry.before == {"budget_cents": 2_500_000, "due_date": "2027-03-31"}
    assert entry.after == {"budget_cents": 3_000_000, "due_date": "2027-04-15"}
    assert entry.created_at.tzinfo is not None


# --- delete -----------------------------------------------------------------------


def test_delete_asks_for_confirmation_then_archives(db_engine, now):
    project = make_project(db_engine, task_titles=("A",))
    run = Runner(db_engine, now)
    asked = ok(run("delete website"))
    assert "`/project delete website confirm`" in asked
    assert fresh(db_engine, project).state == "active"
    assert "is deleted (archived)" in ok(run("delete website confirm"))
    p = fresh(db_engine, project)
    assert (p.state, p.channel_id) == ("cancelled", None)
    assert "no projects yet" in refused(run("status", channel="C0PROJ")).lower()
    assert "Website relaunch: status" in ok(run("status website"))  # history stays readable
    with Session(db_engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "project.delete")).one()
    assert entry.before == {"state": "active", "channel_id": "C0PROJ"}


def test_deleting_twice_is_a_no_op_and_edit_brings_it_back(db_engine, now):
    project = make_project(db_engine)
    run = Runner(db_engine, now)
    ok(run("delete website confirm"))
    assert "already deleted" in ok(run("delete website confirm"))
    ok(run("edit website state active"))
    assert fresh(db_engine, project).state == "active"


def test_delete_needs_the_key_spelled_out(db_engine, now):
    make_project(db_engine)
    run = Runner(db_engine, now)
    assert "Expected the project's key" in refused(run("delete"))
    assert "No project called `nope`" in refused(run("delete nope confirm"))


def test_member_can_not_delete(db_engine, now):
    project = make_project(db_engine)
    text = refused(Runner(db_engine, now)("delete website confirm", user=MEMBER))
    assert "Only the project's owner or a manager can delete the project" in text
    assert fresh(db_engine, project).state == "active"


def test_a_deleted_project_takes_no_more_work_until_brought_back(db_engine, now):
    make_project(db_engine, task_titles=("A",))
    run = Runner(db_engine, now)
    ok(run("delete website confirm"))
    text = refused(run("task done website 1", user=MEMBER))
    assert "is deleted (archived), so nothing on it changes" in text
    ok(run("edit website state active"))
    ok(run("task done website 1", user=MEMBER))


def test_new_in_a_direct_message_does_not_make_the_dm_its_home(db_engine, now):
    ok(Runner(db_engine, now)('new "Private plan"', channel="D0DM"))
    with Session(db_engine) as s:
        assert s.exec(select(Project)).one().channel_id is None


def test_repeating_an_edit_changes_and_records_nothing(db_engine, now):
    make_project(db_engine, budget_cents=100)
    run = Runner(db_engine, now)
    ok(run("edit budget 30k"))
    assert "budget: $30,000 (unchanged)" in ok(run("edit budget 30k"))
    with Session(db_engine) as s:
        assert len(s.exec(select(AuditEntry).where(AuditEntry.action == "project.edit")).all()) == 1
