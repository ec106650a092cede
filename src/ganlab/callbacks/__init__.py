"""Lightning callbacks that write the run directory: pictures and status.json."""
