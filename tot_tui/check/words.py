"""Word lists shared by the normaliser, the extractor and the lexer (pure data)."""

from __future__ import annotations

UNITS_0_19 = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
SCALES = {"thousand": 3, "million": 6, "billion": 9, "trillion": 12}
NUMBER_WORDS = set(UNITS_0_19) | set(TENS) | set(SCALES) | {"hundred"}
SIGN_WORDS = {"negative", "minus"}
PERCENT_WORDS = {"percent", "pct"}

FUNCTIONS = {
    "sin", "cos", "tan", "sec", "csc", "cot", "arcsin", "arccos", "arctan", "sinh", "cosh",
    "tanh", "ln", "log", "exp", "sqrt", "abs",
}  # fmt: skip
CONSTANT_WORDS = {"pi", "infty", "infinity", "inf"}
CONNECTORS = {"and", "or"}

# Units recognised inside \text{...} even when the gold has free variables (R5.4), and attached
# directly to a number ("60km"). Other trailing words are units only when the gold is numeric.
UNIT_WORDS = {
    "dollar", "dollars", "cent", "cents", "usd", "euro", "euros", "pound", "pounds",
    "km", "m", "cm", "mm", "mi", "mile", "miles", "ft", "feet", "foot", "in", "inch", "inches",
    "yd", "yard", "yards", "meter", "meters", "metre", "metres", "kilometer", "kilometers",
    "centimeter", "centimeters", "millimeter", "millimeters", "kg", "g", "mg", "gram", "grams",
    "kilogram", "kilograms", "lb", "lbs", "oz", "ounce", "ounces", "ton", "tons", "l", "ml",
    "liter", "liters", "litre", "litres", "gallon", "gallons", "gal", "quart", "quarts", "cup",
    "cups", "s", "sec", "second", "seconds", "min", "mins", "minute", "minutes", "h", "hr", "hrs",
    "hour", "hours", "day", "days", "week", "weeks", "month", "months", "year", "years", "yr",
    "mph", "kph", "kmh", "degree", "degrees", "deg", "sq", "square", "cubic", "cu", "unit",
    "units", "per", "each",
}  # fmt: skip
# Single letters that are units only after a space or a slash ("5 m", "km/h").
UNIT_LETTERS = {"m", "g", "s", "h", "l", "L", "K", "C", "F"}

# Words that are never units (R5.3): constants, number/scale words, percent words.
NOT_UNITS = (
    CONSTANT_WORDS
    | NUMBER_WORDS
    | PERCENT_WORDS
    | SIGN_WORDS
    | CONNECTORS
    | FUNCTIONS
    | {"e", "i", "cent"}
)

# Short English words that must never be read as a product of single-letter symbols.
STOP_WORDS = {
    "so", "is", "the", "it", "of", "to", "we", "be", "by", "at", "as", "an", "on", "if", "he",
    "she", "his", "her", "has", "had", "was", "are", "get", "got", "let", "now", "can", "may",
    "our", "its", "you", "not", "but", "for", "yes", "no", "all", "any", "ans", "sum", "max",
    "min", "mod", "gcd", "lcm", "who", "why", "how", "use", "see", "thus", "and", "or", "do",
    "me", "my", "us", "one", "two", "six", "ten", "off", "out", "up", "new", "old", "way",
}  # fmt: skip
