"""JSON Schemas of the webhook envelope and of every event type's `data` (package data).

One file per event type, named `<type>.json`; each refers to `envelope.json` and carries an example
`data` that test pings send. The file names are the catalogue of event types a subscription may ask for.
"""
