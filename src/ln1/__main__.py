"""``python -m ln1`` is the ``ln1`` command."""

from ln1.cli import app

app()
