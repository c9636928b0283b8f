"""``python -m afterword`` is the ``afterword`` command."""

from afterword.cli import main

main()
