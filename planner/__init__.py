"""Pure domain rules: no I/O, no clock reads, nothing of ours imported but planner's own types."""
