"""Modals, by subject: `projects` (new, edit), `tasks`, `milestones`, `risks`,
`alerts` (assign owner), `standups` (answer, settings); `inputs` holds what
they are made of and how a submission is read back; `openers` is the one
table of every modal the bot opens, and `open_modal`."""
