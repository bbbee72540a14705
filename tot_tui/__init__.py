"""tot-tui: a terminal math tutor built on Trace-of-Thought prompting."""

__version__ = "0.1.0"
