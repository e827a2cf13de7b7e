"""The grading pipeline of the activation-derivatives course (python -m autograder)."""
