"""``python -m ledgerbridge``: the command line, for when the console script is not on PATH
(``ledgerbridge demo`` starts its emulator this way, with the same interpreter)."""

from ledgerbridge.cli import main

main()
