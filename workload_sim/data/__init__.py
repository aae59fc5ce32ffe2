"""A council's records in: the team's own extract -> a scenario of that team and its state.

``readers`` reads the project's CSV extract (docs/data.md) and keeps only the documented
columns; ``pseudonymise`` replaces every identifier with a number at the door, so nothing
personal passes this layer; ``fits`` estimates arrivals, shares and censored durations;
``state`` builds the team's state on the as-of date; ``scenario_out`` writes the scenario;
``data_report`` writes the data report; ``export`` writes the extract a simulated team would
have produced (the round trip). The model never imports from here.
"""
