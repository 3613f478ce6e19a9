"""Writing content from the command line: ``init``, ``new``, ``update``, ``resolve``.

Every command here writes files an author could have written by hand, and
edits them the way an author would: only the lines that change, checked by
the same parser as ``build`` before they replace the file.
"""
