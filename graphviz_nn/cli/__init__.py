"""The graphviz-nn command line: eval, render, explain, code, plot, steps, worksheet."""
