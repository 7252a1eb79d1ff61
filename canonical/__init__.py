"""The canonical revenue-cycle model: money and time types, typed records, and the store.

Everything else in revcycle speaks in these records. Nothing here imports another revcycle package.
"""
