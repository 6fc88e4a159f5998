"""Domain errors. Each carries a message a user can act on; the CLI prints it on one line and
exits non-zero, the dashboard shows it with `st.error`."""

from __future__ import annotations


class TrackerError(Exception):
    """Base of every error the tracker raises on purpose."""

    exit_code = 1


class InvalidInput(TrackerError):
    """The input is wrong: a missing file, a bad value, a fragment that matches nothing."""

    exit_code = 2


class NotFound(TrackerError):
    exit_code = 3


class PermissionDenied(TrackerError):
    exit_code = 4


class Conflict(TrackerError):
    """Someone else changed the record since it was read (optimistic locking), or a uniqueness
    rule would be broken."""

    exit_code = 5


class ConfigurationError(TrackerError):
    """The settings are unusable, e.g. a malformed database URL."""

    exit_code = 6
