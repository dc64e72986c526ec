"""Modals end to end: open, submit, field errors, and submitting twice."""

from __future__ import annotations

from sqlmodel import Session, func, select

from bot.domain.replies import Intent
from bot.models import Milestone, Project, Task
from tests.support.factories import MEMBER, OWNER, make_project


def _count(engine, model) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def _open_new_project(slack, fake) -> dict:
    slack.slash("new", channel="C0NEW")
    return fake.wait_for("views.open")[0].params["view"]


def test_new_project_modal_creates_the_project_and_announces_it_in_the_channel(slack, fake, db_engine):
    view = _open_new_project(slack, fake)
    response = slack.submit(view, {"name": {"value": "CRM rollout"}, "goal": {"value": "One customer list"},
                                   "due": {"selected_date": "2027-03-31"}, "budget": {"value": "$25k"},
                                   "key": {"value": ""}}, view_id="V0NEW1")
    assert response.status == 200 and response.body in (b"", b"{}")  # modal closes
    with Session(db_engine) as s:
        project = s.exec(select(Project)).one()
    assert (project.name, project.key, project.goal) == ("CRM rollout", "crm-rollout", "One customer list")
    assert (str(project.due_date), project.budget_cents, project.channel_id) == ("2027-03-31", 2_500_000, "C0NEW")
    posted = fake.wait_for("chat.postMessage")[0]
    assert posted.params["channel"] == "C0NEW"
    assert "Project CRM rollout started" in posted.text()


def test_a_modal_submitted_twice_creates_one_project(slack, fake, db_engine):
    view = _open_new_project(slack, fake)
    values = {"name": {"value": "CRM rollout"}}
    first = slack.submit(view, values, view_id="V0TWICE")
    second = slack.submit(view, values, view_id="V0TWICE")
    assert (first.status, second.status) == (200, 200)
    assert second.body in (b"", b"{}")  # the second one just closes the modal
    assert _count(db_engine, Project) == 1
    fake.wait_for("chat.postMessage")
    assert len(fake.messages("C0NEW")) == 1


def test_invalid_fields_are_shown_on_the_fields_and_nothing_is_created(slack, fake, db_engine):
    view = _open_new_project(slack, fake)
    response = slack.submit(view, {"name": {"value": "  "}, "budget": {"value": "lots"},
                                   "due": {"selected_date": "2020-01-01"}, "key": {"value": "Bad Key!"}},
                            view_id="V0BAD")
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"name", "budget", "due", "key"}
    assert "25000" in answer["errors"]["budget"] or "amount" in answer["errors"]["budget"].lower()
    assert _count(db_engine, Project) == 0
    fixed = slack.submit(view, {"name": {"value": "Fixed name"}}, view_id="V0BAD")  # same modal, corrected
    assert fixed.body in (b"", b"{}")
    assert _count(db_engine, Project) == 1


def test_a_taken_key_is_reported_on_the_key_field(slack, fake, db_engine):
    make_project(db_engine, key="website")
    view = _open_new_project(slack, fake)
    answer = slack.submit(view, {"name": {"value": "Another site"}, "key": {"value": "website"}},
                          view_id="V0DUP").json()
    assert answer["response_action"] == "errors"
    assert "website" in answer["errors"]["key"]
    assert _count(db_engine, Project) == 1


def test_a_key_that_would_read_as_a_command_word_is_refused_on_the_key_field(slack, fake, db_engine):
    view = _open_new_project(slack, fake)
    answer = slack.submit(view, {"name": {"value": "Numbers"}, "key": {"value": "3"}},
                          view_id="V0RESERVED").json()
    assert answer["response_action"] == "errors"
    assert "would read as part of a command" in answer["errors"]["key"]
    assert _count(db_engine, Project) == 0


