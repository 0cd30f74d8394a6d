"""Feature areas' `podium` subcommands, one module each, registered in registry/cli.py."""
