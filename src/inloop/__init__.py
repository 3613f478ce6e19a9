"""inloop: a static status-page generator."""

__version__ = "0.1.0"


def code_digest() -> str:
    """A hash of inloop's own code and theme: part of every persistent cache key.

    The version alone would serve stale entries to a developer who changed
    the code without bumping it.
    """
    global _code_digest
    if _code_digest is None:
        import hashlib
        from pathlib import Path

        root = Path(__file__).parent
        digest = hashlib.sha256(__version__.encode())
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".html", ".css", ".js", ".po", ".svg") and path.is_file():
                digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
        _code_digest = digest.hexdigest()[:16]
    return _code_digest


_code_digest: str | None = None
