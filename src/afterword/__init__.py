"""Afterword: everything below the article, self-hosted."""

__version__ = "0.1.0"
