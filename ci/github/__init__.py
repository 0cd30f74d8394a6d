"""GitHub's side of the gate: event payloads, the REST API, and the Actions runner's files."""
