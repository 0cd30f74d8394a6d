"""Pure rules and types of the registry. Imports only the standard library."""
