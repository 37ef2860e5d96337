"""The one error type the gate raises for expected failures."""


class GateError(Exception):
    """An expected failure that stops the gate: what is wrong and what to do about it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
