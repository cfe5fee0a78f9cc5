"""``python -m careweave``: the command line."""

from careweave.cli import main

main()
