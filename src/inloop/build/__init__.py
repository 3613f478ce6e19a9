"""Building: load, plan, render in workers, and write only what changed."""
