"""Values the command line offers as choices, in a module that imports nothing.

``slmbib --help`` lists them; importing the modules that act on them (the
writer, the exporter, and with them YAML and bibtexparser) just for that would
double its start-up time.
"""

#: Bibliography formats :func:`slmbib.writing.write.render` writes.
FORMATS = ("bibtex", "biblatex", "csl-json")
#: Entry orders of :func:`slmbib.writing.export.export`.
ORDERS = ("key", "survey")
