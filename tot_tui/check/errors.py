"""The one exception type the pipeline raises internally; it carries a POLICY S5 reason code."""

from __future__ import annotations


class CheckError(Exception):
    """Raised anywhere in the pipeline; caught once in `core.check_in_process`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
