"""Keep the light path light: the first screen paints before sympy, sqlmodel or ollama load."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

# pylatexenc: math is rendered (tot_tui.mathtext) only once there is math to show.
HEAVY = ("sympy", "sqlmodel", "sqlalchemy", "ollama", "httpx", "pylatexenc")


def run_fresh(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_app_and_the_cli_stays_light():
    loaded = run_fresh(f"""
        import json, sys
        import tot_tui.ui.app, tot_tui.cli
        print(json.dumps({{"heavy": [m for m in {HEAVY!r} if m in sys.modules]}}))
    """)
    assert loaded["heavy"] == []


def test_first_screen_paints_before_heavy_imports(tmp_path):
    # The real app and its real Tutor, no server: at the first paint (when the app schedules
    # its after-paint work) nothing heavy may be loaded yet.
    result = run_fresh(f"""
        import asyncio, json, os, sys
        os.environ["TOT_TUI_CONFIG_DIR"] = {str(tmp_path / "config")!r}
        os.environ["TOT_TUI_DATA_DIR"] = {str(tmp_path / "data")!r}
        os.environ["OLLAMA_HOST"] = "http://127.0.0.1:9"
        from tot_tui.config import load_config
        from tot_tui.ui.app import TotApp

        seen = {{}}

        class Probe(TotApp):
            def _after_first_paint(self):
                seen["heavy"] = [m for m in {HEAVY!r} if m in sys.modules]
                seen["screen"] = type(self.screen).__name__
                seen["painted"] = bool(self.screen.query_one("#problem").region)
                super()._after_first_paint()

        async def main():
            app = Probe(load_config())
            async with app.run_test(size=(120, 36)) as pilot:
                await pilot.pause()
                await app.workers.wait_for_complete()
                seen["later"] = sorted(m for m in {HEAVY!r} if m in sys.modules)

        asyncio.run(main())
        print(json.dumps(seen))
    """)
    assert result["screen"] == "SolveScreen" and result["painted"]
    assert result["heavy"] == []
    # After the first paint the workers open the database and the client, off the event loop.
    assert "sqlmodel" in result["later"] and "ollama" in result["later"]
