"""Writing: records to a bibliography (``slmbib export``).

:mod:`.citation` reads a record into a checked citation, :mod:`.bibtex` writes it as
BibTeX or biblatex and :mod:`.csljson` as CSL-JSON, :mod:`.write` renders a whole
bibliography in one format; :mod:`.keys` makes citation keys, :mod:`.export` runs an
export and :mod:`.uptodate` skips one whose inputs have not changed.
"""
