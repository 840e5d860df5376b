"""Text -> tokens with spans.

Punctuation tokens use their own text as kind (``'('``, ``'||'``, ``','`` …); the other kinds are
``NUM``, ``WORD`` (a run of letters with trailing digits and an optional ``_`` subscript, a Greek
letter, or a LaTeX name such as ``\\alpha``/``\\sin``), ``CMD`` (``\\frac``, ``\\sqrt``),
``TOP`` (``\\top``), ``NL`` (statement break) and ``EOF``. Spelling variants are folded here:
``**`` -> ``^``; ``·``, ``×``, ``⊙``, ``\\cdot``, ``\\times``, ``\\odot`` -> ``*``; ``−`` -> ``-``;
``ᵀ`` -> ``T``. Sheet notation for names is folded too: a layer index ``w^{(1)}`` / ``w^{[1]}``
makes one WORD ``w^(1)``, and ``\\hat{y}``, ``\\bar{x}``, ``\\tilde{x}`` the WORDs ``yhat``,
``xbar``, ``xtilde``.

>>> [t.kind for t in tokenize("2x^{2} + \\\\sin(y)")]
['NUM', 'WORD', '^', '{', 'NUM', '}', '+', 'WORD', '(', 'WORD', ')', 'EOF']
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..errors import ParseError
from .names import GREEK, GREEK_LETTERS
from ..ops import FUNCTIONS, LATEX_FUNCTIONS

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


_MASTER = re.compile(  # blanks, then one token; every position matches, the common kinds first
    r"[ \t\r]*(?:(?P<word>(?>[A-Za-z]+[0-9]*)(?![A-Za-z_]))"
    r"|(?P<pow>\*\*)|(?P<norm>\|\|)|(?P<punct>[-+*/^@,=;|<>])|(?P<open>[(\[{])|(?P<close>[)\]}])"
    r"|(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<under>[A-Za-z]+(?:_[A-Za-z]+)+)"
    r"|(?P<subword>[A-Za-z]+[0-9]*(?:_(?:\{[A-Za-z0-9, ]*\}|[0-9]+|[A-Za-z]))?)"
    r"|(?P<comment>#[^\n]*)|(?P<nl>\n)|(?P<other>.)|\Z)"
)
"""``m.lastindex`` names the kind (``None`` at the end of the text); ``other`` is one character
the loop lexes by hand: a Greek letter, a backslash command, a Unicode operator or an error."""
(_WORD_G, _POW_G, _NORM_G, _PUNCT_G, _OPEN_G, _CLOSE_G, _NUM_G, _UNDER_G, _SUBWORD_G, _COMMENT_G, _NL_G,
 _OTHER_G) = (_MASTER.groupindex[name] for name in ("word", "pow", "norm", "punct", "open", "close", "num",
                                                    "under", "subword", "comment", "nl", "other"))
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_WORD = re.compile(r"[A-Za-z]+[0-9]*(?:_(?:\{[A-Za-z0-9, ]*\}|[0-9]+|[A-Za-z]))?")
_SUBSCRIPT_TAIL = re.compile(r"[0-9]*(?:_(?:\{[A-Za-z0-9, ]*\}|[0-9]+|[A-Za-z]))?")
_COMMAND = re.compile(r"\\([A-Za-z]+)")
_BRACED_WORD = re.compile(r"\s*\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}")
_ACCENTED = re.compile(r"\s*\{\s*\\?([A-Za-z]+)\s*\}")

_SINGLE = {
    "+": "+", "-": "-", "−": "-", "*": "*", "·": "*", "×": "*", "⊙": "*", "∗": "*", "⋅": "*",
    "/": "/", "÷": "/", "^": "^", "@": "@", "(": "(", ")": ")", "[": "[", "]": "]",
    "{": "{", "}": "}", "<": "<", ">": ">", "⟨": "<", "⟩": ">", ",": ",", "=": "=", ";": ";",
    "|": "|", "ᵀ": "T", "‖": "||",
}

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
_CMD_ACCENTS = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde",
                "widetilde": "tilde"}
"""Accent commands -> the ending of the name they make (``\\hat{y}`` is ``yhat``)."""
ACCENT_COMMANDS = tuple("\\" + name for name in _CMD_ACCENTS)
_PARTIAL = ("∂ cannot be written in an expression: write the function itself (f = x^2 y, or just "
            "x^2 y) and every ∂f/∂x is computed and drawn; for one derivative's chain rule use "
            "'graphviz-nn explain --wrt x' or the app's chain-rule panel")
_LAYER_INDEX = re.compile(r"\^\s*\{\s*(?:\(\s*([A-Za-z0-9+\- ]+?)\s*\)|\[\s*([A-Za-z0-9+\- ]+?)\s*\])\s*\}")
"""A layer index after a name: ``^{(1)}``, ``^{[l-1]}``."""


_PLAIN = re.compile(
    r"([ \t\r]*)(?:([A-Za-z]+[0-9]*(?:_[0-9]+)?)|(\*\*|\|\||[-+*/^@,=;|<>()\[\]{}\n])"
    r"|((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))")
"""Blanks, then one token of plain ASCII text: a name (letters, digits, a numeric subscript), an
ASCII operator or bracket, a number. ``findall`` over it reads a whole plain text in one call."""
_PLAIN_KIND = {text: text for text in "-+*/^@,=;|<>()[]{}"} | {"**": "^", "||": "||"}
_DEPTH = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}


def tokenize(source: str) -> list[Token]:
    """Split ``source`` into tokens; raise :class:`ParseError` at an unknown character."""
    tokens = _plain_tokens(source)
    if tokens is None:
        tokens = _tokens(source)
    if "^" in source and "{" in source:
        tokens = _layer_indices(tokens, source)
    return tokens


def _plain_tokens(source: str) -> list[Token] | None:
    """The tokens of a plain text (what most texts and every generated program are), from one
    ``findall`` and a short loop; ``None`` when the text holds anything else (a character
    :data:`_PLAIN` does not read, which ``findall`` skips and the lengths then show, or a
    number followed by '.'), for :func:`_tokens` to read, and to refuse with its message."""
    tokens: list[Token] = []
    append = tokens.append
    new = tuple.__new__  # as in _tokens
    kinds, depths = _PLAIN_KIND, _DEPTH
    pos = depth = 0
    space = False
    for blank, word, punct, number in _PLAIN.findall(source):
        if blank:
            pos += len(blank)
            space = True
        if word:
            end = pos + len(word)
            append(new(Token, ("WORD", word, (pos, end), space, False)))
        elif punct:
            end = pos + len(punct)
            if punct == "\n":  # a statement break, except inside brackets
                if depth == 0:
                    append(new(Token, ("NL", punct, (pos, end), space, False)))
                pos, space = end, True
                continue
            step = depths.get(punct)
            if step is not None:
                depth = depth + 1 if step > 0 else max(0, depth - 1)
            append(new(Token, (kinds[punct], punct, (pos, end), space, False)))
        else:
            end = pos + len(number)
            if source.startswith(".", end):
                return None
            append(new(Token, ("NUM", number, (pos, end), space, False)))
        pos, space = end, False
    rest = source[pos:]
    if rest.strip(" \t\r"):
        return None  # findall skipped something
    append(Token("EOF", "", (len(source), len(source)), space or bool(rest)))
    return tokens


def _tokens(source: str) -> list[Token]:
    """Any text's tokens: one ``finditer`` pass per run of tokens the master pattern reads."""
    tokens: list[Token] = []
    append = tokens.append
    new = tuple.__new__  # Token(...) without NamedTuple's Python-level __new__: the hot path
    depth = 0  # open brackets: a line break inside them is not a statement break
    space = False  # blanks or a line break since the last token
    i = 0
    while True:
        # One finditer pass reads every token whose match is the token; a token that must be cut
        # short or lexed by hand ends the pass, and the next pass starts after it.
        for m in _MASTER.finditer(source, i):
            k = m.lastindex
            if k is None:  # the end of the text, maybe after blanks
                space = space or m.end() > m.start()
                continue
            span = m.span(k)
            if span[0] > m.start():
                space = True
            if k == _WORD_G:
                append(new(Token, ("WORD", m[k], span, space, False)))
            elif k == _PUNCT_G:
                text = m[k]  # ASCII punctuation is its own kind (_SINGLE maps it to itself)
                append(new(Token, (text, text, span, space, False)))
            elif k == _NUM_G:
                if span[1] < len(source) and source[span[1]] == ".":
                    raise ParseError("malformed number", (span[0], span[1] + 1), source)
                append(new(Token, ("NUM", m[k], span, space, False)))
            elif k == _OPEN_G or k == _CLOSE_G:
                depth = depth + 1 if k == _OPEN_G else max(0, depth - 1)
                text = m[k]
                append(new(Token, (text, text, span, space, False)))
            elif k == _SUBWORD_G:
                text = m[k]
                if text.endswith("}") and not text[text.index("_") + 2:-1].strip():
                    at = text.index("_")
                    raise ParseError(f"empty subscript; write {text[:at]}_{{1}} or drop the '_{{}}'",
                                     (span[0] + at, span[1]), source)
                append(new(Token, ("WORD", text, span, space, False)))
            elif k == _POW_G or k == _NORM_G:
                append(new(Token, ("^" if k == _POW_G else "||", m[k], span, space, False)))
            elif k == _NL_G:
                if depth == 0:
                    append(new(Token, ("NL", "\n", span, space, False)))
                space = True
                continue
            elif k == _COMMENT_G:
                continue
            elif k == _UNDER_G and m[k].lower() in FUNCTIONS:  # leaky_relu
                append(new(Token, ("WORD", m[k], span, space, False)))
            else:
                if k == _UNDER_G:  # x_a…: the name ends after its first subscript letter
                    i = _WORD.match(source, span[0]).end()
                    kind, text = "WORD", source[span[0]:i]
                else:  # _OTHER_G
                    kind, text, i = _lex_other(source, span[0])
                if kind is not None:
                    append(Token(kind, text, (span[0], i), space))
                    space = False
                break
            space = False
        else:
            break
    append(Token("EOF", "", (len(source), len(source)), space))
    return tokens


