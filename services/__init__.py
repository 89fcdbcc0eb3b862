"""What command handlers and scheduled jobs both do: backfill offers, the cards a shift's people
get, how a shift reads, when its lifecycle steps fall due."""
