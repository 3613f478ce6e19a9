"""The author's loop: the file watcher and the live-reloading dev server."""
