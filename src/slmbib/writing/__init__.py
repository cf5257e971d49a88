"""Writing: records to a bibliography (``slmbib export``).

:mod:`.write` reads a record into a citation and writes BibTeX, biblatex or CSL-JSON,
:mod:`.keys` makes citation keys; :mod:`.export` runs an export and :mod:`.uptodate`
skips one whose inputs have not changed.
"""
