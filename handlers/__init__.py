"""What people set off: command handlers, one module per command family, and the card-tap
handlers; the tables of all commands and all card buttons are in registry."""
