"""Typed errors for the expected failures; cli.py maps them to exit codes and one message."""

from __future__ import annotations

EXIT_IN_SYNC = 0
EXIT_RUNTIME_ERROR = 1
EXIT_CHANGES = 2
EXIT_BLOCKED = 3
EXIT_USAGE = 64
EXIT_LOCKED = 75  # EX_TEMPFAIL: another run holds the lock; try again later
EXIT_INVALID_SPEC = 78


class ReconcileError(Exception):
    """An expected failure: a message that names what is wrong, and a hint what to do."""

    exit_code = EXIT_RUNTIME_ERROR

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def lines(self) -> tuple[str, ...]:
        """The lines a person reads, hint last."""
        return (self.message, self.hint) if self.hint else (self.message,)


class SpecError(ReconcileError):
    """The spec cannot be read or is invalid: one line per problem."""

    exit_code = EXIT_INVALID_SPEC

    def __init__(self, problems: tuple[str, ...]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems

    def lines(self) -> tuple[str, ...]:
        """Every problem on its own line."""
        return self.problems


class UsageError(ReconcileError):
    """The command line itself is wrong."""

    exit_code = EXIT_USAGE


class RenderError(ReconcileError):
    """A value cannot be expressed in a unit file (systemd would refuse it)."""
