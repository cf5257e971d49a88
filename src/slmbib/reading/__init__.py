"""Reading: paper lists (markdown) and bibliographies (.bib) into records (``slmbib import``).

:mod:`.readme` parses a list into rows and :mod:`.listitem` reads one item, :mod:`.identify`
says what each link is; :mod:`.listimport` turns rows into records in ``refs/``, and
:mod:`.bibread` does the same for a ``.bib`` file.
"""
