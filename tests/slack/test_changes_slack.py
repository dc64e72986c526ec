"""Change requests in Slack, through signed HTTP against the fake Slack: a
client's request is posted with Approve / Reject / Discuss and sent to the
deciders; the owner approves from the button (a double click decides once);
a sponsor rejects another from its modal, with the reason; the cards are
edited in place and status shows plan vs now."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from bot.models import Baseline, ChangeRequest, Project
from tests.support.slackhttp import press

OWNER, CLIENT, SPONSOR, MEMBER = "U0OWNER", "U0CLIENT", "U0SPONS", "U0MEMB"


def _text(call) -> str:
    return json.dumps(call.params, ensure_ascii=False)


def _to(call) -> str:
    return call.posted_to or call.params.get("channel", "")


def _labels(call) -> list[str]:
    return [e["text"]["text"] for b in call.params.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def _card(fake, title: str, count: int):
    fake.wait_for("chat.postMessage", count)
    return next(c for c in fake.messages("C0CRM") if title in _text(c) and _labels(c))


def test_a_clients_change_approved_from_the_button_and_another_rejected_with_its_reason(slack, fake, db_engine):
    for text in ('new "New CRM" key crm due 26 Feb 2027 budget €40k', f"member add crm <@{CLIENT}> role client",
                 f"member add crm <@{SPONSOR}> role sponsor", f"member add crm <@{MEMBER}>",
                 'milestone add crm "Go-live" due 19 Feb 2027 budget 30k'):
        assert slack.slash(text, channel="C0CRM").status == 200
    assert "Baseline 1 taken" in slack.wait_reply(5)["text"] + json.dumps(slack.wait_reply(5))
    slack.slash('change add crm "Marketing automation" budget +6k due +2w reason "Campaigns at launch"',
                user=CLIENT, channel="C0CRM")
    assert "CR-1 *Marketing automation* is raised" in json.dumps(slack.wait_reply(6))
    card = _card(fake, "Marketing automation", 1)
    assert _labels(card) == ["Approve", "Reject", "Discuss"]
    assert "budget +€6,000" in _text(card) and "due +2w" in _text(card)
    fake.wait_for("chat.postMessage", 3)
    dms = {_to(c) for c in fake.calls_to("chat.postMessage") if "Marketing automation" in _text(c)
           and _to(c) != "C0CRM"}
    assert dms == {OWNER, SPONSOR}  # the deciders; the client asked, so is not asked to decide

    # the client cannot approve; the owner approves from the button, twice
    ts = "1700000000.000001"
    slack.click("", user=CLIENT, channel="C0CRM", message_ts=ts, ephemeral=False, **press(card.params, "Approve"))
    assert "Only the owner" in json.dumps(slack.wait_reply(7))
    slack.click("", user=OWNER, channel="C0CRM", message_ts=ts, ephemeral=False, **press(card.params, "Approve"))
    assert "approved and applied" in json.dumps(slack.wait_reply(8))
    slack.click("", user=OWNER, channel="C0CRM", message_ts=ts, ephemeral=False, **press(card.params, "Approve"))
    again = json.dumps(slack.wait_reply(9))
    assert "already approved by <@U0OWNER> on Fri 27 Nov 10:00 (UTC); nothing changed" in again
    with Session(db_engine) as s:
        project = s.exec(select(Project).where(Project.key == "crm")).one()
        assert project.budget_cents == 4_600_000
        assert len(s.exec(select(Baseline)).all()) == 2
    updates = fake.wait_for("chat.update", 3)  # the card and both DMs
    assert all("approved by <@U0OWNER>" in _text(u) and not _labels(u) for u in updates[:3])
    outcome = [c for c in fake.wait_for("chat.postMessage", 4) if _to(c) == CLIENT]
    assert outcome and "was approved by <@U0OWNER>" in _text(outcome[0])

    # a member's request, rejected by the sponsor through the modal
    slack.slash('change add crm "Mobile app" budget +15k', user=MEMBER, channel="C0CRM")
    slack.wait_reply(10)
    card2 = _card(fake, "Mobile app", 5)
    slack.click("", user=SPONSOR, channel="C0CRM", ephemeral=False, **press(card2.params, "Reject"))
    view = fake.wait_for("views.open")[0].params["view"]
    assert view["callback_id"] == "change_reject"
    assert slack.submit(view, {"change_reason": {"value": " "}}, user=SPONSOR,
                        view_id="V0REJ").json()["response_action"] == "errors"
    assert slack.submit(view, {"change_reason": {"value": "Not in this phase"}}, user=SPONSOR,
                        view_id="V0REJ2").body in (b"", b"{}")
    assert slack.submit(view, {"change_reason": {"value": "Not in this phase"}}, user=SPONSOR,
                        view_id="V0REJ2").body in (b"", b"{}")  # submitted twice
    with Session(db_engine) as s:
        cr = s.exec(select(ChangeRequest).where(ChangeRequest.number == 2)).one()
        assert (cr.state, cr.decided_by, cr.decision_note) == ("rejected", SPONSOR, "Not in this phase")
    fake.wait_for("chat.update", 5)
    assert any("Not in this phase" in _text(u) for u in fake.calls_to("chat.update"))
    # a second decider's modal on the decided request says who decided
    slack.click("", user=OWNER, channel="C0CRM", ephemeral=False, **press(card2.params, "Reject"))
    assert "already rejected by <@U0SPONS>" in json.dumps(slack.wait_reply(11))


def test_the_edit_project_modal_is_under_change_control_too(slack, fake, db_engine):
    from bot.domain.replies import Intent
    from tests.support.factories import MANAGER, make_project

    make_project(db_engine, budget_cents=1_000_000)
    slack.slash("edit website state active")  # Baseline 1
    assert "Baseline 1 taken" in json.dumps(slack.wait_reply())
    slack.click(Intent.EDIT_PROJECT, "website", user=MANAGER)
    view = fake.wait_for("views.open")[0].params["view"]
    assert slack.submit(view, {"name": {"value": "Website relaunch 2"}, "budget": {"value": "$12k"}}, user=MANAGER,
                        view_id="V0EDIT1").body in (b"", b"{}")
    with Session(db_engine) as s:
        project = s.exec(select(Project)).one()
        [cr] = s.exec(select(ChangeRequest)).all()
    assert (project.name, project.budget_cents) == ("Website relaunch 2", 1_000_000)
    assert (cr.state, cr.parts, cr.requested_by) == ("open", {"budget": {"set": 1_200_000}}, MANAGER)
    slack.click(Intent.EDIT_PROJECT, "website", user=OWNER)
    view = fake.wait_for("views.open", 2)[1].params["view"]
    slack.submit(view, {"name": {"value": "Website relaunch 2"}, "budget": {"value": "$11k"}}, view_id="V0EDIT2")
    with Session(db_engine) as s:
        project = s.exec(select(Project)).one()
        crs = s.exec(select(ChangeRequest).order_by(ChangeRequest.number)).all()
    assert project.budget_cents == 1_100_000
    assert (crs[1].state, crs[1].reason, crs[1].decided_by) == ("approved", "direct edit", OWNER)
