"""The commands that are no one stage of the pipeline: ``init``, ``list``, ``check``,
``render`` and ``add``.
"""
