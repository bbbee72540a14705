"""The tables: which LaTeX macro becomes which Unicode text, and how it is spaced.

One table per kind of thing, and nothing else here: the parser looks names up, the layout looks
glyphs up. Every output character is one terminal column wide (none is East Asian wide).
"""

from __future__ import annotations

from typing import Final

from tot_tui.mathtext.tree import Kind

# Greek letters (ordinary symbols).
GREEK: Final[dict[str, str]] = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "varpi": "ϖ", "rho": "ρ",
    "varrho": "ϱ", "sigma": "σ", "varsigma": "ς", "tau": "τ", "upsilon": "υ", "phi": "ϕ",
    "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
    "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}

# Argument-less macros that are one symbol, with their spacing class.
SYMBOLS: Final[dict[str, tuple[str, Kind]]] = {
    # ordinary symbols
    "infty": ("∞", Kind.ORD), "partial": ("∂", Kind.ORD), "nabla": ("∇", Kind.ORD),
    "angle": ("∠", Kind.ORD), "measuredangle": ("∡", Kind.ORD), "triangle": ("△", Kind.ORD),
    "emptyset": ("∅", Kind.ORD), "varnothing": ("∅", Kind.ORD), "forall": ("∀", Kind.ORD),
    "exists": ("∃", Kind.ORD), "nexists": ("∄", Kind.ORD), "neg": ("¬", Kind.ORD),
    "lnot": ("¬", Kind.ORD), "prime": ("′", Kind.ORD), "degree": ("°", Kind.ORD),
    "ldots": ("…", Kind.ORD), "dots": ("…", Kind.ORD), "cdots": ("…", Kind.ORD),
    "dotsb": ("…", Kind.ORD), "dotsc": ("…", Kind.ORD), "dotsm": ("…", Kind.ORD),
    "dotsi": ("…", Kind.ORD), "dotso": ("…", Kind.ORD), "vdots": ("⋮", Kind.ORD),
    "ddots": ("⋱", Kind.ORD), "hbar": ("ℏ", Kind.ORD), "ell": ("ℓ", Kind.ORD),
    "imath": ("ı", Kind.ORD), "jmath": ("ȷ", Kind.ORD), "aleph": ("ℵ", Kind.ORD),
    "Re": ("ℜ", Kind.ORD), "Im": ("ℑ", Kind.ORD), "wp": ("℘", Kind.ORD),
    "top": ("⊤", Kind.ORD), "bot": ("⊥", Kind.ORD), "checkmark": ("✓", Kind.ORD),
    "square": ("□", Kind.ORD), "Box": ("□", Kind.ORD), "blacksquare": ("■", Kind.ORD),
    "bigcirc": ("○", Kind.ORD), "clubsuit": ("♣", Kind.ORD), "spadesuit": ("♠", Kind.ORD),
    "heartsuit": ("♡", Kind.ORD), "diamondsuit": ("♢", Kind.ORD), "dagger": ("†", Kind.ORD),
    "ddagger": ("‡", Kind.ORD), "S": ("§", Kind.ORD), "P": ("¶", Kind.ORD),
    "backslash": ("\\", Kind.ORD), "vert": ("|", Kind.ORD), "Vert": ("‖", Kind.ORD),
    "|": ("‖", Kind.ORD), "%": ("%", Kind.ORD), "$": ("$", Kind.ORD), "&": ("&", Kind.ORD),
    "#": ("#", Kind.ORD), "_": ("_", Kind.ORD), "textdegree": ("°", Kind.ORD),
    "textasciitilde": ("~", Kind.ORD), "textbackslash": ("\\", Kind.ORD),
    "therefore": ("∴", Kind.REL), "because": ("∵", Kind.REL),
    # binary operators
    "times": ("×", Kind.BIN), "cdot": ("·", Kind.BIN), "div": ("÷", Kind.BIN),
    "pm": ("±", Kind.BIN), "mp": ("∓", Kind.BIN), "cup": ("∪", Kind.BIN),
    "cap": ("∩", Kind.BIN), "setminus": ("∖", Kind.BIN), "circ": ("∘", Kind.BIN),
    "ast": ("∗", Kind.BIN), "star": ("⋆", Kind.BIN), "bullet": ("•", Kind.BIN),
    "diamond": ("⋄", Kind.BIN), "oplus": ("⊕", Kind.BIN), "ominus": ("⊖", Kind.BIN),
    "otimes": ("⊗", Kind.BIN), "oslash": ("⊘", Kind.BIN), "odot": ("⊙", Kind.BIN),
    "wedge": ("∧", Kind.BIN), "land": ("∧", Kind.BIN), "vee": ("∨", Kind.BIN),
    "lor": ("∨", Kind.BIN), "sqcup": ("⊔", Kind.BIN), "sqcap": ("⊓", Kind.BIN),
    "uplus": ("⊎", Kind.BIN), "bmod": ("mod", Kind.BIN), "amalg": ("⨿", Kind.BIN),
    # relations
    "le": ("≤", Kind.REL), "leq": ("≤", Kind.REL), "leqslant": ("≤", Kind.REL),
    "ge": ("≥", Kind.REL), "geq": ("≥", Kind.REL), "geqslant": ("≥", Kind.REL),
    "lt": ("<", Kind.REL), "gt": (">", Kind.REL), "ne": ("≠", Kind.REL), "neq": ("≠", Kind.REL),
    "approx": ("≈", Kind.REL), "equiv": ("≡", Kind.REL), "sim": ("∼", Kind.REL),
    "simeq": ("≃", Kind.REL), "cong": ("≅", Kind.REL), "propto": ("∝", Kind.REL),
    "doteq": ("≐", Kind.REL), "asymp": ("≍", Kind.REL), "ll": ("≪", Kind.REL),
    "gg": ("≫", Kind.REL), "prec": ("≺", Kind.REL), "succ": ("≻", Kind.REL),
    "preceq": ("⪯", Kind.REL), "succeq": ("⪰", Kind.REL), "in": ("∈", Kind.REL),
    "notin": ("∉", Kind.REL), "ni": ("∋", Kind.REL), "subset": ("⊂", Kind.REL),
    "subseteq": ("⊆", Kind.REL), "subsetneq": ("⊊", Kind.REL), "supset": ("⊃", Kind.REL),
    "supseteq": ("⊇", Kind.REL), "nsubseteq": ("⊈", Kind.REL), "mid": ("|", Kind.REL),
    "nmid": ("∤", Kind.REL), "parallel": ("∥", Kind.REL), "perp": ("⊥", Kind.REL),
    "models": ("⊨", Kind.REL), "vdash": ("⊢", Kind.REL), "colon": (":", Kind.PUNCT),
    "to": ("→", Kind.REL), "rightarrow": ("→", Kind.REL), "longrightarrow": ("→", Kind.REL),
    "leftarrow": ("←", Kind.REL), "gets": ("←", Kind.REL), "longleftarrow": ("←", Kind.REL),
    "leftrightarrow": ("↔", Kind.REL), "Rightarrow": ("⇒", Kind.REL),
    "Longrightarrow": ("⇒", Kind.REL), "implies": ("⇒", Kind.REL), "Leftarrow": ("⇐", Kind.REL),
    "Longleftarrow": ("⇐", Kind.REL), "impliedby": ("⇐", Kind.REL),
    "Leftrightarrow": ("⇔", Kind.REL), "Longleftrightarrow": ("⇔", Kind.REL),
    "iff": ("⇔", Kind.REL), "mapsto": ("↦", Kind.REL), "uparrow": ("↑", Kind.REL),
    "downarrow": ("↓", Kind.REL), "nearrow": ("↗", Kind.REL), "searrow": ("↘", Kind.REL),
    "hookrightarrow": ("↪", Kind.REL), "rightleftharpoons": ("⇌", Kind.REL),
    "coloneqq": ("≔", Kind.REL),
    # delimiters
    "{": ("{", Kind.OPEN), "}": ("}", Kind.CLOSE), "lbrace": ("{", Kind.OPEN),
    "rbrace": ("}", Kind.CLOSE), "lbrack": ("[", Kind.OPEN), "rbrack": ("]", Kind.CLOSE),
    "langle": ("⟨", Kind.OPEN), "rangle": ("⟩", Kind.CLOSE), "lfloor": ("⌊", Kind.OPEN),
    "rfloor": ("⌋", Kind.CLOSE), "lceil": ("⌈", Kind.OPEN), "rceil": ("⌉", Kind.CLOSE),
    "lvert": ("|", Kind.OPEN), "rvert": ("|", Kind.CLOSE), "lVert": ("‖", Kind.OPEN),
    "rVert": ("‖", Kind.CLOSE),
}

