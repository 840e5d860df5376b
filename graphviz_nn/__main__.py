"""``python -m graphviz_nn`` runs the CLI."""

from .cli.main import main

raise SystemExit(main())
