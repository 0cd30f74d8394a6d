"""`podium` subcommands owned by feature areas, each registered in registry/cli.py."""
