"""A fake Ollama server for tests and GPU-less demos.

    from tot_tui.fake_ollama import FakeOllama, Reply

    with FakeOllama() as fake:               # or `async with`, or fake.start()/fake.stop()
        fake.add_model("qwen2.5:7b", family="qwen2", parameter_size="7.6B")
        fake.reply("qwen2.5:7b", Reply(text="Final answer: 18"), when="Janet")
        client = ollama.Client(host=fake.url)

Endpoints: /, /api/version, /api/tags, /api/show, /api/ps, /api/chat, /api/generate,
/api/pull, /api/delete. `python -m tot_tui.fake_ollama` serves the demo brain (demo.py).
"""

from .models import ModelInfo
from .reply import Reply, Rule, tokenize
from .server import FakeOllama, RecordedRequest

__all__ = ["FakeOllama", "ModelInfo", "RecordedRequest", "Reply", "Rule", "tokenize"]
