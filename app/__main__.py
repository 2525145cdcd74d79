"""``python -m app``: the command line (``backprop-explorer``)."""

from app.cli.main import main

raise SystemExit(main())
