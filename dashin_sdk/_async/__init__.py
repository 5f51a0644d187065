"""The async implementation; ``dashin_sdk/_sync`` is generated from it."""
