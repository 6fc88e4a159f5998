"""Use cases: one function per write, each checks the actor, does the work, audits."""
