"""ln1 Local Runner: a light agent inside the client's network (see DESIGN.md)."""

__version__ = "0.1.0"