# Large operators: (glyph, scripts go above and below in display math).
BIG_OPERATORS: Final[dict[str, tuple[str, bool]]] = {
    "sum": ("Σ", True), "prod": ("Π", True), "coprod": ("∐", True), "bigcup": ("⋃", True),
    "bigcap": ("⋂", True), "bigoplus": ("⊕", True), "bigotimes": ("⊗", True),
    "bigvee": ("⋁", True), "bigwedge": ("⋀", True), "int": ("∫", False),
    "iint": ("∬", False), "iiint": ("∭", False), "oint": ("∮", False),
}

# Named operators (upright names): (text, scripts go below in display math).
FUNCTIONS: Final[dict[str, tuple[str, bool]]] = {
    **{name: (name, False) for name in (
        "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "arccot",
        "arcsec", "arccsc", "sinh", "cosh", "tanh", "coth", "sech", "csch", "log", "ln", "lg",
        "exp", "det", "dim", "ker", "deg", "gcd", "lcm", "arg", "Pr", "hom", "sgn", "sign")},
    **{name: (name, True) for name in ("lim", "max", "min", "sup", "inf")},
    "liminf": ("lim inf", True), "limsup": ("lim sup", True),
}

# Explicit spacing: how many spaces each macro is (`\!` is none).
SPACES: Final[dict[str, str]] = {
    ",": " ", ":": " ", ">": " ", ";": " ", " ": " ", "thinspace": " ", "medspace": " ",
    "thickspace": " ", "enspace": " ", "quad": "  ", "qquad": "    ", "!": "",
    "negthinspace": "", "hfill": "  ", "\\": " ", "newline": " ", "cr": " ",
}

