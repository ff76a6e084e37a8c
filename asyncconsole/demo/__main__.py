"""``python -m asyncconsole.demo``: the demo without the CLI."""

from ._run import main

raise SystemExit(main())
