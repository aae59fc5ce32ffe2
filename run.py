"""Command-line entry: python run.py run scenarios/adult_safeguarding_team.yaml"""

from workload_sim.cli import main

if __name__ == "__main__":
    main()
