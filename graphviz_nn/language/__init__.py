"""Reading text: names, tokens, the syntax tree, the parser, user values, printers."""
