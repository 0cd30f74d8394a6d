"""Feature areas' `podium` sub-commands, each registered in registry/cli.py with one add_command."""
