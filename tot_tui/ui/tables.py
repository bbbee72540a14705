"""Tables that fit the terminal: one flexible column takes what the others leave."""

from __future__ import annotations

from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey


def fit_column(table: DataTable, key: str, width: int, minimum: int = 10) -> None:
    """Size column `key` so the table is `width` cells wide (each column also has one cell of
    padding on either side), never below `minimum`."""
    column = table.columns.get(ColumnKey(key))
    if column is None:
        return
    others = sum(c.width + 2 for k, c in table.columns.items() if k.value != key)
    fitted = max(minimum, width - others - 2)
    if column.width != fitted:
        column.width = fitted
        table.refresh(layout=True)