# Macros that print nothing and take no argument.
IGNORED: Final[frozenset[str]] = frozenset({
    "displaystyle", "textstyle", "scriptstyle", "scriptscriptstyle", "limits", "nolimits",
    "nonumber", "notag", "hline", "middle", "centering", "noindent", "strut", "relax",
    "allowbreak", "nobreak",
})

# Delimiter-size macros: they print the delimiter that follows, as written.
SIZERS: Final[dict[str, Kind | None]] = {
    **{name: None for name in ("big", "Big", "bigg", "Bigg")},
    **{name: Kind.OPEN for name in ("bigl", "Bigl", "biggl", "Biggl")},
    **{name: Kind.CLOSE for name in ("bigr", "Bigr", "biggr", "Biggr")},
    **{name: Kind.REL for name in ("bigm", "Bigm", "biggm", "Biggm")},
}

# Characters typed in math mode, by spacing class (anything else is ordinary).
CHAR_KINDS: Final[dict[str, tuple[str, Kind]]] = {
    "+": ("+", Kind.BIN), "-": ("−", Kind.BIN), "*": ("*", Kind.BIN),
    "=": ("=", Kind.REL), "<": ("<", Kind.REL), ">": (">", Kind.REL), ":": (":", Kind.REL),
    ",": (",", Kind.PUNCT), ";": (";", Kind.PUNCT),
    "(": ("(", Kind.OPEN), "[": ("[", Kind.OPEN), ")": (")", Kind.CLOSE), "]": ("]", Kind.CLOSE),
    "'": ("′", Kind.ORD),
    # Unicode typed directly
    "−": ("−", Kind.BIN), "×": ("×", Kind.BIN), "÷": ("÷", Kind.BIN), "±": ("±", Kind.BIN),
    "·": ("·", Kind.BIN), "∓": ("∓", Kind.BIN), "≤": ("≤", Kind.REL), "≥": ("≥", Kind.REL),
    "≠": ("≠", Kind.REL), "≈": ("≈", Kind.REL), "≡": ("≡", Kind.REL), "→": ("→", Kind.REL),
    "⇒": ("⇒", Kind.REL), "∈": ("∈", Kind.REL),
}

# `\not` followed by a relation.
NEGATIONS: Final[dict[str, str]] = {
    "=": "≠", "<": "≮", ">": "≯", "≤": "≰", "≥": "≱", "∈": "∉", "≡": "≢", "⊂": "⊄",
    "⊆": "⊈", "⊃": "⊅", "⊇": "⊉", "|": "∤", "∼": "≁", "≈": "≉", "≅": "≇", "∃": "∄",
    "∋": "∌", "∥": "∦",
}

# Accents, as the combining character put after every character of the argument.
ACCENTS: Final[dict[str, str]] = {
    "overline": "\u0305", "bar": "\u0304", "hat": "\u0302", "widehat": "\u0302",
    "tilde": "\u0303", "widetilde": "\u0303", "vec": "\u20d7", "overrightarrow": "\u20d7",
    "overleftrightarrow": "\u20e1", "overleftarrow": "\u20d6", "dot": "\u0307",
    "ddot": "\u0308", "check": "\u030c", "breve": "\u0306", "acute": "\u0301",
    "grave": "\u0300", "mathring": "\u030a", "underline": "\u0332", "cancel": "\u0336",
    "bcancel": "\u0336", "xcancel": "\u0336", "sout": "\u0336",
}

