"""The command server: `todo` commands run in forked workers of a process that has the whole app
imported already (see daemon.py; the client is todo_cli/client.py)."""
