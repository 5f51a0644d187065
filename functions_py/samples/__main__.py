"""``python -m functions_py.samples [--rows N] [--seed S] [--out PATH]``: write a sample CSV."""

from functions_py.samples.generator import main

main()