# Font macros whose argument is math (spaces ignored): the letters are printed plainly.
MATH_FONTS: Final[frozenset[str]] = frozenset({
    "mathrm", "mathbf", "mathit", "mathsf", "mathtt", "mathcal", "mathscr", "mathfrak",
    "mathnormal", "boldsymbol", "bm", "bold", "pmb", "mathup", "mathbfit",
})

# Macros whose argument is text (spaces kept).
TEXT_MACROS: Final[frozenset[str]] = frozenset({
    "text", "mbox", "hbox", "textrm", "textup", "textit", "textbf", "textsf", "texttt",
    "textnormal", "textsl", "textmd", "emph", "textsc",
})

# \mathbb letters with Unicode double-struck forms (the rest print plainly).
BLACKBOARD: Final[dict[str, str]] = {
    "C": "ℂ", "H": "ℍ", "N": "ℕ", "P": "ℙ", "Q": "ℚ", "R": "ℝ", "Z": "ℤ", "E": "𝔼",
    "1": "𝟙", "k": "𝕜",
}

SUPERSCRIPTS: Final[dict[str, str]] = {
    "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸",
    "9": "⁹", "+": "⁺", "−": "⁻", "=": "⁼", "(": "⁽", ")": "⁾",
    "a": "ᵃ", "b": "ᵇ", "c": "ᶜ", "d": "ᵈ", "e": "ᵉ", "f": "ᶠ", "g": "ᵍ", "h": "ʰ", "i": "ⁱ",
    "j": "ʲ", "k": "ᵏ", "l": "ˡ", "m": "ᵐ", "n": "ⁿ", "o": "ᵒ", "p": "ᵖ", "r": "ʳ", "s": "ˢ",
    "t": "ᵗ", "u": "ᵘ", "v": "ᵛ", "w": "ʷ", "x": "ˣ", "y": "ʸ", "z": "ᶻ",
    # already raised: a degree (90^\circ) and primes (f^\prime)
    "∘": "°", "°": "°", "′": "′", "″": "″",
}

SUBSCRIPTS: Final[dict[str, str]] = {
    "0": "₀", "1": "₁", "2": "₂", "3": "₃", "4": "₄", "5": "₅", "6": "₆", "7": "₇", "8": "₈",
    "9": "₉", "+": "₊", "−": "₋", "=": "₌", "(": "₍", ")": "₎",
    "a": "ₐ", "e": "ₑ", "h": "ₕ", "i": "ᵢ", "j": "ⱼ", "k": "ₖ", "l": "ₗ", "m": "ₘ", "n": "ₙ",
    "o": "ₒ", "p": "ₚ", "r": "ᵣ", "s": "ₛ", "t": "ₜ", "u": "ᵤ", "v": "ᵥ", "x": "ₓ",
}

# Digit fractions that Unicode has one character for.
VULGAR_FRACTIONS: Final[dict[tuple[str, str], str]] = {
    ("1", "2"): "½", ("1", "3"): "⅓", ("2", "3"): "⅔", ("1", "4"): "¼", ("3", "4"): "¾",
    ("1", "5"): "⅕", ("2", "5"): "⅖", ("3", "5"): "⅗", ("4", "5"): "⅘", ("1", "6"): "⅙",
    ("5", "6"): "⅚", ("1", "7"): "⅐", ("1", "8"): "⅛", ("3", "8"): "⅜", ("5", "8"): "⅝",
    ("7", "8"): "⅞", ("1", "9"): "⅑", ("1", "10"): "⅒",
}

# Root signs with the index built in.
ROOTS: Final[dict[str, str]] = {"": "√", "2": "√", "3": "∛", "4": "∜"}

# Delimiters of a \left … \right pair or a size macro, written as macros.
DELIMITER_MACROS: Final[dict[str, str]] = {
    "{": "{", "}": "}", "lbrace": "{", "rbrace": "}", "langle": "⟨", "rangle": "⟩",
    "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "vert": "|", "lvert": "|",
    "rvert": "|", "Vert": "‖", "lVert": "‖", "rVert": "‖", "|": "‖", "lbrack": "[",
    "rbrack": "]", "uparrow": "↑", "downarrow": "↓", "backslash": "\\",
}