def _layer_indices(tokens: list[Token], source: str) -> list[Token]:
    """A name followed by a layer index (``w^{(1)}``) as one WORD ``w^(1)``: on the sheets
    ``w^{(1)}`` names layer 1's weights, never a power."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.kind == "WORD" and tokens[i + 1].kind == "^":
            m = _LAYER_INDEX.match(source, tokens[i + 1].span[0])
            if m is not None:
                index = "".join((m.group(1) or m.group(2)).split())
                out.append(Token("WORD", f"{tok.text}^({index})", (tok.span[0], m.end()), tok.space_before))
                i += 1
                while tokens[i].span[0] < m.end():  # the EOF token starts at the end, never before
                    i += 1
                continue
        out.append(tok)
        i += 1
    return out


def _lex_other(source: str, i: int) -> tuple[str | None, str, int]:
    """Lex what the master pattern leaves to hand at ``source[i]``: a Greek letter, a LaTeX
    command or a Unicode operator. Return the token's kind and text (kind ``None`` for LaTeX
    spacing, which makes no token) and the index after it."""
    ch = source[i]
    if ch in GREEK_LETTERS:
        m = _SUBSCRIPT_TAIL.match(source, i + 1)
        end = m.end() if m else i + 1
        return "WORD", GREEK_LETTERS[ch] + source[i + 1:end], end
    if ch == "\\":
        return _lex_command(source, i)
    kind = _SINGLE.get(ch)
    if ch == "∂":
        raise ParseError(_PARTIAL, (i, i + 1), source)
    if kind is None and ch == "_" and source.startswith("{", i + 1):
        _refuse_subscript(source, i)
    if kind is None and ch == "_":
        raise ParseError("missing subscript after '_', like x_1 or x_{10}", (i, i + 1), source)
    if kind is None:
        raise ParseError(f"unknown character {ch!r}", (i, i + 1), source)
    return kind, ch, i + 1  # a Unicode operator; none of them opens or closes a bracket


def _refuse_subscript(source: str, i: int) -> None:
    """Raise at the first character a braced subscript ``_{…}`` at ``source[i]`` may not hold:
    subscripts are letters, digits, commas and spaces only, so a name can never carry a LaTeX
    command into an export."""
    j = i + 2
    while j < len(source) and (source[j].isascii() and (source[j].isalnum() or source[j] in ", ")):
        j += 1
    if j >= len(source):
        raise ParseError("unclosed subscript '_{'; write x_{10}", (i, i + 2), source)
    what = "a backslash" if source[j] == "\\" else repr(source[j])
    raise ParseError(f"{what} in a subscript; a subscript holds letters, digits and commas, "
                     "like x_{10} or w_{1,2}", (j, j + 1), source)


def _lex_command(source: str, i: int) -> tuple[str | None, str, int]:
    """Lex one LaTeX command starting at the backslash ``source[i]``, as :func:`_lex_other`."""
    nxt = source[i + 1] if i + 1 < len(source) else ""
    if nxt and nxt in ",;:!":
        return None, "", i + 2  # spacing
    if nxt and nxt in "|{}":
        return _CMD_AS[nxt], "\\" + nxt, i + 2
    m = _COMMAND.match(source, i)
    if m is None:
        raise ParseError("a backslash must start a LaTeX command such as \\frac", (i, i + 1), source)
    name, end = m.group(1), m.end()
    if name in _CMD_SKIP:
        return None, "", end
    if name in _CMD_AS:
        return _CMD_AS[name], m.group(), end
    if name in _CMD_STRUCT:
        return "CMD", "sqrt" if name == "sqrt" else "frac", end
    if name in _CMD_WRAPPERS:
        inner = _BRACED_WORD.match(source, end)
        if inner is None:
            raise ParseError(f"\\{name} needs a name in braces, like \\{name}{{x}}", (i, end), source)
        return "WORD", inner.group(1), inner.end()
    if name in _CMD_ACCENTS:
        inner = _ACCENTED.match(source, end)
        if inner is None or not (len(inner.group(1)) == 1 or inner.group(1) in GREEK):
            raise ParseError(f"\\{name} takes one letter in braces, like \\{name}{{y}}", (i, end), source)
        return "WORD", inner.group(1) + _CMD_ACCENTS[name], inner.end()
    if name == "partial":
        raise ParseError(_PARTIAL, (i, end), source)
    if name in GREEK or name in LATEX_FUNCTIONS:
        tail = _SUBSCRIPT_TAIL.match(source, end)
        stop = tail.end() if tail else end
        return "WORD", name + source[end:stop], stop
    raise ParseError(f"unknown LaTeX command \\{name}", (i, end), source)
