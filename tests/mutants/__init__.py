"""The mutant method as a tool: rule reversals of the reference machine, each of which some
conformance vector must catch (issue 18; run: python -m tests.mutants).

Unlike tests.vectorgen, which never imports the reference implementation, this package
exists to change it: it edits ``protocol/`` in memory, one reversal at a time, and reruns
the committed vectors.
"""