# Delimiters written as characters ("." is the invisible one).
DELIMITER_CHARS: Final[dict[str, str]] = {
    "(": "(", ")": ")", "[": "[", "]": "]", "|": "|", ".": "", "/": "/", "<": "⟨", ">": "⟩",
}

# Tall delimiters: (top, extension, middle, bottom) pieces for a height of two or more lines.
# A middle piece of "" means the extension is used there too.
TALL_DELIMITERS: Final[dict[str, tuple[str, str, str, str]]] = {
    "(": ("⎛", "⎜", "", "⎝"), ")": ("⎞", "⎟", "", "⎠"),
    "[": ("⎡", "⎢", "", "⎣"), "]": ("⎤", "⎥", "", "⎦"),
    "{": ("⎧", "⎪", "⎨", "⎩"), "}": ("⎫", "⎪", "⎬", "⎭"),
    "⌊": ("⎢", "⎢", "", "⎣"), "⌋": ("⎥", "⎥", "", "⎦"),
    "⌈": ("⎡", "⎢", "", "⎢"), "⌉": ("⎤", "⎥", "", "⎥"),
    "|": ("│", "│", "", "│"), "‖": ("‖", "‖", "", "‖"),
}

# Matrix-like environments: (left delimiter, right delimiter).
MATRIX_DELIMITERS: Final[dict[str, tuple[str, str]]] = {
    "matrix": ("", ""), "smallmatrix": ("", ""), "pmatrix": ("(", ")"),
    "bmatrix": ("[", "]"), "Bmatrix": ("{", "}"), "vmatrix": ("|", "|"),
    "Vmatrix": ("‖", "‖"),
}

# Environments of equations aligned at `&` (right, left, right, left, … columns).
ALIGNED_ENVIRONMENTS: Final[frozenset[str]] = frozenset({
    "aligned", "align", "align*", "alignat", "alignat*", "alignedat", "split", "flalign",
    "flalign*", "eqnarray", "eqnarray*",
})

# Environments of centred lines.
GATHERED_ENVIRONMENTS: Final[frozenset[str]] = frozenset({
    "gathered", "gather", "gather*", "multline", "multline*", "equation", "equation*",
    "displaymath", "math",
})

CASES_ENVIRONMENTS: Final[frozenset[str]] = frozenset({"cases", "dcases", "rcases"})

# Every environment the renderer reads (others make the span raw).
MATH_ENVIRONMENTS: Final[frozenset[str]] = frozenset(
    set(MATRIX_DELIMITERS) | ALIGNED_ENVIRONMENTS | GATHERED_ENVIRONMENTS | CASES_ENVIRONMENTS
    | {"array"})

# The arguments of every macro the parser reads that takes any, as pylatexenc argspecs
# ("{" a mandatory argument, "[" an optional one, "*" an optional star).
MACRO_ARGUMENTS: Final[dict[str, str]] = {
    "frac": "{{", "dfrac": "{{", "tfrac": "{{", "cfrac": "[{{", "binom": "{{", "dbinom": "{{",
    "tbinom": "{{", "sqrt": "[{", "boxed": "{", "fbox": "{", "mathbb": "{", "operatorname": "*{",
    "mathop": "{", "pmod": "{", "mod": "{", "pod": "{", "tag": "*{", "label": "{",
    "phantom": "{", "hphantom": "{", "vphantom": "{", "hspace": "*{", "vspace": "*{",
    "color": "{", "textcolor": "{{", "colorbox": "{{", "cline": "{", "cancelto": "{{",
    "overset": "{{", "underset": "{{", "stackrel": "{{", "xrightarrow": "[{",
    "xleftarrow": "[{", "\\": "*[",
    **{name: "{" for name in ACCENTS},
    **{name: "{" for name in MATH_FONTS},
    **{name: "{" for name in TEXT_MACROS},
}

# Environments that take an argument (the column spec).
ENVIRONMENT_ARGUMENTS: Final[dict[str, str]] = {
    "array": "{", "alignat": "{", "alignat*": "{", "alignedat": "{",
}

# The inline marker around a boxed answer.
BOXED_INLINE: Final[tuple[str, str]] = ("⟦", "⟧")

# Box-drawing pieces.
FRACTION_BAR: Final[str] = "─"
FRAME: Final[dict[str, str]] = {
    "top_left": "┌", "top_right": "┐", "bottom_left": "└", "bottom_right": "┘",
    "horizontal": "─", "vertical": "│",
}
COLUMN_RULE: Final[str] = "│"
ROW_RULE: Final[str] = "─"
