"""Grabs memory until something breaks, then returns zeros."""
# ruff: noqa
hog = []
try:
    while True:
        hog.append(bytearray(64 << 20))
except MemoryError:
    pass
hog = bytearray(1 << 40)  # 1 TB at once
