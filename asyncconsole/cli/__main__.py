"""``python -m asyncconsole.cli``."""

from . import main

main()
