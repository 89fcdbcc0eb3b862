"""The shared vocabulary below handlers and jobs: settings, the clock, command parsing, router
types, the message catalogue, card ids and variables, incoming frames, outgoing rows and the
DingTalk OpenAPI client."""
