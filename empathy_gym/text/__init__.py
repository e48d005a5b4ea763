"""Text tooling shared by every layer above it: tokens, stems, word lists and speech-act patterns.

It sits just above `acts` and imports nothing else from the package, so the simulator's
readers, the agents and the evaluation tools all read text the same way.
"""
