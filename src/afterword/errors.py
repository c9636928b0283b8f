"""Errors that reach a person as one clear line instead of a traceback."""


class AfterwordError(Exception):
    """An expected failure the command line reports as ``afterword: error: <message>``."""


class ConfigError(AfterwordError):
    """The configuration is invalid or unusable."""


class DatabaseError(AfterwordError):
    """The database cannot be reached, created or migrated."""
