"""Synthetic lead data: a deterministic CSV generator and the bundled ``leads_sample.csv``."""

from functions_py.samples.generator import (
    BUNDLED_SAMPLE,
    SampleStats,
    bundled_sample_path,
    generate_leads_csv,
)

__all__ = ["BUNDLED_SAMPLE", "SampleStats", "bundled_sample_path", "generate_leads_csv"]
