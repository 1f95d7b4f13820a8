"""Errors of the jobs package.

    ConfigError (ValueError)             a setting is missing or wrong; the message names the setting
    EvaluationConflict (RuntimeError)    another evaluation wrote the same alert states first
"""


class ConfigError(ValueError):
    """Raised when the configuration file or environment has a wrong or missing setting."""


class EvaluationConflict(RuntimeError):
    """Raised when another evaluation committed alert states this one also created: nothing of
    this one was written; running it again continues from the other's state."""
