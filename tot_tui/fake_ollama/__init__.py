"""A fake Ollama server for tests and GPU-less demos: Ollama's REST API over real HTTP.

    from tot_tui.fake_ollama import FakeOllama, Reply

    with FakeOllama() as fake:               # or `async with`, or fake.start() / fake.stop()
        fake.add_model("qwen2.5:7b", family="qwen2", parameter_size="7.6B")
        fake.reply("qwen2.5:7b", Reply(text="Final answer: 18"), when="Janet")
        client = ollama.AsyncClient(host=fake.url)

Scripting: `fake.reply(model, Reply | str | callable(body) -> Reply | str, when=substring |
predicate, times=N)`; newest rule first, first match wins; `model=None` scripts every model.
Faults: Reply(http_error=..., error_after=..., disconnect_after=..., stall_after=...,
load_delay=..., first_token_delay=..., chunk_delay=...); `fake.load_delay` is a server-wide
cold-load time, `fake.unload(model)` makes a model cold again. Observation: `fake.requests`,
`fake.active_streams`, `fake.max_concurrent`, `fake.wait_idle()`, `fake.is_loaded()`.
Unknown models answer 404 `model_not_found(name)`, Ollama 0.12's wording.

Endpoints: / (GET, HEAD), /api/version, /api/tags, /api/show, /api/ps, /api/chat,
/api/generate, /api/pull, /api/delete. `python -m tot_tui.fake_ollama` serves the demo brain
(see demo.py); `install_demo(fake)` installs the same brain in a test server.
"""

from .demo import DemoBrain, DemoProblem, Scenario, install_demo
from .models import ModelInfo
from .reply import Reply, Rule, last_user_text, tokenize
from .server import VERSION, FakeOllama, RecordedRequest, model_not_found

__all__ = [
    "VERSION",
    "DemoBrain",
    "DemoProblem",
    "FakeOllama",
    "ModelInfo",
    "RecordedRequest",
    "Reply",
    "Rule",
    "Scenario",
    "install_demo",
    "last_user_text",
    "model_not_found",
    "tokenize",
]
