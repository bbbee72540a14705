"""Every key binding of the app, in one table: scope → bindings, each with an id.

Screens and widgets take their `BINDINGS` from here (`BINDINGS = bindings("history")`), so the
ids a keymap may name are known without importing any screen: Settings lists them and the
config check refuses an unknown one. A new screen adds its scope here and nowhere else.
Terminals disagree about Shift+Enter and Ctrl+Enter, so every "send" key has a plain
Ctrl+letter fallback.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

TABLE: dict[str, tuple[Binding, ...]] = {
    "app": (
        Binding("f1", "help", "Help", id="app.help"),
        Binding("f2", "switch_mode('solve')", "Solve", id="app.solve"),
        Binding("f3", "switch_mode('history')", "History", id="app.history"),
        Binding("f4", "switch_mode('models')", "Models", id="app.models"),
        Binding("f5", "settings", "Settings", id="app.settings"),
        # Math rendered, or as written (the LaTeX source), everywhere; the label says which.
        # Ctrl+\ as well: some terminals send no F8 (tmux does; both keys reach the app).
        Binding("f8,ctrl+backslash", "toggle_raw_math", "Math: rendered", id="app.raw_math"),
        Binding("ctrl+q", "quit", "Quit", show=False, id="app.quit", priority=True),
    ),
    "solve": (
        Binding("ctrl+t,ctrl+enter", "decompose", "Decompose", id="solve.decompose"),
        Binding("ctrl+r,ctrl+shift+enter", "solve", "Solve", id="solve.solve"),
        Binding("ctrl+b", "compare", "Compare", id="solve.compare"),
        # The teacher's equations, solved into a reference (or a check of the typed one); and
        # the student three ways (steps, equations, a program), the answer two agree on.
        # F-keys: the problem's TextArea takes Ctrl+E and Ctrl+W (line end, delete word).
        Binding("f9", "equations", "Equations", show=False, priority=True,
                id="solve.equations"),
        Binding("f10", "ensemble", "Three ways", show=False, priority=True,
                id="solve.ensemble"),
        Binding("escape", "cancel", "Cancel", id="solve.cancel"),
        Binding("ctrl+o", "toggle_hints", "Hint mode", id="solve.hints"),
        Binding("ctrl+f", "next_hint", "Next hint", show=False, id="solve.next_hint"),
        Binding("ctrl+l", "focus_answer", "Your answer", show=False, id="solve.answer"),
        # Priority: TextArea binds F6/F7 to selections, and these must work from the problem.
        Binding("f6", "focus_steps", "Edit steps", show=False, priority=True, id="solve.steps"),
        Binding("f7", "focus_problem", "Edit problem", show=False, priority=True,
                id="solve.problem"),
        Binding("ctrl+g", "new_problem", "New problem", show=False, id="solve.new"),
    ),
    "steps": (
        Binding("ctrl+n", "insert_step", "New step", id="steps.insert"),
        Binding("ctrl+delete,alt+d", "delete_step", "Delete step", id="steps.delete"),
        Binding("alt+up,ctrl+shift+up", "move_step(-1)", "Move up", id="steps.move_up"),
        Binding("alt+down,ctrl+shift+down", "move_step(1)", "Move down", id="steps.move_down"),
        Binding("ctrl+z", "undo", "Undo", id="steps.undo"),
        Binding("ctrl+y,ctrl+shift+z", "redo", "Redo", id="steps.redo"),
        Binding("ctrl+s", "save", "Save steps", id="steps.save"),
        Binding("alt+left,ctrl+shift+left", "focus_step(-1)", "Previous step", show=False,
                id="steps.previous"),
        Binding("alt+right,ctrl+shift+right", "focus_step(1)", "Next step", show=False,
                id="steps.next"),
    ),
    # A step's editor: TextArea's undo/redo keys are hidden; these (the panel's stack, same ids:
    # one keymap entry moves both) show on the key bar.
    "step_editor": (
        Binding("ctrl+z", "undo", "Undo", id="steps.undo"),
        Binding("ctrl+y", "redo", "Redo", id="steps.redo"),
    ),
    "history": (
        Binding("slash,ctrl+k", "focus_search", "Search", id="history.search"),
        Binding("space", "toggle_mark", "Select", id="history.mark"),
        Binding("ctrl+o", "open", "Open", id="history.open"),
        Binding("ctrl+r", "rerun", "Re-run", id="history.rerun"),
        Binding("ctrl+d,delete", "delete", "Delete", id="history.delete"),
        Binding("ctrl+s", "export", "Export", id="history.export"),
    ),
    "models": (
        Binding("ctrl+r", "refresh", "Refresh", id="models.refresh"),
        Binding("ctrl+l", "focus_pull", "Pull…", id="models.pull"),
        Binding("escape", "cancel_pull", "Cancel pull", id="models.cancel_pull"),
    ),
    "settings": (
        Binding("escape", "close", "Close", id="settings.close"),
        Binding("ctrl+s", "save", "Save", id="settings.save"),
    ),
    "help": (Binding("escape,f1,q", "dismiss", "Close", id="help.close"),),
    "confirm": (
        Binding("escape,n", "answer(False)", "Cancel", id="confirm.no"),
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
    ),
    "export": (Binding("escape", "cancel", "Cancel", id="export.cancel"),),
}

# Scopes whose keys a user may rebind in the keymap (the dialogs keep theirs).
REBINDABLE = ("app", "solve", "steps", "history", "models")


def bindings(scope: str) -> list[BindingType]:
    """A class's BINDINGS: a fresh list, so a subclass may extend it."""
    return list(TABLE[scope])


def by_id(*scopes: str) -> dict[str, Binding]:
    """The bindings of the given scopes (all when none), by id; the first scope named wins."""
    found: dict[str, Binding] = {}
    for scope in scopes or tuple(TABLE):
        for binding in TABLE[scope]:
            if binding.id:
                found.setdefault(binding.id, binding)
    return found


def known_binding_ids() -> dict[str, str]:
    """Every id a keymap may rebind, with its default keys."""
    return {name: binding.key for name, binding in by_id(*REBINDABLE).items()}
