"""The policy engine (规则库). Policy editions are data (``editions/<edition>/*.yaml``) with their
citations; worked examples beside them (``tests/<edition>/*.yaml``).

This package imports nothing from Django and no shuzhuan app: it runs in a batch worker, a
notebook or a Spark executor as well as behind the web pages.
"""
