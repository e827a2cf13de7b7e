"""The second assignment, ``backprop_one_hidden_layer``: the slopes at work, in a one-hidden-layer
network trained by backpropagation, with a gradient check.

``reference`` holds the model answers, ``checks`` the grade cells' checks, ``mistakes`` the
catalogue of known mistakes, ``variants`` other right answers that must get full marks, and
``manifest.toml`` the title, order and time.
"""
