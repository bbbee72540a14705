"""What a person gave that the tutor cannot use."""

from __future__ import annotations


class InputError(ValueError):
    """Input a person gave that the tutor cannot use; the message says how to fix it."""
