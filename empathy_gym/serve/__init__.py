"""Serving the env to other processes: an OpenEnv environment server (`serve/openenv.py`)."""
