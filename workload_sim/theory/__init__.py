"""Theory beside the simulation, from the scenario alone: expected work per case and the
team's load against its hours (the fluid bound) and caseload caps."""
