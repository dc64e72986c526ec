"""Closing a project: the close check, closing and reopening, the final
report, the retrospective and the lessons kept for the next project."""
