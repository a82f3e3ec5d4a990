"""Errors of the rules language. Each names where in the expression it happened and how to fix it."""

from __future__ import annotations


class RuleError(Exception):
    """A problem in a rule expression, found when the pack loads (never when a citizen applies)."""

    def __init__(self, message: str, *, column: int | None = None, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column  # 1-based position in the expression text, when known
        self.fix = fix

    def __str__(self) -> str:
        where = f" (at character {self.column})" if self.column else ""
        fix = f" Fix: {self.fix}" if self.fix else ""
        return f"{self.message}{where}.{fix}"


class RuleSyntaxError(RuleError):
    """The expression does not follow the grammar."""


class RuleNameError(RuleError):
    """The expression uses a name that is neither an input, a parameter nor a definition."""


class RuleTypeError(RuleError):
    """The expression combines values of types that do not go together (a date plus a number...)."""