def test_add_task_button_opens_a_modal_whose_submission_adds_one_task(slack, fake, db_engine):
    make_project(db_engine)
    slack.click(Intent.ADD_TASK, "website", user=MEMBER)
    view = fake.wait_for("views.open")[0].params["view"]
    assert view["callback_id"] == "add_task"
    values = {"title": {"value": "Choose hosting"}, "assignee": {"selected_user": MEMBER},
              "due": {"selected_date": "2026-12-04"}, "estimate": {"value": "4h"}}
    slack.submit(view, values, user=MEMBER, view_id="V0TASK")
    slack.submit(view, values, user=MEMBER, view_id="V0TASK")  # double submit
    with Session(db_engine) as s:
        tasks = s.exec(select(Task)).all()
    assert [(t.title, t.assignee_user_id, t.estimate_hours) for t in tasks] == [("Choose hosting", MEMBER, 4.0)]
    posted = fake.wait_for("chat.postMessage")[0]
    assert "Added #1 *Choose hosting*" in posted.text()
    published = {c.params["user_id"] for c in fake.wait_for("views.publish")}
    assert MEMBER in published  # the assignee's Home shows the new task


def test_add_task_with_a_bad_estimate_points_at_the_estimate(slack, fake, db_engine):
    make_project(db_engine)
    slack.click(Intent.ADD_TASK, "website")
    view = fake.wait_for("views.open")[0].params["view"]
    answer = slack.submit(view, {"title": {"value": "Choose hosting"}, "estimate": {"value": "soon"}},
                          view_id="V0EST").json()
    assert list(answer["errors"]) == ["estimate"]
    assert _count(db_engine, Task) == 0


def test_a_due_date_in_the_past_is_refused_on_its_field_saying_how_long_ago(slack, fake, db_engine):
    """As `/project task add ... due 20 Nov` is refused (it is Fri 27 Nov 2026)."""
    make_project(db_engine)
    slack.click(Intent.ADD_TASK, "website")
    view = fake.wait_for("views.open")[0].params["view"]
    answer = slack.submit(view, {"title": {"value": "Choose hosting"}, "due": {"selected_date": "2026-11-20"}},
                          view_id="V0PAST").json()
    assert answer["errors"] == {"due": "Fri 20 Nov 2026: that was seven days ago, and a due date cannot be "
                                       "in the past."}
    assert _count(db_engine, Task) == 0


def test_add_milestone_modal_adds_a_milestone(slack, fake, db_engine):
    make_project(db_engine)
    slack.click(Intent.ADD_MILESTONE, "website")
    view = fake.wait_for("views.open")[0].params["view"]
    assert view["callback_id"] == "add_milestone"
    slack.submit(view, {"name": {"value": "Design approved"}, "due": {"selected_date": "2027-01-15"},
                        "budget": {"value": "5k"}, "effort": {"value": "60h"}}, view_id="V0MS")
    with Session(db_engine) as s:
        m = s.exec(select(Milestone)).one()
    assert (m.name, str(m.due_date), m.planned_budget_cents, m.planned_effort_hours) == (
        "Design approved", "2027-01-15", 500_000, 60.0)


def test_edit_project_modal_is_prefilled_and_saves_changes(slack, fake, db_engine):
    make_project(db_engine, budget_cents=1_000_000)
    slack.click(Intent.EDIT_PROJECT, "website", user=OWNER)
    view = fake.wait_for("views.open")[0].params["view"]
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert blocks["name"]["element"]["initial_value"] == "Website relaunch"
    assert blocks["budget"]["element"]["initial_value"] == "10000"
    slack.submit(view, {"name": {"value": "Website relaunch"}, "budget": {"value": "$12k"},
                        "due": {"selected_date": "2027-02-01"},
                        "state": {"selected_option": {"value": "on_hold"}}}, view_id="V0EDIT")
    with Session(db_engine) as s:
        project = s.exec(select(Project)).one()
    assert (project.budget_cents, str(project.due_date), project.state) == (1_200_000, "2027-02-01", "on_hold")


