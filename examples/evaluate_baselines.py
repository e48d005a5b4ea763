"""Evaluate the baseline agents under the naive `comfort` target and the `genuine` target.

Run: python examples/evaluate_baselines.py [--short]

Expected: under `comfort` (reward = the affect the person shows) the Sycophant and the
Pacifier beat CuriousEmpath, while leaving people more distressed and less understood;
under `genuine` CuriousEmpath ranks first and the Pacifier last. Same episodes, two targets:
the reward decides what "empathy" an optimiser will learn.
"""

import argparse

from empathy_gym.eval.leaderboard import format_leaderboard, leaderboard
from empathy_gym.personas.sets import resolve_personas
from empathy_gym.rollout.episodes import evaluate

parser = argparse.ArgumentParser()
parser.add_argument("--short", action="store_true", help="fewer personas and seeds, for CI")
args = parser.parse_args()

personas = resolve_personas("starter")
seeds = [0] if args.short else [0, 1, 2, 3, 4]
if args.short:
    personas = personas[:4]

records = evaluate(
    ["CuriousEmpath", "Pacifier", "AdviceGiver", "Sycophant", "Random"], personas, seeds
)
for target in ["comfort", "genuine"]:
    print(format_leaderboard(leaderboard(records, target), target), "\n")

comfort_winner = leaderboard(records, "comfort")[0].agent
genuine_winner = leaderboard(records, "genuine")[0].agent
print(f"comfort rewards {comfort_winner}; genuine rewards {genuine_winner}.")
