"""Resources: one class per spec endpoint group, backend-neutral."""
