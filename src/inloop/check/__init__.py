"""``inloop check``: a linter for incident communication.

Like a code linter, but its rules are about customers: say what is wrong,
when it will be fixed, when you will say more, and what will stop it
happening again; do not blame others or sell in an incident.

- :mod:`.settings`: the rule codes and the ``[check]`` table of ``inloop.toml``;
- :mod:`.phrases`: the built-in phrase lists, per language;
- :mod:`.text`: where each piece of text sits in the raw file (for exact lines);
- :mod:`.ignores`: ``<!-- inloop: ignore CODE -->`` and ``# inloop: ignore CODE``;
- :mod:`.rules`: one small function per rule, with its code and explanation;
- :mod:`.runner`: runs the rules over a loaded site.

This module imports nothing, so that ``config.py`` can validate ``[check]``
through :mod:`.settings` without an import cycle.
"""
