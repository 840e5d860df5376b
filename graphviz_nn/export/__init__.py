"""Files: SVG/PNG/PDF/DOT/TikZ bytes, step sequences, plots, generated code."""
