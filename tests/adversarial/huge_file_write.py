"""Writes a 10 GB file to every writable place it can find."""
# ruff: noqa
import os

chunk = b"x" * (64 << 20)
for folder in ("/scratch", "/tmp", os.path.expanduser("~"), "/dev/shm", "/cleanroom"):
    try:
        with open(os.path.join(folder, "big"), "wb") as f:
            for _ in range(160):  # 160 x 64 MB = 10 GB
                f.write(chunk)
    except Exception:
        pass
