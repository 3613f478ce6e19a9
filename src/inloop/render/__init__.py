"""Rendering: the model into pages, feeds, the API, badges and the calendar; no I/O."""
