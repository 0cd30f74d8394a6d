"""The UI's pages: one module per page group, each with its own blueprint nested under `ui`."""
