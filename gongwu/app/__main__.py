"""``python -m gongwu.app`` runs the command line."""

from gongwu.app.cli import main

main()
