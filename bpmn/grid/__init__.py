"""Grid visits (走访) and mobilisation (入户组织动员): processes, decision tables and forms."""
