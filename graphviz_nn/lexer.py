"""Text -> tokens with spans.

Punctuation tokens use their own text as kind (``'('``, ``'||'``, ``','`` …); the other kinds are
``NUM``, ``WORD`` (a run of letters with trailing digits and an optional ``_`` subscript, a Greek
letter, or a LaTeX name such as ``\\alpha``/``\\sin``), ``CMD`` (``\\frac``, ``\\sqrt``),
``TOP`` (``\\top``), ``NL`` (statement break) and ``EOF``. Spelling variants are folded here:
``**`` -> ``^``; ``·``, ``×``, ``⊙``, ``\\cdot``, ``\\times``, ``\\odot`` -> ``*``; ``−`` -> ``-``;
``ᵀ`` -> ``T``.

>>> [t.kind for t in tokenize("2x^{2} + \\\\sin(y)")]
['NUM', 'WORD', '^', '{', 'NUM', '}', '+', 'WORD', '(', 'WORD', ')', 'EOF']
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .errors import ParseError
from .names import GREEK, GREEK_LETTERS
from .ops import FUNCTIONS

__all__ = ["Token", "tokenize"]


class Token(NamedTuple):
    """One token: ``kind``, the text it stands for, its ``(start, end)`` span, whether whitespace
    preceded it, and ``tight``: set by the parser on the second and later pieces of a split
    letter run (``xy``)."""

    kind: str
    text: str
    span: tuple[int, int]
    space_before: bool = False
    tight: bool = False


_UNDERSCORED = re.compile(r"[A-Za-z]+(?:_[A-Za-z]+)+")
_MASTER = re.compile(  # leading blanks and the next token in one match, the common kinds first
    r"(?P<sp>[ \t\r]*)(?:(?P<word>(?>[A-Za-z]+[0-9]*)(?![A-Za-z_]))"
    r"|(?P<pow>\*\*)|(?P<norm>\|\|)|(?P<punct>[-+*/^@()\[\]{},=;|<>])"
    r"|(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<under>[A-Za-z]+(?:_[A-Za-z]+)+)"
    r"|(?P<subword>[A-Za-z]+[0-9]*(?:_(?:\{[A-Za-z0-9,\\ ]*\}|[0-9]+|[A-Za-z]))?)"
    r"|(?P<comment>#[^\n]*)|(?P<nl>\n))?"
)
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_WORD = re.compile(r"[A-Za-z]+[0-9]*(?:_(?:\{[A-Za-z0-9,\\ ]*\}|[0-9]+|[A-Za-z]))?")
_SUBSCRIPT_TAIL = re.compile(r"[0-9]*(?:_(?:\{[A-Za-z0-9,\\ ]*\}|[0-9]+|[A-Za-z]))?")
_COMMAND = re.compile(r"\\([A-Za-z]+)")
_BRACED_WORD = re.compile(r"\s*\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}")

_SINGLE = {
    "+": "+", "-": "-", "−": "-", "*": "*", "·": "*", "×": "*", "⊙": "*", "∗": "*", "⋅": "*",
    "/": "/", "÷": "/", "^": "^", "@": "@", "(": "(", ")": ")", "[": "[", "]": "]",
    "{": "{", "}": "}", "<": "<", ">": ">", "⟨": "<", "⟩": ">", ",": ",", "=": "=", ";": ";",
    "|": "|", "ᵀ": "T", "‖": "||",
}
_OPENERS = {"(", "[", "{"}
_CLOSERS = {")", "]", "}"}

# LaTeX commands folded into ordinary tokens.
_CMD_AS = {
    "cdot": "*", "times": "*", "odot": "*", "ast": "*", "div": "/",
    "|": "||", "lVert": "||", "rVert": "||", "Vert": "||", "lvert": "|", "rvert": "|", "vert": "|",
    "{": "{", "}": "}", "top": "TOP", "intercal": "TOP", "langle": "<", "rangle": ">",
}
_CMD_SKIP = {"left", "right", "big", "Big", "bigl", "bigr", "Bigl", "Bigr", "bigg", "Bigg",
             "biggl", "biggr", "quad", "qquad", "displaystyle", "limits"}
_CMD_STRUCT = {"frac", "dfrac", "tfrac", "sqrt"}
_CMD_WRAPPERS = {"mathrm", "mathbf", "mathit", "boldsymbol", "bm", "operatorname", "text", "mathsf",
                 "vec"}
_CMD_FUNCS = {"sin", "cos", "tan", "exp", "log", "ln", "tanh", "max", "min", "sigma"}


def tokenize(source: str) -> list[Token]:
    """Split ``source`` into tokens; raise :class:`ParseError` at an unknown character."""
    tokens: list[Token] = []
    i = 0
    n = len(source)
    depth = 0
    space = False

    def add(kind: str, text: str, start: int, end: int) -> None:
        nonlocal space
        tokens.append(Token(kind, text, (start, end), space))
        space = False

    append = tokens.append
    new = tuple.__new__  # Token(...) without NamedTuple's Python-level __new__: the hot path
    master = _MASTER.match
    single = _SINGLE
    while i < n:
        m = master(source, i)
        group = m.lastgroup
        if group is None or group == "sp":
            if m.end() > i:
                space = True
            i = m.end()
            if i >= n:
                break
        else:
            start, end = m.span(group)
            if start > i:
                space = True
            i = start
            if group == "word" or group == "subword":
                text = source[i:end]
                if text.endswith("}") and not text[text.index("_") + 2:-1].strip():
                    at = text.index("_")
                    raise ParseError(f"empty subscript; write {text[:at]}_{{1}} or drop the '_{{}}'",
                                     (i + at, end), source)
                append(new(Token, ("WORD", text, (i, end), space, False)))
                space = False
            elif group == "punct":
                text = source[i:end]
                kind = single[text]
                if kind in _OPENERS:
                    depth += 1
                elif kind in _CLOSERS:
                    depth = max(0, depth - 1)
                append(new(Token, (kind, text, (i, end), space, False)))
                space = False
            elif group == "num":
                if end < n and source[end] == ".":
                    raise ParseError("malformed number", (i, end + 1), source)
                append(new(Token, ("NUM", m.group(group), (i, end), space, False)))
                space = False
            elif group == "nl":
                if depth == 0:
                    add("NL", "\n", i, end)
                space = True
            elif group == "under":
                if m.group(group).lower() not in FUNCTIONS:  # x_a…, not leaky_relu
                    end = _WORD.match(source, i).end()
                add("WORD", source[i:end], i, end)
            elif group != "comment":  # '**' or '||'
                add("^" if group == "pow" else "||", m.group(group), i, end)
            i = end
            continue
        ch = source[i]  # the rest: Greek letters, LaTeX commands, Unicode operators
        if ch in GREEK_LETTERS:
            m = _SUBSCRIPT_TAIL.match(source, i + 1)
            end = m.end() if m else i + 1
            add("WORD", GREEK_LETTERS[ch] + source[i + 1:end], i, end)
            i = end
            continue
        if ch == "\\":
            i = _lex_command(source, i, add)
            continue
        kind = _SINGLE.get(ch)
        if kind is None and ch == "_":
            raise ParseError("missing subscript after '_', like x_1 or x_{10}", (i, i + 1), source)
        if kind is None:
            raise ParseError(f"unknown character {ch!r}", (i, i + 1), source)
        if kind in _OPENERS:
            depth += 1
        elif kind in _CLOSERS:
            depth = max(0, depth - 1)
        add(kind, ch, i, i + 1)
        i += 1
    tokens.append(Token("EOF", "", (n, n), space))
    return tokens


def _lex_command(source: str, i: int, add) -> int:
    """Lex one LaTeX command starting at the backslash ``source[i]``; return the next index."""
    nxt = source[i + 1] if i + 1 < len(source) else ""
    if nxt and nxt in ",;:!":
        return i + 2  # spacing
    if nxt and nxt in "|{}":
        add(_CMD_AS[nxt], "\\" + nxt, i, i + 2)
        return i + 2
    m = _COMMAND.match(source, i)
    if m is None:
        raise ParseError("a backslash must start a LaTeX command such as \\frac", (i, i + 1), source)
    name, end = m.group(1), m.end()
    if name in _CMD_SKIP:
        return end
    if name in _CMD_AS:
        add(_CMD_AS[name], m.group(), i, end)
        return end
    if name in _CMD_STRUCT:
        add("CMD", "sqrt" if name == "sqrt" else "frac", i, end)
        return end
    if name in _CMD_WRAPPERS:
        inner = _BRACED_WORD.match(source, end)
        if inner is None:
            raise ParseError(f"\\{name} needs a name in braces, like \\{name}{{x}}", (i, end), source)
        add("WORD", inner.group(1), i, inner.end())
        return inner.end()
    if name in GREEK or name in _CMD_FUNCS:
        tail = _SUBSCRIPT_TAIL.match(source, end)
        stop = tail.end() if tail else end
        add("WORD", name + source[end:stop], i, stop)
        return stop
    raise ParseError(f"unknown LaTeX command \\{name}", (i, end), source)
