"""`tot-tui eval` against a real Ollama server (TOT_TUI_LIVE=1, OLLAMA_HOST; models from
LIVE_TOT_TUI_TEACHER / LIVE_TOT_TUI_STUDENT or the defaults)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.live


def test_live_eval_three_gsm8k_items(live_host, monkeypatch, tmp_path):
    monkeypatch.setenv("OLLAMA_HOST", live_host)
    for var in ("TOT_TUI_TEACHER", "TOT_TUI_STUDENT"):
        if os.environ.get(f"LIVE_{var}"):
            monkeypatch.setenv(var, os.environ[f"LIVE_{var}"])
    proc = subprocess.run(
        [sys.executable, "-m", "tot_tui", "eval", "--dataset", "gsm8k", "--limit", "3",
         "--modes", "baseline,tot", "--json", "-j", "2", "--output", str(tmp_path)],
        capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["complete"] and report["items"] == 3
    for r in report["results"]:
        assert r["total"] == 3 and 0 <= r["correct"] <= 3
        assert r["ci_low"] <= r["accuracy"] <= r["ci_high"]
        assert r["output_tokens"] > 0
    assert report["teacher"]["steps_new"] + report["teacher"]["steps_reused"] == 3
    assert (tmp_path / "report.md").exists() and (tmp_path / "accuracy.svg").exists()
