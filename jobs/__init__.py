"""Scheduled work: the shift lifecycle's steps, change notices, offer deadlines, templates."""
