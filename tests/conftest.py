"""Fixtures shared by every test layer live in tests/fixtures/ as plugins."""

pytest_plugins = [
    "tests.fixtures.apps",
    "tests.fixtures.databases",
    "tests.fixtures.github_stub",
    "tests.fixtures.s3",
    "tests.fixtures.servers",
    "tests.fixtures.receivers",
    "tests.fixtures.webhooks",
    "tests.fixtures.deploy",
]
