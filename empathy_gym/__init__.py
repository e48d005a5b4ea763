"""empathy-gym: dialogue environments where the emotional target is explicit and measurable.

`import empathy_gym` registers `EmpathyDialogue-v0` (text in, text out) and
`EmpathyDialogueStrategy-v0` (discrete strategies in, observable features out).
"""

from empathy_gym.envs import EmpathyDialogueEnv, EmpathyDialogueStrategyEnv, register_envs
from empathy_gym.personas.loader import PersonaError, load_library, load_persona, load_persona_file
from empathy_gym.personas.from_situation import persona_from_situation  # issue 9
from empathy_gym.personas.schema import Persona
from empathy_gym.rewards import COMPONENTS, PRESETS, RewardTarget, make_target
from empathy_gym.simulator.appraisal import ACTS, Appraisal, appraise
from empathy_gym.simulator.state import PersonState
from empathy_gym.simulator.replay import replay  # issue 9

register_envs()

__version__ = "0.1.0"
__all__ = [
    "ACTS",
    "COMPONENTS",
    "PRESETS",
    "Appraisal",
    "EmpathyDialogueEnv",
    "EmpathyDialogueStrategyEnv",
    "Persona",
    "PersonState",
    "PersonaError",
    "RewardTarget",
    "appraise",
    "load_library",
    "load_persona",
    "load_persona_file",
    "make_target",
    "persona_from_situation",  # issue 9
    "replay",  # issue 9
]
