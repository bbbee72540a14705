"""The Textual app. Only `tot_tui.tutor.session`, `domain`, `config`, `textsafe` and the light
tutor helpers are imported here: the first screen paints before sympy, sqlmodel or ollama load."""
