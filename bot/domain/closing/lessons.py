"""Lessons: something learned, kept with its project and tags, found again by
words, and suggested when a similar project starts ("Last time (Office
network move): the ISP needed 3 weeks' notice")."""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session, select

from bot.domain import audit, versions
from bot.domain.access import role_of
from bot.domain.errors import Invalid, PermissionDenied
from bot.domain.format import plural, truncate
from bot.models import Lesson, Project

MAX_TEXT = 1000
MAX_TAGS = 200
SUGGESTED = 3
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")
# too common to say two projects are alike
STOPWORDS = frozenset("""
a an and are as at be by for from has have in into is it its new of on or our out the
their this to up was we were with project projects more less all any get make made do not no
""".split())  # noqa: SIM905


def words(text: str) -> set[str]:
    """The meaningful words of `text`: lower case, 3+ letters or digits, no stopwords,
    a trailing plural `s` dropped (so "networks" meets "network")."""
    found = set()
    for w in re.findall(r"[a-z0-9]+", text.casefold()):
        if len(w) < 3 or w in STOPWORDS:
            continue
        found.add(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w)
    return found


def clean_tags(tags: list[str]) -> str:
    out = []
    for tag in tags:
        t = tag.strip().lower().lstrip("#")
        if not TAG_RE.match(t):
            raise Invalid(f"A tag is one word of letters, digits or dashes, like `vendor` (got `{tag[:30]}`).")
        if t not in out:
            out.append(t)
    text = " ".join(out)
    if len(text) > MAX_TAGS:
        raise Invalid(f"Tags can add up to at most {plural(MAX_TAGS, 'character')}.")
    return text


def add_lesson(*, session: Session, team_id: str, project: Project | None, actor: str, text: str,
               tags: list[str] | None = None, source: str = "manual", now: datetime,
               check: bool = True) -> tuple[Lesson, bool]:
    """Keep a lesson; returns (lesson, added). The same text on the same project
    again adds nothing. With a project, only someone on it may add one (`check`)."""
    text = " ".join(text.split())
    if not text:
        raise Invalid('A lesson needs its text, like `lessons add "The ISP needs 3 weeks\' notice"`.')
    if len(text) > MAX_TEXT:
        raise Invalid(f"A lesson can be at most {plural(MAX_TEXT, 'character')} (this one has {len(text)}).")
    if check and project is not None and role_of(session=session, project=project, user_id=actor) is None:
        raise PermissionDenied(f"Only people on *{project.name}* can keep lessons for it.")
    tag_text = clean_tags(tags or [])
    query = select(Lesson).where(Lesson.team_id == team_id, Lesson.text == text)
    query = query.where(Lesson.project_id == (project.id if project else None)) if project else \
        query.where(Lesson.project_id.is_(None))
    existing = session.exec(query).first()
    if existing is not None:
        return existing, False
    lesson = Lesson(team_id=team_id, project_id=project.id if project else None, text=text, tags=tag_text,
                    source=source, created_by=actor, created_at=now)
    session.add(lesson)
    session.flush()
    audit.record(session=session, team_id=team_id, user_id=actor or "", action="lesson.add", entity="lesson",
                 entity_id=lesson.id, project_id=project.id if project else None, now=now,
                 after={"text": text[:200], "tags": tag_text, "source": source})
    if project is not None:
        versions.touch(session, project.id)  # status counts a closed project's lessons
    return lesson, True


def find_lessons(*, session: Session, team_id: str, terms: list[str] | None = None,
                 tag: str | None = None) -> list[tuple[Lesson, Project | None]]:
    """The workspace's lessons, newest first, with their project; those whose
    text, tags or project name hold every one of `terms` and carry `tag`."""
    rows = session.exec(select(Lesson, Project).join(Project, Project.id == Lesson.project_id, isouter=True)
                        .where(Lesson.team_id == team_id)
                        .order_by(Lesson.created_at.desc(), Lesson.id.desc())).all()
    wanted = [t.casefold() for t in terms or [] if t.strip()]
    tag = tag.casefold().lstrip("#") if tag else None
    out = []
    for lesson, project in rows:
        hay = " ".join([lesson.text, lesson.tags, project.name if project else "", project.key if project else ""])
        hay = hay.casefold()
        if tag and tag not in lesson.tags.split():
            continue
        if all(t in hay for t in wanted):
            out.append((lesson, project))
    return out


def suggest(*, session: Session, team_id: str, name: str, goal: str = "", exclude: int | None = None,
            limit: int = SUGGESTED) -> list[tuple[Lesson, Project]]:
    """Up to `limit` earlier lessons whose project's name or goal, or whose tags,
    share words with a new project's `name` and `goal`: most shared words
    first, then newest."""
    mine = words(f"{name} {goal}")
    if not mine:
        return []
    scored = []
    for lesson, project in find_lessons(session=session, team_id=team_id):
        if project is None or project.id == exclude:
            continue
        shared = mine & (words(f"{project.name} {project.goal}") | words(lesson.tags.replace("-", " ")))
        if shared:
            scored.append((len(shared), lesson, project))
    scored.sort(key=lambda x: -x[0])  # stable: newest first within a score
    return [(lesson, project) for _, lesson, project in scored[:limit]]


def tips(*, session: Session, project: Project) -> str:
    """What `new` says about earlier similar projects, a line a lesson ("" when none):
    "💡 Last time (Office network move): the ISP needed 3 weeks' notice"."""
    found = suggest(session=session, team_id=project.team_id, name=project.name, goal=project.goal,
                    exclude=project.id)
    return "\n".join(f"💡 Last time ({truncate(p.name, 80)}): {truncate(lesson.text, 300)}" for lesson, p in found)
