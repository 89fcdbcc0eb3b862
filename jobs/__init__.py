"""Scheduled due-work jobs (announce, confirm, nudge, remind); arrives with the shift lifecycle."""
