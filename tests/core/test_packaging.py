"""A non-editable install carries the prompts: build the wheel and use it from a clean path."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_ships_prompts_and_they_load(tmp_path: Path):
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    wheel = next(tmp_path.glob("tot_tui-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    from tot_tui.tutor.prompts import PROMPT_NAMES

    for prompt in PROMPT_NAMES:
        assert f"tot_tui/_prompts/{prompt}.txt" in names
    for preset in ("tot-paper", "tot-traces"):  # the papers' prompts, verbatim
        for prompt in ("teacher", "student_steps", "baseline"):
            assert f"tot_tui/_prompts/presets/{preset}/{prompt}.txt" in names
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    code = ("import tot_tui, sys; from tot_tui.tutor.prompts import load_prompt, "
            "shipped_prompts_dir; p = load_prompt('teacher'); "
            "assert str(shipped_prompts_dir()).startswith(sys.argv[1]), shipped_prompts_dir(); "
            "print(p.name, tot_tui.__file__)")
    run = subprocess.run([sys.executable, "-I", "-c",
                          f"import sys; sys.path.insert(0, {str(unpacked)!r}); " + code,
                          str(unpacked)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("teacher ")
