"""Daily standups, in modules named for what they hold:

- `settings`: time, days, zone, channel, window, reminder, questions; pause, company days off
- `schedule`: wall-clock times in a zone, working days, when a reminder falls due
- `runs`: one run's life: open, prompt, remind, close (the lifecycle is described there)
- `batch`: the scheduler's path: which standups run, what is due, opening many at once
- `answers`: which run an answer is for, storing and editing it, the answer form
- `messages`: prompt, reminder, "answered" edit, summary and its thread, late answers
- `digest`: one DM for someone asked by several standups at the same moment
- `insights`: repeated blockers, people who keep missing, participation, history
- `queries`: the reads the others share

Availability (out of office, someone's own holidays) is person-wide:
`bot.domain.availability`. Callers use the names below (`standups.start_run`);
the modules import each other directly, never through this package.
"""

from bot.domain.standups.answers import (
    MAX_ANSWER,
    AnswerForm,
    AnswerResult,
    answer_form,
    answer_form_for,
    answer_forms,
    is_blocker,
    submit_answer,
    target_run,
)
from bot.domain.standups.batch import (
    CATCH_UP_AFTER,
    Due,
    Running,
    due_configs,
    due_run_ids,
    next_due_at,
    running_standups,
    start_runs,
)
from bot.domain.standups.insights import (
    MemberParticipation,
    Participation,
    RepeatedBlocker,
    answer_counts,
    answers_of,
    missed_in_a_row,
    participation,
    participation_last_days,
    repeated_blockers,
    runs_between,
)
from bot.domain.standups.messages import (
    RunSummary,
    answer_text,
    prompt_reply,
    reminder_reply,
    run_summary,
    summary_reply,
)
from bot.domain.standups.queries import (
    ASKED_ROLES,
    member_time_teams,
    member_time_users,
    participants_for,
    participants_of,
    run_in_team,
    user_timezones,
)
from bot.domain.standups.runs import (
    Progress,
    StartResult,
    advance_run,
    close_now,
    close_run,
    join_open_run,
    start_now,
    start_run,
)
from bot.domain.standups.schedule import (
    TIME_OF_DAY,
    config_timezone,
    local_time,
    local_to_utc,
    next_run_date,
    parse_hhmm,
    remind_at,
    standup_calendar,
    weekdays_of,
)
from bot.domain.standups.settings import (
    BLOCKERS,
    CONFIDENCE,
    DEFAULT_QUESTIONS,
    FINISHED,
    NEXT,
    configure,
    get_config,
    questions_of,
    require_config,
    run_questions,
    set_paused,
    set_questions,
    skip_day,
)

__all__ = [
    "ASKED_ROLES", "BLOCKERS", "CATCH_UP_AFTER", "CONFIDENCE", "DEFAULT_QUESTIONS", "FINISHED",
    "MAX_ANSWER", "NEXT", "AnswerForm", "AnswerResult", "Due", "MemberParticipation",
    "Participation", "Progress", "RepeatedBlocker", "RunSummary", "Running", "StartResult", "TIME_OF_DAY",
    "advance_run", "answer_counts", "answer_form", "answer_form_for", "answer_forms", "answer_text", "answers_of",
    "close_now", "close_run", "config_timezone", "configure", "due_configs", "due_run_ids",
    "get_config", "is_blocker", "join_open_run", "local_time", "local_to_utc", "member_time_teams",
    "member_time_users", "missed_in_a_row", "next_due_at", "next_run_date", "parse_hhmm", "participants_for",
    "participants_of", "participation", "participation_last_days", "prompt_reply", "questions_of",
    "remind_at", "reminder_reply", "repeated_blockers", "require_config", "run_in_team",
    "run_questions", "run_summary", "running_standups", "runs_between", "set_paused",
    "set_questions", "skip_day", "standup_calendar", "start_now", "start_run", "start_runs",
    "submit_answer", "summary_reply", "target_run", "user_timezones", "weekdays_of",
]
