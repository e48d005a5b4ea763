"""Quick start: talk to one simulated person and watch what each reply is paid for.

Run: python examples/quickstart.py [--short]

Expected: the first reply (a reflection plus an exploring question) earns a positive
`genuine` reward and surfaces a hidden concern; the reassurance that follows earns a
negative reward although the person *shows* more ease (expressed rises) - comfort
before understanding is not empathy. The gentle correction lowers the false belief.
"""

import argparse

import gymnasium as gym

import empathy_gym  # noqa: F401  (registers EmpathyDialogue-v0)

parser = argparse.ArgumentParser()
parser.add_argument("--short", action="store_true", help="CI mode (this example is already short)")
parser.parse_args()

env = gym.make("EmpathyDialogue-v0", persona="lena_antibiotics_cold", target="genuine")
observation, info = env.reset(seed=0)
print("PERSON:", observation["message"], "\n")

replies = [
    "It sounds like you're really scared for her. What's been the hardest part of the last few days?",
    "Don't worry, I'm sure she'll be fine!",
    "That makes sense. Has anything like this happened before in your family?",
    "I want to be honest with you: colds are caused by viruses, and antibiotics don't work on viruses.",
]
for reply in replies:
    observation, reward, terminated, truncated, info = env.step(reply)
    state = info["hidden_state"]  # analysis only: never give this to a policy
    components = {k: round(v, 3) for k, v in info["reward_components"].items() if abs(v) > 1e-9}
    print("AGENT: ", reply)
    print("PERSON:", observation["message"])
    print(
        f"  reward {reward:+.3f} | understood {state['understood']:.2f} distress {state['distress']:.2f} "
        f"expressed {state['expressed']:.2f} trust {state['trust']:.2f} beliefs {state['beliefs']} "
        f"disclosed {state['disclosed']}"
    )
    print("  components:", components, "\n")
    if terminated or truncated:
        break
