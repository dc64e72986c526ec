"""A project a client follows: eight weeks of work, a shared and an internal
risk, money spent and hours logged at a rate, a client member. Every test
about what a client sees starts here, and `SECRETS` lists what must never
reach them (rates, logged hours, Slack ids, the internal risk)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from tests.support.helpers import Runner, ok

PUBLIC_URL = "https://pm.example.com"
OWNER, BOB, CAROL, DANA = "U0OWNER", "U0BOB", "U0CAROL", "U0DANA"  # Dana is the client
INTERNAL_RISK = "Key developer may leave"
SHARED_RISK = "Hosting vendor may slip"
# what a client must never see, however the page or email is made
SECRETS = ("$85", "85/h", "hourly", "U0BOB", "U0CAROL", "U0OWNER", "<@", INTERNAL_RISK, "12h", "logged",
           "Standup", "standup", "blocked on Bob")
COSTS = ("$25,000", "$1,200")  # only with `show costs`


def client_project(engine: Engine, now: datetime, *, email: bool = True) -> Runner:
    """The Website relaunch as of `now` (a Friday), built through commands
    at the times they happened; returns the runner (at `now`)."""
    r = Runner(engine, now - timedelta(days=56), public_url=PUBLIC_URL, email_configured=email)
    ok(r('new "Website relaunch" key web due 2027-03-31 budget $25k start 2026-10-01 tz Europe/Berlin '
         'goal "A faster website that brings in more enquiries"'))
    for who, role in ((BOB, "member"), (CAROL, "manager"), (DANA, "client")):
        ok(r(f"member add <@{who}> role {role}"))
    ok(r(f"member rate <@{BOB}> 85"))
    ok(r('milestone add "Design approved" due 2026-11-20 budget 5k'))
    ok(r('milestone add "Build" due 2027-01-29 budget 12k'))
    ok(r('milestone add "Launch" due 2027-03-26 budget 8k'))
    titles = ["Sitemap", "Wireframes", "Visual design", "Content plan", "CMS setup", "Page templates",
              "Contact form", "Migrate blog posts", "Performance budget", "Accessibility review",
              "SEO redirects", "Go-live checklist"]
    for n, title in enumerate(titles, start=1):
        milestone = "M1" if n <= 4 else ("M2" if n <= 9 else "M3")
        ok(r(f'task add "{title}" <@{BOB}> estimate {4 + n % 3 * 2}h milestone {milestone}'))
    for days_ago, numbers in ((42, [1, 2]), (33, [3]), (26, [4]), (12, [5]), (2, [6, 8])):
        r.now = now - timedelta(days=days_ago)
        for n in numbers:
            ok(r(f"task done {n}"))
    r.now = now - timedelta(days=7)
    ok(r("milestone done M1"))
    r.now = now - timedelta(days=2)
    ok(r(f'task add "Approve the home page copy" <@{DANA}> due 2026-12-02'))
    ok(r('task block 7 "blocked on Bob\'s other project"'))
    ok(r(f'risk add "{SHARED_RISK}" likelihood 3 impact 4 mitigation "Second quote"'))
    ok(r(f'risk add "{INTERNAL_RISK}" likelihood 5 impact 4 internal'))
    ok(r("spend 1200 licenses \"Design tool seats\""))
    ok(r(f"log 12h @{BOB} yesterday".replace(f"@{BOB}", f"<@{BOB}>")))
    r.now = now
    return r
