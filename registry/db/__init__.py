"""Persistence: typed tables, repositories, the unit of work, migrations."""
