"""Everything that isolates learner code: namespaces, uids, rlimits, in one place.

- :mod:`.sandbox`: bubblewrap (which binary, the command line, sandboxed kernels);
- :mod:`.forkserver` and :mod:`.kernel_zygote`: kernels forked from one warm sandbox;
- :mod:`.kernels`: which of the two the pipeline's kernels come from;
- :mod:`.cleanroom_harness`: the script the clean room runs next to the learner's code.

Imports go one way: kernels -> forkserver -> sandbox.
"""
