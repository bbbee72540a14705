"""Named limits from POLICY S3. Every one is enforced before sympy builds an object."""

from __future__ import annotations

MAX_RAW_PRED = 50_000  # chars of a whole reply the extractor may scan (linear scans only)
MAX_ANSWER = 1_000  # chars of an extracted answer, and of a gold answer
MAX_DEPTH = 30  # nesting of brackets, \frac, \sqrt and function calls
MAX_RECURSION = 200  # parser recursion without brackets (e.g. "- - - - 2")
MAX_DIGITS = 200  # digits in one number literal, repeating block included
MAX_SCI_EXPONENT = 1_000  # |b| in aEb / a*10^b
MAX_POW_DIGITS = 10_000  # estimated digits of a numeric power
MAX_SYMBOLIC_EXP = 200  # exponent of a power with free symbols (polynomial degree)
MAX_FACTORIAL = 1_000  # argument of !, !!, \Gamma, top of \binom
MAX_ELEMENTS = 100  # elements of a list, set or tuple; entries of a matrix
MAX_ALTERNATIVES = 100  # values produced by expanding \pm
