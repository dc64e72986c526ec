"""Errors the domain raises; the command layer turns each into a short reply."""


class DomainError(Exception):
    """Something the user asked for cannot be done; the message says why."""


class NotFound(DomainError):
    """The named thing does not exist in this workspace."""


class PermissionDenied(DomainError):
    """The user's role does not allow this action; the message says who may."""


class Invalid(DomainError):
    """A value is out of range or inconsistent; the message says what is expected."""


class Conflict(DomainError):
    """The change clashes with what is stored (a duplicate key, say)."""
