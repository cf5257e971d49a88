"""Enriching: records completed from Semantic Scholar and arXiv (``slmbib sync``).

:mod:`.pacing` is the polite HTTP client, :mod:`.remote` the checks every answer passes,
:mod:`.s2` and :mod:`.arxiv` the two services, :mod:`.cache` the answer cache and
:mod:`.resolve` what an answer means for a record; the sync run puts them together.
"""
