"""Tables, engine and sessions, repository functions and migrations."""
