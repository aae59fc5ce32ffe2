"""A council's records in: the team's own extract -> a scenario of that team and its state.

``readers`` reads the project's CSV extract (docs/data.md) and keeps only the documented
columns; ``pseudonymise`` replaces every identifier with a number at the door, so nothing
personal passes this layer; ``interpret`` reads outcomes, urgencies, roles and dates into
the scenario's words; ``fits`` estimates arrivals, shares, rates and censored durations;
``state`` builds the team's state on the as-of date; ``importer`` puts them together into
the scenario; ``data_report`` writes the data report; ``export`` writes the extract a
simulated team would have produced (the round trip). The model never imports from here.
``pathways.yaml`` and ``source_ids.txt`` beside these are package data of the scenario layer.
"""
