"""Pictures as text: options, themes, escaping, the DOT of a step, TikZ, the neuron view."""
