"""The graphviz-nn command line."""
