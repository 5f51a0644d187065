"""Turning connector records into leads: normalisation, qualification, raw archive."""
