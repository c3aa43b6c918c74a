"""Generator of the conformance vectors in spec/vectors (run: python -m tests.vectorgen).

A second, independent implementation of the protocol's encodings: transactions are built and
serialized with python-bitcoinlib, expected outcomes are written by hand in each scenario from
the rules of spec/PROTOCOL.md, and this package only turns those hand-written expectations into
canonical bytes and hashes. It never imports the reference implementation (``protocol``).
"""
