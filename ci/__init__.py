"""The promotion gate run by GitHub Actions."""
