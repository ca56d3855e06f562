"""The faces: the ``loopledger`` command line and what it prints (tables, JSON, options).

May import the API and every layer below it; must not import ``plugins`` (they arrive through hooks).
"""
