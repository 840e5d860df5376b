"""``python -m graphviz_nn`` runs the CLI."""

from .cli import main

raise SystemExit(main())
