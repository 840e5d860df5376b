"""Words of a text -> names: which letter runs stay whole (known names, functions, constants,
Greek letters) and which are read as products of single letters (``xy`` -> x·y).

>>> from graphviz_nn.language.lexer import tokenize
>>> [t.text for t in expand_words(tokenize("2xy + sin(w1)"), set(), "2xy + sin(w1)", {})][:6]
['2', 'x', 'y', '+', 'sin', '(']
"""

from __future__ import annotations

import difflib
from operator import attrgetter

from ..errors import UnknownNameError
from .lexer import Token
from .names import GREEK, canonical_name
from ..ops import CONSTANTS, FUNCTIONS

__all__ = ["assigned_names", "expand_words", "unknown_function_message", "INTERNAL_FUNCTIONS"]

INTERNAL_FUNCTIONS = {"prepend1"}
"""Callable (layer chains expand into it) but not advertised."""
_kind = attrgetter("kind")
_ITSELF = ("NAME", "")
"""In the table of words seen: the word is a name spelled as written (``b0_1``), so its WORD
token stands (the parser reads WORD and NAME tokens alike)."""


def assigned_names(tokens: list[Token]) -> set[str]:
    """Names on the left of ``=`` at the start of a statement."""
    found: set[str] = set()
    if "=" not in map(_kind, tokens):
        return found
    at_start = True
    for i, tok in enumerate(tokens):
        if at_start and tok.kind == "WORD" and i + 1 < len(tokens) and tokens[i + 1].kind == "=":
            found.add(canonical_name(tok.text))
        at_start = tok.kind in ("NL", ";")
    return found


def _multi_letter_names(known: set[str]) -> list[str]:
    pool = {n for n in FUNCTIONS if n.isalpha()} | set(GREEK) | {"pi"} | {k for k in known if k.isalpha()}
    return sorted((n for n in pool if len(n) > 1), key=len, reverse=True)


def _classify(text: str, span: tuple[int, int], space: bool, known: set[str], tight: bool) -> Token:
    """One name -> a NAME, FUNC or CONST token."""
    name = canonical_name(text)
    if name in known:
        return Token("NAME", name, span, space, tight)
    if text.lower() in FUNCTIONS and (len(text) > 1 or text in FUNCTIONS):
        return Token("FUNC", FUNCTIONS[text.lower()], span, space, tight)
    if name in CONSTANTS:
        return Token("CONST", name, span, space, tight)
    return Token("NAME", name, span, space, tight)


def expand_words(tokens: list[Token], known: set[str], source: str,
                  splits: dict[str, tuple[str, ...]]) -> list[Token]:
    """Replace WORD tokens by NAME/FUNC/CONST tokens, splitting unknown letter runs; a word that
    spells its own name (``x``, ``w12``: the common case) stays a WORD token (the parser reads both kinds as names)."""
    out: list[Token] = []
    append = out.append
    simple: dict[str, tuple[str, str]] = {}  # word -> (kind, text) for words that stay whole
    multi: list[str] | None = None  # made when the first letter run is split
    for idx, tok in enumerate(tokens):
        if tok.kind != "WORD":
            append(tok)
            continue
        text = tok.text
        if (len(text) == 1 or text[1:].isdigit()) and text not in CONSTANTS:  # x, w1
            append(tok)
            continue
        hit = simple.get(text)
        if hit is not None:
            append(tok if hit is _ITSELF else Token(hit[0], hit[1], tok.span, tok.space_before))
            continue
        letters = text.rstrip("0123456789") if "_" not in text else text.split("_", 1)[0].rstrip("0123456789")
        whole = canonical_name(text)
        if (whole in known or text.lower() in FUNCTIONS or len(letters) <= 1 or whole in CONSTANTS
                or letters in GREEK or source[tok.span[0]] == "\\" or "^" in text):
            classified = _classify(text, tok.span, tok.space_before, known, False)
            itself = classified.kind == "NAME" and classified.text == text
            if source[tok.span[0]] != "\\":
                simple[text] = _ITSELF if itself else (classified.kind, classified.text)
            append(tok if itself else classified)
            continue
        following = tokens[idx + 1] if idx + 1 < len(tokens) else None
        if following is not None and following.kind == "(" and not following.space_before:
            raise UnknownNameError(unknown_function_message(text), tok.span, source)
        if multi is None:
            multi = _multi_letter_names(known)
        pieces = _split_run(text, letters, tok, known, multi)
        splits[text] = tuple(p.text for p in pieces)
        out.extend(pieces)
    return out


def _split_run(text: str, letters: str, tok: Token, known: set[str], multi: list[str]) -> list[Token]:
    """``xy1`` -> x, y1 (tight); known multi-letter names are matched greedily."""
    tail = text[len(letters):]
    pieces: list[str] = []
    p = 0
    while p < len(letters):
        match = next((m for m in multi if letters.startswith(m, p)), None)
        step = len(match) if match else 1
        pieces.append(letters[p:p + step])
        p += step
    pieces[-1] += tail
    start = tok.span[0]
    result = []
    for k, piece in enumerate(pieces):
        end = start + len(piece)
        result.append(_classify(piece, (start, end), tok.space_before if k == 0 else False, known, k > 0))
        start = end
    return result


def unknown_function_message(text: str) -> str:
    names = sorted({n for n in FUNCTIONS if n.isascii() and n not in INTERNAL_FUNCTIONS})
    close = difflib.get_close_matches(text.lower(), names, n=1, cutoff=0.7)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return (f"unknown function '{text}'{hint}; known functions: {', '.join(names)}; "
            f"for a product, write the factors with '*' or spaces")
