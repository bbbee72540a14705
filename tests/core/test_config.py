"""Settings: file, environment and flags, in that order; prompts overridable from the config dir."""

from __future__ import annotations

import pytest

from tot_tui.config import DEFAULT_STUDENT, DEFAULT_TEACHER, ConfigError, load_config
from tot_tui.tutor.prompts import PROMPT_NAMES, load_prompt


def test_defaults_and_ollama_host(monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", "0.0.0.0:11500")
    cfg = load_config()
    assert cfg.model("teacher") == DEFAULT_TEACHER and cfg.model("student") == DEFAULT_STUDENT
    assert cfg.host("teacher") == cfg.host("student") == "http://127.0.0.1:11500"


def test_role_hosts_and_models_from_env_file_and_flags(monkeypatch, isolated):
    config_dir = isolated / "config"
    config_dir.mkdir()
    (config_dir / "config.toml").write_text(
        '# my settings\nteacher_model = "from-file:7b"  # keep this comment\n'
        'student_host = "gpu-box:11434"\n')
    monkeypatch.setenv("TOT_TUI_TEACHER_HOST", "http://teacher.example:1234")
    monkeypatch.setenv("TOT_TUI_STUDENT", "env-student:1b")
    cfg = load_config()
    assert cfg.host("teacher") == "http://teacher.example:1234"
    assert cfg.host("student") == "http://gpu-box:11434"
    assert cfg.model("teacher") == "from-file:7b" and cfg.model("student") == "env-student:1b"
    flagged = load_config(overrides={"teacher_model": "flag:70b", "student_host": "other:9"})
    assert flagged.model("teacher") == "flag:70b" and flagged.host("student") == "http://other:9"


def test_save_keeps_comments(isolated):
    config_dir = isolated / "config"
    config_dir.mkdir()
    path = config_dir / "config.toml"
    path.write_text('# my settings\nteacher_model = "a:1b"  # keep this comment\n')
    cfg = load_config()
    cfg.save(student_model="b:2b", theme="nord")
    text = path.read_text()
    assert "# my settings" in text and "# keep this comment" in text
    again = load_config()
    assert (again.model("student"), again.settings.theme) == ("b:2b", "nord")


def test_bad_config_file_is_a_clear_error(isolated):
    config_dir = isolated / "config"
    config_dir.mkdir()
    (config_dir / "config.toml").write_text("teacher_temperature = 9\nbogus = 1\n")
    with pytest.raises(ConfigError) as err:
        load_config()
    assert "config.toml" in str(err.value) and "bogus" in str(err.value)
    (config_dir / "config.toml").write_text("teacher_model = [unclosed\n")
    with pytest.raises(ConfigError, match="Cannot read"):
        load_config()


def test_prompts_ship_and_can_be_overridden(isolated):
    cfg = load_config()
    for name in PROMPT_NAMES:
        prompt = load_prompt(name, cfg.paths.prompts_dir)
        assert "{problem}" in prompt.user and len(prompt.hash) == 12
    teacher = load_prompt("teacher", cfg.paths.prompts_dir)
    assert teacher.system and "never state the final answer" in teacher.system.lower()
    cfg.paths.prompts_dir.mkdir(parents=True)
    (cfg.paths.prompts_dir / "teacher.txt").write_text("Steps for: {problem} {not_a_name}")
    custom = load_prompt("teacher", cfg.paths.prompts_dir)
    assert custom.hash != teacher.hash and custom.source.parent == cfg.paths.prompts_dir
    messages = custom.messages(problem="2+2 {steps}")
    assert messages == [{"role": "user", "content": "Steps for: 2+2 {steps} {not_a_name}"}]


def test_a_malformed_host_is_a_config_error(monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", "localhost:abc")
    with pytest.raises(ConfigError, match="OLLAMA_HOST"):
        load_config()


def test_unvalidated_load_skips_pydantic_and_validates_later(isolated):
    import subprocess
    import sys

    config_dir = isolated / "config"
    config_dir.mkdir()
    (config_dir / "config.toml").write_text(
        'teacher_temperature = 9\nstudent_temperature = 1\nbogus = 1\ntheme = ["x"]\n'
        'student_model = " small:1b "\nnum_ctx = 8192\nkeymap = { "solve.solve" = 5 }\n')
    code = ("import sys; from tot_tui.config import load_config; "
            "c = load_config(validate=False); c.first_paint('theme'); c.first_paint('keymap'); "
            "print('pydantic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
    cfg = load_config(validate=False)
    assert not cfg.validated
    # The first frame gets the defaults where the file's value has the wrong shape.
    assert cfg.first_paint("theme") == "textual-dark" and cfg.first_paint("keymap") == {}
    with pytest.raises(KeyError):  # anything else waits for pydantic
        cfg.first_paint("teacher_temperature")
    message = cfg.validate()
    assert message is not None and "config.toml" in message
    for key in ("bogus", "teacher_temperature", "theme", "keymap"):
        assert key in message
    s = cfg.settings
    assert (s.teacher_temperature, s.num_ctx, s.student_model) == (0.2, 8192, "small:1b")
    assert s.student_temperature == 1.0 and isinstance(s.student_temperature, float)
    assert cfg.validate() is None  # said once
    (config_dir / "config.toml").write_text('teacher_model = " t:7b"\ntheme = "nord"\n')
    good = load_config(validate=False)
    assert good.first_paint("theme") == "nord"
    # Reading a setting validates on demand (the app's thread may not have run yet).
    assert good.model("teacher") == "t:7b" and good.validated and good.validate() is None


def test_a_malformed_host_in_the_file_is_pydantics_to_report(isolated):
    config_dir = isolated / "config"
    config_dir.mkdir()
    (config_dir / "config.toml").write_text('student_host = "gpu:port"\n')
    with pytest.raises(ConfigError, match="student_host"):
        load_config()
    cfg = load_config(validate=False)
    message = cfg.validate()
    assert message is not None and "student_host" in message
    assert cfg.settings.student_host is None  # the bad key is at its default
    assert cfg.host("student") == cfg.host("teacher")


def test_save_validates_before_writing(isolated):
    cfg = load_config()
    with pytest.raises(ConfigError, match="teacher_temperature"):
        cfg.save(teacher_temperature=5.0, theme="nord")
    assert cfg.settings.teacher_temperature == 0.2 and cfg.settings.theme == "textual-dark"
    assert not cfg.paths.config_file.exists()
    with pytest.raises(ConfigError, match="teacher_model"):
        cfg.save(teacher_model="   ")
    cfg.settings.stall_timeout = 2.0  # plain assignment still works
    cfg.save(student_model=" b:2b ")
    assert cfg.settings.student_model == "b:2b" and 'student_model = "b:2b"' in \
        cfg.paths.config_file.read_text()


def test_a_prompt_override_without_its_placeholders_is_refused(isolated):
    from tot_tui.tutor.prompts import PromptError

    cfg = load_config()
    cfg.paths.prompts_dir.mkdir(parents=True)
    (cfg.paths.prompts_dir / "student_steps.txt").write_text("Solve: {problem}\n")
    with pytest.raises(PromptError, match=r"student_steps.txt has no \{steps\}"):
        load_prompt("student_steps", cfg.paths.prompts_dir)
    (cfg.paths.prompts_dir / "baseline.txt").write_text("### system\nBe brief.\n### user\nHi\n")
    with pytest.raises(PromptError, match=r"baseline.txt has no \{problem\}"):
        load_prompt("baseline", cfg.paths.prompts_dir)


def test_eval_refuses_a_prompt_override_without_steps(fake, monkeypatch, isolated):
    import subprocess
    import sys

    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    cfg = load_config()
    cfg.paths.prompts_dir.mkdir(parents=True)
    (cfg.paths.prompts_dir / "student_steps.txt").write_text("Solve: {problem}\n")
    proc = subprocess.run([sys.executable, "-m", "tot_tui", "eval", "--limit", "2"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "student_steps.txt has no {steps}" in proc.stderr and not fake.requests


def test_each_host_says_where_it_came_from(monkeypatch, isolated):
    import subprocess
    import sys

    config_dir = isolated / "config"
    config_dir.mkdir()
    (config_dir / "config.toml").write_text('student_host = "gpu-box:11434"\n')
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:11500")
    cfg = load_config()
    assert cfg.host_source("student") == f"student_host in {cfg.paths.config_file}"
    assert cfg.host_source("teacher") == "OLLAMA_HOST"
    assert load_config(overrides={"host": "x:1"}).host_source("teacher") == "--host"
    out = subprocess.run([sys.executable, "-m", "tot_tui", "locate"], capture_output=True,
                         text=True, check=True).stdout
    assert "http://gpu-box:11434 (from student_host in" in out
    assert "http://127.0.0.1:11500 (from OLLAMA_HOST)" in out
