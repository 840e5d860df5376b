"""Our own LaTeX (the registry's templates filled with names) as plain Unicode text, for the
places that show a formula without typesetting it: edge labels, factor tables, worksheet hints.

>>> latex_to_text("\\\\mathbb{1}\\\\left[z > 0\\\\right]"), latex_to_text("\\\\frac{1}{2\\\\sqrt{x}}")
('1[z > 0]', '1/(2√(x))')
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from ..language.names import ACCENTS, GREEK

__all__ = ["latex_to_text"]


def _bracketed(text: str) -> bool:
    """True when the whole text is one bracketed group (``\\left(x \\cdot y\\right)``, ``(a)``)."""
    bare = re.sub(r"\\(?:left|right)", "", text).strip()
    if not (bare.startswith("(") and bare.endswith(")")):
        return False
    depth = 0
    for i, ch in enumerate(bare):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and i < len(bare) - 1:
            return False
    return True


def _group(text: str, always: bool = False) -> str:
    """Brackets around a compound piece (``e^{x \\cdot z}`` -> ``e^(x · z)``), none around ``2``
    or around a piece that is already one bracketed group."""
    if _bracketed(text):
        return text
    return f"({text})" if always or re.search(r"[\s+\-·/]|\\cdot", text.strip()) else text


def _fraction(top: str, bottom: str) -> str:
    """``a/b`` with brackets only where they are needed: ``1/x``, ``1/(2√(y))``, ``(a + b)/c``."""
    if not (_bracketed(bottom) or re.fullmatch(r"[\w.]+", bottom.strip())):
        bottom = f"({bottom})"
    return f"{_group(top)}/{bottom}"


_TEXT_RULES: list[tuple[re.Pattern[str], Any]] = [
    # a ones vector after a factor (mean's 1/n·𝟏) reads as that factor for each element: 1/n
    (re.compile(r"(?<=\})\\mathbf\{1\}"), ""),
    (re.compile(r"\\frac\{([^{}]*)\}\{([^{}]*)\}"), lambda m: _fraction(m[1], m[2])),
    (re.compile(r"\\sqrt\{([^{}]*)\}"), r"√(\1)"),
    (re.compile(r"\\mathbb\{1\}"), "1"),
    (re.compile(r"\\mathbf\{([^{}]*)\}"), r"\1"),
    (re.compile(r"\\(?:left|right)"), ""),
    (re.compile(r"\\\|"), "‖"),
    (re.compile(r"\\mathrm\{([^{}]*)\}"), r"\1"),
    (re.compile(r"\\operatorname\{([^{}]*)\}"), r"\1"),
    (re.compile(r"\\(hat|bar|tilde)\{([^{}]*)\}"),
     lambda m: unicodedata.normalize("NFC", m[2] + ACCENTS[m[1]])),  # \hat{y} -> ŷ, as the label
    (re.compile(r"_\{([^{}]*)\}"), r"\1"),
    (re.compile(r"\^\{([^{}]*)\}"), lambda m: "^" + _group(m.group(1))),
    (re.compile(r"\\cdot"), "·"),
    (re.compile(r"\\[,;]"), " "),
    (re.compile(r"\\le\b"), "≤"),
    (re.compile(r"\\ge\b"), "≥"),
    (re.compile(r"\^?\\top"), "ᵀ"),
    (re.compile(r"\\partial\s*"), "∂"),
]


def latex_to_text(latex: str) -> str:
    """Our own derivative templates in plain text (``\\mathbb{1}\\left[z > 0\\right]`` -> ``1[z > 0]``)."""
    text = latex
    for _ in range(3):  # nested braces unwind from the inside out
        for pattern, repl in _TEXT_RULES:
            text = pattern.sub(repl, text)
    for name, letter in GREEK.items():
        text = text.replace(f"\\{name}", letter)
    text = text.replace("\\ln", "ln").replace("\\sin", "sin").replace("\\cos", "cos").replace("\\tanh", "tanh")
    text = text.replace("\\tan", "tan").replace("\\sqrt", "√").replace("\\delta", "δ").replace("\\sum", "Σ")
    text = text.replace("- ", "− ").replace("{", "(").replace("}", ")")
    text = re.sub(r"\(\(([^()]*)\)\)", r"(\1)", text)  # cos((x · y)) -> cos(x · y)
    return re.sub(r"\s+", " ", text).strip()
