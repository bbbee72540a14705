"""Theme variables ("$primary", "auto 87%", "ansi_blue", "transparent") as Rich colours, for
the widgets that draw their own text (the key bar, the button bars)."""

from __future__ import annotations

from rich.color import Color as RichColor
from textual.color import Color, ColorParseError


def theme_colour(variables: dict[str, str], name: str, on: Color | None = None) -> Color | None:
    """The theme's colour `name`; None where the terminal's own colour should show (missing,
    unparseable, transparent). "auto N%" is the contrasting text colour on `on`."""
    words = variables.get(name, "").split()
    if not words:
        return None
    try:
        if words[0] == "auto":
            if on is None or on.ansi is not None:  # no contrast to compute against ANSI
                return None
            alpha = float(words[1].rstrip("%")) / 100 if len(words) > 1 else 1.0
            return on + on.get_contrast_text(alpha)
        colour = Color.parse(words[0])  # an alpha after it ("ansi_default 50%") is dropped
    except (ColorParseError, ValueError):
        return None
    return None if colour.a == 0 else colour


def rich_colour(colour: Color | None) -> RichColor | None:
    return None if colour is None else colour.rich_color
