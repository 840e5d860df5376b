"""Words about a computation: step captions, chain-rule paths, worksheets."""
