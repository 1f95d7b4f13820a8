"""Errors of the jobs package.

    ConfigError (ValueError)   a setting is missing or wrong; the message names the setting
"""


class ConfigError(ValueError):
    """Raised when the configuration file or environment has a wrong or missing setting."""
