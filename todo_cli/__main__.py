"""`python -m todo_cli` runs the same CLI as the `todo` console script."""

from todo_cli.main import main

main()
