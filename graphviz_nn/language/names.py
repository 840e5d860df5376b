"""Variable names: one canonical spelling per variable, and a pretty label for drawing.

``α``, ``alpha`` and ``\\alpha`` are the same variable ``alpha``; ``w_{10}`` and ``w_10`` are
``w_10``. A layer index written as on the sheets, ``w^{(1)}``, ``w^{[1]}``, ``w^(1)`` or
``w⁽¹⁾``, is part of the name ``w^(1)``; ``\\hat{y}``, ``\\bar{x}`` and ``\\tilde{x}`` are the names
``yhat``, ``xbar`` and ``xtilde``. Labels show Greek letters, subscripts, layer indices and
accents the way a sheet prints them.

>>> canonical_name("\\\\alpha"), canonical_name("α"), canonical_name("w_{10}"), canonical_name("W^{[2]}")
('alpha', 'alpha', 'w_10', 'W^(2)')
>>> display_label("alpha"), display_label("w_0"), display_label("w1"), display_label("beta_1")
('α', 'w₀', 'w1', 'β₁')
>>> display_label("w^(1)"), display_label("w_0^(1)"), display_label("yhat"), display_label("xbar")
('w⁽¹⁾', 'w₀⁽¹⁾', 'ŷ', 'x̄')
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from ..errors import UNPRINTABLE

__all__ = ["GREEK", "GREEK_LETTERS", "ACCENTS", "MATH_CHARS", "canonical_name", "display_label", "name_marks",
           "is_plain_name", "latex_text", "MAX_TITLE_CHARS", "MAX_DISPLAY_NAME_CHARS", "text_problem"]

GREEK: dict[str, str] = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "rho": "ρ", "sigma": "σ", "tau": "τ",
    "upsilon": "υ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "pi": "π",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
    "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
"""Greek names (as in LaTeX) -> letter."""

GREEK_LETTERS: dict[str, str] = {}
"""Greek letter -> canonical name (first name listed wins, so ``φ`` -> ``phi``)."""
for _name, _letter in GREEK.items():
    GREEK_LETTERS.setdefault(_letter, _name)

_SUBSCRIPT = str.maketrans("0123456789+-=()aeioruvxhklmnpst",
                           "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑᵢₒᵣᵤᵥₓₕₖₗₘₙₚₛₜ")
_SUPER_PLAIN = "0123456789+-=()abcdefghijklmnoprstuvwxyzLN"
_SUPER_CHARS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴸᴺ"
_SUPERSCRIPT = str.maketrans(_SUPER_PLAIN, _SUPER_CHARS)
_FROM_SUPERSCRIPT = str.maketrans(_SUPER_CHARS, _SUPER_PLAIN)

ACCENTS: dict[str, str] = {"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303"}
"""Accent names (the ending of ``yhat``, ``xbar``, ``xtilde``) -> the combining mark drawn."""


def name_marks(name: str) -> tuple[str, str | None, str | None]:
    """A canonical name split into its core, its accent and its layer index:
    ``w_0^(1)`` -> ``('w_0', None, '1')``, ``yhat`` -> ``('y', 'hat', None)``.

    An accent ending counts only after one letter or a Greek name (``xbar``, ``thetahat``)."""
    core, index = name, None
    if name.endswith(")") and "^(" in name:
        core, _, rest = name.partition("^(")
        index = rest[:-1]
    for accent in ACCENTS:
        base = core[:-len(accent)]
        if core.endswith(accent) and ((len(base) == 1 and base.isalpha()) or base in GREEK):
            return base, accent, index
    return core, None, index


@lru_cache(maxsize=8192)
def canonical_name(raw: str) -> str:
    """The one spelling of a variable name: Greek letters spelled out, subscript braces dropped."""
    if raw.isascii() and raw.isalnum():  # x, w12, loss: nothing to fold (Greek letters are not ASCII)
        return raw
    name = raw.strip()
    if name.startswith("\\"):
        name = name[1:]
    if "⁽" in name:  # w⁽¹⁾, as the labels draw it
        at = name.index("⁽")
        name = name[:at] + "^" + name[at:].translate(_FROM_SUPERSCRIPT)
    if "^" in name:  # a layer index: w^{(1)}, w^{[1]}, w^(1)
        base, _, index = name.partition("^")
        index = index.strip().strip("{}").strip()
        if index[:1] in "([" and index[-1:] in ")]":
            index = index[1:-1]
        return f"{canonical_name(base)}^({''.join(index.split())})"
    if "_" in name:
        base, sub = name.split("_", 1)
        sub = sub.strip("{}").replace("{", "").replace("}", "").replace(" ", "")
        return f"{canonical_name(base)}_{sub}" if sub else canonical_name(base)
    head = name.rstrip("0123456789")
    digits = name[len(head):]
    if head in GREEK_LETTERS:
        return GREEK_LETTERS[head] + digits
    return name


def display_label(name: str) -> str:
    """A readable label: Greek names as letters, ``_sub`` as a subscript where Unicode has one,
    a layer index as a superscript in brackets (``w⁽¹⁾``), an accent over its letter (``ŷ``)."""
    core, accent, index = name_marks(name)
    if accent is not None or index is not None:
        # NFC joins a letter and its mark where Unicode has one character for both (ŷ)
        label = unicodedata.normalize("NFC", display_label(core) + (ACCENTS[accent] if accent else ""))
        if index is None:
            return label
        raised = index.translate(_SUPERSCRIPT)
        if all(ch in _SUPER_CHARS for ch in raised):
            return f"{label}⁽{raised}⁾"
        return f"{label}^({index})"
    base, _, sub = name.partition("_")
    head = base.rstrip("0123456789")
    digits = base[len(head):]
    pretty = GREEK.get(head, head) + digits
    if not sub:
        return pretty
    translated = sub.translate(_SUBSCRIPT)
    if all(ch in "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑᵢₒᵣᵤᵥₓₕₖₗₘₙₚₛₜ" for ch in translated):
        return pretty + translated
    return f"{pretty}_{sub}"


_PLAIN_NAME = re.compile(r"[A-Za-z]+[0-9]*(?:_[A-Za-z0-9,]+)?(?:\^\([A-Za-z0-9+\-]+\))?")


def is_plain_name(name: str) -> bool:
    r"""True for a name the grammar makes (letters, digits, one subscript of letters, digits and
    commas, a layer index such as ``^(l-1)``): the only names written into LaTeX as they are; anything else goes through
    :func:`latex_text`.

    >>> is_plain_name("w_1,2"), is_plain_name("w^(l-1)"), is_plain_name("x_\\input")
    (True, True, False)
    """
    return _PLAIN_NAME.fullmatch(name) is not None


_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "^": r"\^{}", "_": r"\_", "%": r"\%", "~": r"\~{}", "<": r"\textless{}", ">": r"\textgreater{}",
}
MATH_CHARS = {"×": r"\times", "÷": r"\div", "−": "-", "·": r"\cdot", "∂": r"\partial", "Σ": r"\Sigma",
              "√": r"\surd", "‖": r"\|", "ᵀ": r"^{\top}", "←": r"\leftarrow", "→": r"\rightarrow", "∞": r"\infty"}
"""Symbols a label may hold -> their LaTeX math command."""


def latex_text(text: Any) -> str:
    r"""Text-mode LaTeX for user text: specials escaped, Greek letters as math, control characters
    and other non-ASCII as ``?``, so nothing a user typed can become a TeX command.

    >>> latex_text("50% & {x}"), latex_text("a\\input b"), latex_text("bell\x07")
    ('50\\% \\& \\{x\\}', 'a\\textbackslash{}input b', 'bell?')
    """
    out = []
    for ch in str(text):
        if ch in _TEXT_ESCAPES:
            out.append(_TEXT_ESCAPES[ch])
        elif ch in GREEK_LETTERS:
            out.append(f"$\\{GREEK_LETTERS[ch]}$")
        elif ch in MATH_CHARS:
            out.append(f"${MATH_CHARS[ch]}$")
        elif ch in "\n\t":
            out.append(" ")
        elif " " <= ch < "\x7f":
            out.append(ch)
        else:
            out.append("?")
    return "".join(out)


MAX_TITLE_CHARS = 300
"""Longest title a spec or a drawing may have."""
MAX_DISPLAY_NAME_CHARS = 200
"""Longest display name (a spec's ``names = { W1 = "alpha" }``)."""


def text_problem(text: str, limit: int) -> str | None:
    """What is wrong with a title or display name, or ``None``: longer than ``limit``, or holding
    a character no drawing or terminal shows as it is (a control character, a noncharacter).

    >>> text_problem("α/β network", 300), text_problem("bell\x07", 300), text_problem("x" * 5, 4)
    (None, 'holds the control character U+0007 at position 5', 'is 5 characters; the limit is 4')
    """
    if len(text) > limit:
        return f"is {len(text):,} characters; the limit is {limit:,}"
    bad = UNPRINTABLE.search(text) or re.search("[\n\t]", text)
    if bad:
        return f"holds the control character U+{ord(bad.group()):04X} at position {bad.start() + 1}"
    return None
