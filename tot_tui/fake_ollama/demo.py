"""The demo brain: plausible teacher steps and student answers without any model weights.

Teacher requests (a `format` schema with a `steps` property, a "break this problem into
steps" prompt, or a scenario role) get `{"steps": [...]}`. A request for equations ("System of
linear equations") gets them in the Equation-of-Thought format, and one for a Python program a
short program, from either role. Student requests get a short worked
answer ending in "Final answer: N". Known problems (built-in GSM8K samples or a scenario file)
are answered correctly when the prompt carries numbered steps and, for some, wrongly without
them, so baseline-vs-steps comparisons show a difference. Everything is deterministic.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .models import normalize_name
from .reply import Reply, all_prompt_text, last_user_text
from .server import FakeOllama


@dataclass
class DemoProblem:
    question: str
    answer: str
    steps: list[str]
    baseline: str | None = None  # worked answer without steps; may be wrong on purpose
    solution: str | None = None  # worked answer when following the steps
    equations: str | None = None  # the problem as equations (EoT); else `ans = answer`
    program: str | None = None  # the problem as a program (PoT); else `ans = answer`


# The first GSM8K test problems (hand-written steps) plus a few simple ones.
BUILTIN_PROBLEMS: list[DemoProblem] = [
    DemoProblem(
        "Janet’s ducks lay 16 eggs per day. She eats three for breakfast every morning and "
        "bakes muffins for her friends every day with four. She sells the remainder at the "
        "farmers' market daily for $2 per fresh duck egg. How much in dollars does she make "
        "every day at the farmers' market?",
        "18",
        [
            "Start with the 16 eggs the ducks lay each day.",
            "Subtract the 3 eggs Janet eats for breakfast.",
            "Subtract the 4 eggs she uses for the muffins.",
            "Multiply the eggs that are left by the $2 price of one egg.",
            "The final answer is the number of dollars she makes each day.",
        ],
        baseline="The ducks lay 16 eggs. Janet eats 3 and bakes with 4.\n16 - 3 - 4 = 9\n"
        "She sells 9 eggs.\n\nFinal answer: 9",
        solution="1. The ducks lay 16 eggs.\n2. 16 - 3 = 13 eggs after breakfast.\n"
        "3. 13 - 4 = 9 eggs after the muffins.\n4. 9 × $2 = $18.\n"
        "5. She makes $18 every day.\n\nFinal answer: 18",
        equations="% The ducks lay 16 eggs per day\neggs_laid = 16\n% She eats 3 for "
        "breakfast and bakes with 4\neggs_left = eggs_laid - 3 - 4\n% Each egg sells for 2 "
        "dollars\nprice = 2\n% The answer is what she makes at the market\n"
        "ans = eggs_left * price",
        program="```python\neggs_laid = 16\neaten = 3\nbaked = 4\nprice = 2\n"
        "eggs_left = eggs_laid - eaten - baked\nans = eggs_left * price\n```",
    ),
    DemoProblem(
        "A robe takes 2 bolts of blue fiber and half that much white fiber.  How many bolts in "
        "total does it take?",
        "3",
        [
            "Take the 2 bolts of blue fiber.",
            "Find the white fiber: it is half of the 2 bolts of blue fiber.",
            "Add the blue bolts and the white bolts.",
            "The final answer is the total number of bolts.",
        ],
        baseline="Blue fiber: 2 bolts. White fiber: half of 2 = 1 bolt.\n2 + 1 = 3\n\n"
        "Final answer: 3",
        solution="1. Blue: 2 bolts.\n2. White: 2 / 2 = 1 bolt.\n3. 2 + 1 = 3 bolts.\n"
        "4. The robe takes 3 bolts.\n\nFinal answer: 3",
    ),
    DemoProblem(
        "Josh decides to try flipping a house.  He buys a house for $80,000 and then puts in "
        "$50,000 in repairs.  This increased the value of the house by 150%.  How much profit "
        "did he make?",
        "70000",
        [
            "Add the $80,000 price and the $50,000 of repairs to get what Josh spent.",
            "Find 150% of the $80,000 price; this is how much the value went up.",
            "Add that increase to the $80,000 to get the new value of the house.",
            "Subtract what Josh spent from the new value.",
            "The final answer is his profit in dollars.",
        ],
        baseline="The value went up by 150%: 80,000 × 1.5 = 120,000.\n"
        "Profit = 120,000 - 80,000 - 50,000 = -10,000\n\nFinal answer: -10000",
        solution="1. Spent: 80,000 + 50,000 = 130,000.\n2. Increase: 1.5 × 80,000 = 120,000.\n"
        "3. New value: 80,000 + 120,000 = 200,000.\n4. 200,000 - 130,000 = 70,000.\n"
        "5. His profit is $70,000.\n\nFinal answer: 70000",
    ),
    DemoProblem(
        "James decides to run 3 sprints 3 times a week.  He runs 60 meters each sprint.  How "
        "many total meters does he run a week?",
        "540",
        [
            "Multiply the 3 sprints by the 60 meters of each sprint to get the meters per day.",
            "Multiply that by the 3 days he runs each week.",
            "The final answer is the total number of meters in a week.",
        ],
        baseline="He runs 3 sprints of 60 meters: 3 × 60 = 180 meters.\n\nFinal answer: 180",
        solution="1. 3 × 60 = 180 meters each day he runs.\n2. 180 × 3 = 540 meters.\n"
        "3. He runs 540 meters a week.\n\nFinal answer: 540",
    ),
    DemoProblem(
        "Every day, Wendi feeds each of her chickens three cups of mixed chicken feed, "
        "containing seeds, mealworms and vegetables to help keep them healthy.  She gives the "
        "chickens their feed in three separate meals. In the morning, she gives her flock of "
        "chickens 15 cups of feed.  In the afternoon, she gives her chickens another 25 cups of "
        "feed.  How many cups of feed does she need to give her chickens in the final meal of "
        "the day if the size of Wendi's flock is 20 chickens?",
        "20",
        [
            "Multiply the 20 chickens by the 3 cups each one eats per day to get the daily feed.",
            "Add the 15 cups of the morning and the 25 cups of the afternoon.",
            "Subtract the cups already given from the daily feed.",
            "The final answer is the number of cups for the final meal.",
        ],
        baseline="20 chickens × 3 cups = 60 cups a day.\nShe already gave 15 + 25 = 40 cups.\n"
        "60 - 40 = 20\n\nFinal answer: 20",
        solution="1. 20 × 3 = 60 cups a day.\n2. 15 + 25 = 40 cups so far.\n"
        "3. 60 - 40 = 20 cups.\n4. The final meal needs 20 cups.\n\nFinal answer: 20",
    ),
    DemoProblem(
        "Kylar went to the store to buy glasses for his new apartment. One glass costs $5, but "
        "every second glass costs only 60% of the price. Kylar wants to buy 16 glasses. How "
        "much does he need to pay for them?",
        "64",
        [
            "Find the price of a cheaper glass: 60% of $5.",
            "Every second glass is cheaper, so split the 16 glasses into two equal groups.",
            "Multiply the full-price group by $5.",
            "Multiply the cheaper group by the cheaper price.",
            "Add the two amounts.",
            "The final answer is what Kylar pays in dollars.",
        ],
        baseline="16 glasses × $5 = $80.\n\nFinal answer: 80",
        solution="1. 0.6 × 5 = $3.\n2. 16 / 2 = 8 glasses in each group.\n3. 8 × 5 = $40.\n"
        "4. 8 × 3 = $24.\n5. 40 + 24 = $64.\n6. Kylar pays $64.\n\nFinal answer: 64",
    ),
    DemoProblem(
        "Toulouse has twice as many sheep as Charleston. Charleston has 4 times as many sheep "
        "as Seattle. How many sheep do Toulouse, Charleston, and Seattle have together if "
        "Seattle has 20 sheep?",
        "260",
        [
            "Start from Seattle's 20 sheep.",
            "Multiply Seattle's sheep by 4 to get Charleston's sheep.",
            "Multiply Charleston's sheep by 2 to get Toulouse's sheep.",
            "Add the sheep of all three cities.",
            "The final answer is the total number of sheep.",
        ],
        baseline="Charleston: 4 × 20 = 80. Toulouse: 2 × 80 = 160.\n\nFinal answer: 160",
        solution="1. Seattle has 20.\n2. Charleston: 4 × 20 = 80.\n3. Toulouse: 2 × 80 = 160.\n"
        "4. 20 + 80 + 160 = 260.\n5. They have 260 sheep.\n\nFinal answer: 260",
    ),
    DemoProblem(
        "Carla is downloading a 200 GB file. Normally she can download 2 GB/minute, but 40% of "
        "the way through the download, Windows forces a restart to install updates, which takes "
        "20 minutes. Then Carla has to restart the download from the beginning. How load does it "
        "take to download the file?",
        "160",
        [
            "Find 40% of the 200 GB file: the part downloaded before the restart.",
            "Divide that part by the 2 GB per minute to get the minutes before the restart.",
            "Divide the full 200 GB by 2 GB per minute to get the minutes for the second try.",
            "Add those two times and the 20 minutes of updates.",
            "The final answer is the total time in minutes.",
        ],
        baseline="200 GB / 2 GB per minute = 100 minutes.\nPlus the 20 minute restart: "
        "100 + 20 = 120.\n\nFinal answer: 120",
        solution="1. 0.4 × 200 = 80 GB.\n2. 80 / 2 = 40 minutes.\n3. 200 / 2 = 100 minutes.\n"
        "4. 40 + 100 + 20 = 160 minutes.\n5. It takes 160 minutes.\n\nFinal answer: 160",
    ),
    DemoProblem(
        "Tom has 12 marbles. He gives 5 marbles to his sister and then buys 8 more. How many "
        "marbles does Tom have now?",
        "15",
        [
            "Start with Tom's 12 marbles.",
            "Subtract the 5 marbles he gives to his sister.",
            "Add the 8 marbles he buys.",
            "The final answer is how many marbles Tom has now.",
        ],
        baseline="12 + 5 + 8 = 25\n\nFinal answer: 25",
        solution="1. Tom has 12.\n2. 12 - 5 = 7.\n3. 7 + 8 = 15.\n4. Tom has 15 marbles.\n\n"
        "Final answer: 15",
    ),
    DemoProblem(
        "A baker makes 4 trays of cookies with 9 cookies on each tray. She sells 30 cookies. "
        "How many cookies are left?",
        "6",
        [
            "Multiply the 4 trays by the 9 cookies on each tray.",
            "Subtract the 30 cookies she sells.",
            "The final answer is the number of cookies left.",
        ],
        baseline="4 × 9 = 36 cookies. 36 - 30 = 6.\n\nFinal answer: 6",
        solution="1. 4 × 9 = 36 cookies.\n2. 36 - 30 = 6.\n3. 6 cookies are left.\n\n"
        "Final answer: 6",
    ),
    DemoProblem(
        "A train travels at 60 miles per hour for 2.5 hours. How many miles does it travel?",
        "150",
        [
            "Multiply the speed of 60 miles per hour by the 2.5 hours.",
            "The final answer is the distance in miles.",
        ],
        baseline="Distance = 60 × 2.5 = 150 miles.\n\nFinal answer: 150",
        solution="1. 60 × 2.5 = 150.\n2. The train travels 150 miles.\n\nFinal answer: 150",
    ),
]

# name, family, parameter size, quantization, bytes, context length
DEMO_MODELS: list[tuple[str, str, str, str, int, int]] = [
    ("qwen2.5:7b", "qwen2", "7.6B", "Q4_K_M", 4_683_087_332, 32768),
    ("llama3.2:1b", "llama", "1.2B", "Q8_0", 1_321_098_329, 131072),
    ("qwen2.5:1.5b", "qwen2", "1.5B", "Q4_K_M", 986_061_892, 32768),
]
DEMO_PULLABLE: tuple[str, str, str, str, int, int] = (
    "llama3.2:3b", "llama", "3.2B", "Q4_K_M", 2_019_393_189, 131072,
)


@dataclass
class Scenario:
    problems: list[DemoProblem] = field(default_factory=lambda: list(BUILTIN_PROBLEMS))
    roles: dict[str, str] = field(default_factory=dict)  # model name -> "teacher" | "student"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scenario:
        """{"roles": {model: role}, "problems": [{question, answer, steps, baseline?,
        solution?}], "replace_builtin": false}"""
        problems = [
            DemoProblem(
                question=str(p["question"]),
                answer=str(p["answer"]),
                steps=[str(s) for s in p.get("steps", [])],
                baseline=p.get("baseline"),
                solution=p.get("solution"),
                equations=p.get("equations"),
                program=p.get("program"),
            )
            for p in data.get("problems", [])
        ]
        if not data.get("replace_builtin", False):
            problems += BUILTIN_PROBLEMS
        roles = {normalize_name(k): str(v).lower() for k, v in data.get("roles", {}).items()}
        return cls(problems=problems, roles=roles)

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


_NUMBERED_LINE = re.compile(r"^\s*(?:step\s*)?\d+\s*[.):]\s+\S", re.IGNORECASE | re.MULTILINE)
_NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?")
# "Break this problem into steps", "Do not solve it" (the teacher prompt), not "breakfast".
_TEACHER_PROMPT = re.compile(
    r"\b(?:break|split|decompose)\b[^.]{0,40}\binto\b[^.]{0,30}\bsteps\b|\bdo not solve\b"
)
_STEP_VERB = re.compile(
    r"^\s*(?:step\s*)?\d+\s*[.):]\s*(multiply|subtract|divide|add|sum)", re.MULTILINE
)
_VERB_OPS = {"multiply": "multiply", "subtract": "subtract", "divide": "divide", "add": "add",
             "sum": "add"}
_WORD_NUMBERS = {"twice": "2", "half": "0.5", "double": "2", "triple": "3"}


def _normalize(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).strip().lower()


def _fmt(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.quantize(Decimal("0.01")).normalize(), "f")


class DemoBrain:
    """A reply factory for every model: `fake.reply(None, DemoBrain(...))`."""

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        chunk_delay: float = 0.0,
        load_delay: float = 0.0,
    ) -> None:
        self.scenario = scenario or Scenario()
        self.chunk_delay = chunk_delay
        self.load_delay = load_delay

    def __call__(self, req: dict[str, Any]) -> Reply:
        asked = last_user_text(req).lower()
        if "system of linear equations" in asked:
            text = self.written_as(req, "equations")
        elif "python program" in asked:
            text = self.written_as(req, "program")
        else:
            text = self.teacher_text(req) if self.is_teacher(req) else self.student_text(req)
        return Reply(text=text, chunk_delay=self.chunk_delay, load_delay=self.load_delay)

    # ---- roles -----------------------------------------------------------------------------

    def is_teacher(self, req: dict[str, Any]) -> bool:
        role = self.scenario.roles.get(normalize_name(str(req.get("model", ""))))
        if role in ("teacher", "student"):
            return role == "teacher"
        fmt = req.get("format")
        if isinstance(fmt, dict) and "steps" in (fmt.get("properties") or {}):
            return True
        return bool(_TEACHER_PROMPT.search(_normalize(all_prompt_text(req))))

    def find_problem(self, text: str) -> DemoProblem | None:
        haystack = _normalize(text)
        for problem in self.scenario.problems:
            key = _normalize(problem.question)
            if key[:60] in haystack:
                return problem
        return None

    # ---- teacher ---------------------------------------------------------------------------

    def teacher_text(self, req: dict[str, Any]) -> str:
        user = last_user_text(req)
        problem = self.find_problem(user)
        steps = problem.steps if problem and problem.steps else self.invent_steps(user)
        return json.dumps({"steps": steps}, ensure_ascii=False)

    def invent_steps(self, user_text: str) -> list[str]:
        """4-6 instruction steps from the problem's sentences and numbers; no arithmetic."""
        problem = user_text.split("Problem:", 1)[-1].strip() or user_text.strip()
        sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", problem) if s.strip()]
        question = next((s for s in reversed(sentences) if s.endswith("?")), None)
        facts = [s for s in sentences if s != question and re.search(r"\d", s)]
        numbers = _NUMBER.findall(problem)
        steps: list[str] = []
        if numbers:
            steps.append(f"Write down the numbers given in the problem: {', '.join(numbers)}.")
        steps += [f'Turn this fact into a number sentence: "{fact}"' for fact in facts[:3]]
        steps.append(
            "Decide whether these quantities should be added, subtracted, multiplied or "
            "divided, and do that calculation."
        )
        if len(steps) < 4:
            steps.append("Check each calculation once more.")
        if len(steps) < 4:
            steps.append("Make sure the result has the units the question asks for.")
        steps = steps[:5]
        if question:
            steps.append(f'The final answer is what the question asks: "{question}"')
        else:
            steps.append("The final answer is the quantity the problem asks for.")
        return steps

    # ---- equations and programs --------------------------------------------------------

    def written_as(self, req: dict[str, Any], kind: str) -> str:
        """A known problem's equations or program (or one line giving its answer); for an
        unknown one, its numbers combined the way the demo student would."""
        user = last_user_text(req)
        problem = self.find_problem(user)
        if problem is not None:
            given = problem.equations if kind == "equations" else problem.program
            if given:
                return given
            return f"ans = {problem.answer}" if kind == "equations" else \
                f"```python\nans = {problem.answer}\n```"
        numbers = [n.replace(",", "") for n in _NUMBER.findall(user)][:6]
        if not numbers:
            return "% There are no numbers in the problem\nans = 0"
        op = {"multiply": " * ", "subtract": " - ", "divide": " / "}.get(
            self._operation(user.lower()) or "add", " + ")
        names = [f"n{i}" for i in range(1, len(numbers) + 1)]
        lines = [f"{name} = {value}" for name, value in zip(names, numbers, strict=True)]
        if kind == "equations":
            return "% The numbers given in the problem\n" + "\n".join(lines) + \
                f"\n% The answer combines them\nans = {op.join(names)}"
        return "```python\n" + "\n".join(lines) + f"\nans = {op.join(names)}\n```"

    # ---- student ---------------------------------------------------------------------------

    def student_text(self, req: dict[str, Any]) -> str:
        text = all_prompt_text(req)
        user = last_user_text(req)
        with_steps = len(_NUMBERED_LINE.findall(user)) >= 2
        problem = self.find_problem(user) or self.find_problem(text)
        if problem is not None:
            if with_steps:
                return problem.solution or self._follow(problem)
            return problem.baseline or problem.solution or self._follow(problem)
        return self._attempt(user, with_steps)

    @staticmethod
    def _follow(problem: DemoProblem) -> str:
        lines = [f"{i}. {step}" for i, step in enumerate(problem.steps, 1)]
        body = "\n".join(lines) or "I work through the problem."
        return f"Following the plan:\n{body}\n\nFinal answer: {problem.answer}"

    def _attempt(self, user: str, with_steps: bool) -> str:
        """A deterministic guess for unknown problems: one operation over all the numbers."""
        first_step = _NUMBERED_LINE.search(user)
        problem = user[: first_step.start()] if first_step else user
        steps_text = user[first_step.start() :].lower() if first_step else ""
        values: list[Decimal] = []
        for raw in _NUMBER.findall(problem):
            try:
                values.append(Decimal(raw.replace(",", "")))
            except InvalidOperation:
                continue
        lowered = problem.lower()
        for word, number in _WORD_NUMBERS.items():
            if re.search(rf"\b{word}\b", lowered):
                values.append(Decimal(number))
        if not values:
            return "I could not find any numbers in this problem, so I will guess.\n\n" \
                "Final answer: 0"
        # A step that starts with a verb ("3. Multiply ...") tells the student what to do.
        verb = _STEP_VERB.search(steps_text) if with_steps else None
        op = _VERB_OPS[verb.group(1)] if verb else self._operation(lowered) or "add"
        shown = ", ".join(_fmt(v) for v in values)
        if op == "multiply":
            result = Decimal(1)
            for v in values:
                result *= v
            work = " × ".join(_fmt(v) for v in values)
        elif op == "subtract":
            result = values[0] - sum(values[1:], Decimal(0))
            work = " - ".join(_fmt(v) for v in values)
        elif op == "divide" and len(values) >= 2 and values[1] != 0:
            result = values[0] / values[1]
            work = f"{_fmt(values[0])} / {_fmt(values[1])}"
        else:
            result = sum(values, Decimal(0))
            work = " + ".join(_fmt(v) for v in values)
        intro = "Following the steps," if with_steps else "Looking at the problem,"
        return (
            f"{intro} the numbers are {shown}.\n"
            f"{work} = {_fmt(result)}\n\nFinal answer: {_fmt(result)}"
        )

    @staticmethod
    def _operation(text: str) -> str | None:
        checks = [
            ("multiply", r"\bmultipl|\btimes\b|\beach\b|\bper\b|\bevery\b"),
            ("subtract", r"\bsubtract|\bleft\b|\bremain|\bfewer\b|\bless\b|\bgave\b|\bspent\b"),
            ("divide", r"\bdivide|\bsplit\b|\bshare|\bequally\b"),
            ("add", r"\badd\b|\btotal\b|\baltogether\b|\bsum\b|\bmore\b"),
        ]
        for op, pattern in checks:
            if re.search(pattern, text):
                return op
        return None


def install_demo(
    fake: FakeOllama,
    scenario: Scenario | None = None,
    *,
    chunk_delay: float = 0.0,
    load_delay: float = 0.0,
) -> DemoBrain:
    """Add the demo models (and pullable llama3.2:3b) and answer every model with the brain."""
    for name, family, params, quant, size, ctx in DEMO_MODELS:
        fake.add_model(
            name, family=family, parameter_size=params, quantization=quant, size=size,
            context_length=ctx,
        )
    name, family, params, quant, size, ctx = DEMO_PULLABLE
    fake.add_pullable(
        name, family=family, parameter_size=params, quantization=quant, size=size,
        context_length=ctx, steps=8, step_delay=0.25 if chunk_delay else 0.0,
    )
    brain = DemoBrain(scenario, chunk_delay=chunk_delay)
    fake.load_delay = load_delay  # also makes "load" (warm-up) requests take that long
    fake.reply(None, brain)
    return brain
