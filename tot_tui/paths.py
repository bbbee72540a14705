"""Where tot-tui keeps the user's files: platformdirs locations, overridable by flag and env."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "tot-tui"
CONFIG_FILE = "config.toml"
DB_FILE = "history.sqlite3"


@dataclass(frozen=True, slots=True)
class Paths:
    config_dir: Path
    data_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / CONFIG_FILE

    @property
    def database(self) -> Path:
        return self.data_dir / DB_FILE

    @property
    def prompts_dir(self) -> Path:
        """Prompt overrides: a file here replaces the shipped prompt of the same name."""
        return self.config_dir / "prompts"

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"


def resolve_paths(config_dir: str | os.PathLike[str] | None = None,
                  data_dir: str | os.PathLike[str] | None = None) -> Paths:
    """Flag first, then TOT_TUI_CONFIG_DIR / TOT_TUI_DATA_DIR, then platformdirs' user dirs."""
    import platformdirs  # light, but only needed here

    cfg = config_dir or os.environ.get("TOT_TUI_CONFIG_DIR") or platformdirs.user_config_dir(
        APP_NAME, appauthor=False)
    data = data_dir or os.environ.get("TOT_TUI_DATA_DIR") or platformdirs.user_data_dir(
        APP_NAME, appauthor=False)
    return Paths(Path(cfg).expanduser(), Path(data).expanduser())
