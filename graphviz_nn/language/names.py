"""Variable names: one canonical spelling per variable, and a pretty label for drawing.

``α``, ``alpha`` and ``\\alpha`` are the same variable ``alpha``; ``w_{10}`` and ``w_10`` are
``w_10``. Labels show Greek letters and subscripts the way a sheet prints them.

>>> canonical_name("\\\\alpha"), canonical_name("α"), canonical_name("w_{10}")
('alpha', 'alpha', 'w_10')
>>> display_label("alpha"), display_label("w_0"), display_label("w1"), display_label("beta_1")
('α', 'w₀', 'w1', 'β₁')
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["GREEK", "GREEK_LETTERS", "canonical_name", "display_label"]

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


@lru_cache(maxsize=8192)
def canonical_name(raw: str) -> str:
    """The one spelling of a variable name: Greek letters spelled out, subscript braces dropped."""
    name = raw.strip()
    if name.startswith("\\"):
        name = name[1:]
    if "_" in name:
        base, sub = name.split("_", 1)
        sub = sub.strip("{}").replace("{", "").replace("}", "")
        return f"{canonical_name(base)}_{sub}" if sub else canonical_name(base)
    head = name.rstrip("0123456789")
    digits = name[len(head):]
    if head in GREEK_LETTERS:
        return GREEK_LETTERS[head] + digits
    return name


def display_label(name: str) -> str:
    """A readable label: Greek names as letters, ``_sub`` as a subscript where Unicode has one."""
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
