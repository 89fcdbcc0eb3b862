"""Command handlers, one module per command family; the table of all commands is in registry."""
