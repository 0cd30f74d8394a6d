"""Repositories: the only code that writes SQL for the registry's tables."""
