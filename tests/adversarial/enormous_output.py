"""Writes one enormous line to every file descriptor it can, including the harness's own pipe."""
# ruff: noqa
import os
import sys

line = b"x" * (8 << 20)
for _ in range(64):  # 512 MB in all
    for fd in range(0, 20):
        try:
            os.write(fd, line)
        except OSError:
            pass
print("y" * (1 << 24))
sys.stderr.write("z" * (1 << 24))
