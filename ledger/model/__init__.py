"""The vocabulary: money, parties, events, postings, problems and their canonical encoding —
immutable attrs values and pure functions, with no I/O.

May import only the standard library, attrs and orjson; must not import any other loopledger layer.
"""