def test_only_managers_may_edit_and_the_refusal_is_shown_in_the_modal(slack, fake, db_engine):
    make_project(db_engine)
    slack.click(Intent.EDIT_PROJECT, "website", user=MEMBER)
    view = fake.wait_for("views.open")[0].params["view"]
    answer = slack.submit(view, {"name": {"value": "Renamed"}}, user=MEMBER, view_id="V0NOPE").json()
    assert answer["response_action"] == "errors"
    assert "owner" in answer["errors"]["name"]
    with Session(db_engine) as s:
        assert s.exec(select(Project)).one().name == "Website relaunch"


def test_the_new_project_shortcut_opens_the_modal_from_anywhere(slack, fake, db_engine):
    assert slack.shortcut("new_project_shortcut").status == 200
    view = fake.wait_for("views.open")[0].params["view"]
    assert view["callback_id"] == "new_project"
    slack.submit(view, {"name": {"value": "From the shortcut"}}, view_id="V0SC")
    with Session(db_engine) as s:
        assert s.exec(select(Project)).one().name == "From the shortcut"
    assert fake.wait_for("chat.postMessage")[0].params["channel"].startswith("D")  # confirmed by DM


def test_add_as_task_turns_a_message_into_a_task_of_the_channels_project(slack, fake, db_engine):
    make_project(db_engine, channel_id="C0SITE")
    slack.shortcut("task_from_message", channel="C0SITE", message_text="The contact form is broken\nsee screenshot")
    view = fake.wait_for("views.open")[0].params["view"]
    title = [b for b in view["blocks"] if b["block_id"] == "title"][0]["element"]["initial_value"]
    assert title == "The contact form is broken"
    slack.submit(view, {"title": {"value": title}}, view_id="V0MSG")
    with Session(db_engine) as s:
        assert s.exec(select(Task)).one().title == "The contact form is broken"


def test_add_as_task_in_a_channel_without_a_project_says_how_to_link_one(slack, fake, db_engine):
    slack.shortcut("task_from_message", channel="C0RANDOM", message_text="hello")
    note = slack.wait_reply()  # under the message, through the shortcut's response_url
    assert note["response_type"] == "ephemeral" and "/project link" in note["text"]
    assert fake.calls_to("views.open") == []


def test_a_bug_while_saving_shows_on_the_modal_and_saves_nothing(slack, fake, db_engine, monkeypatch):
    from bot.domain import projects as project_service

    def broken(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(project_service, "create_project", broken)
    view = _open_new_project(slack, fake)
    answer = slack.submit(view, {"name": {"value": "Doomed"}}, view_id="V0BUG").json()
    assert answer["response_action"] == "errors"
    assert "nothing was saved" in answer["errors"]["name"]
    assert _count(db_engine, Project) == 0
    monkeypatch.undo()
    assert slack.submit(view, {"name": {"value": "Doomed"}}, view_id="V0BUG").body in (b"", b"{}")
    assert _count(db_engine, Project) == 1  # the same modal can be sent again once fixed


def test_saving_the_edit_modal_untouched_changes_nothing_even_in_another_currency(slack, fake, db_engine):
    make_project(db_engine, budget_cents=2_500_050)
    with Session(db_engine) as s:
        project = s.exec(select(Project)).one()
        project.currency = "SEK"
        project.scope = "In scope: " + "everything " * 400  # longer than the modal can show
        s.add(project)
        s.commit()
    slack.click(Intent.EDIT_PROJECT, "website", user=OWNER)
    view = fake.wait_for("views.open")[0].params["view"]
    initial = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"]}
    assert initial["budget"] == "25000.50"
    answer = slack.submit(view, {"name": {"value": initial["name"]}, "budget": {"value": initial["budget"]},
                                 "scope": {"value": initial["scope"]},
                                 "state": {"selected_option": {"value": "active"}}}, view_id="V0SAME")
    assert answer.body in (b"", b"{}")
    with Session(db_engine) as s:
        project = s.exec(select(Project)).one()
    assert (project.budget_cents, project.currency) == (2_500_050, "SEK")
    assert project.scope.endswith("everything ") and len(project.scope) > 3000  # not cut by the round trip
    assert "nothing changed" in fake.wait_for("chat.postMessage")[0].text()
