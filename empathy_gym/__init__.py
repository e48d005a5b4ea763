"""empathy-gym: dialogue environments where the emotional target is explicit and measurable.

`import empathy_gym` registers `EmpathyDialogue-v0` (text in, text out) and
`EmpathyDialogueStrategy-v0` (discrete strategies in, observable features out).
"""

from empathy_gym.acts import ACTS
from empathy_gym.envs import EmpathyDialogueEnv, EmpathyDialogueStrategyEnv, register_envs
from empathy_gym.eval.judging import Judgement, judge
from empathy_gym.personas.from_situation import persona_from_situation
from empathy_gym.personas.loader import PersonaError, load_library, load_persona, load_persona_file
from empathy_gym.personas.schema import Persona
from empathy_gym.rewards import COMPONENTS, PRESETS, RewardTarget, make_target
from empathy_gym.simulator.appraisal import Appraisal
from empathy_gym.simulator.readers import Reader, ReadRequest, appraise, get_reader
from empathy_gym.simulator.replay import replay
from empathy_gym.simulator.state import PersonState

register_envs()

__version__ = "0.1.0"
__all__ = [
    "ACTS",
    "COMPONENTS",
    "PRESETS",
    "Appraisal",
    "EmpathyDialogueEnv",
    "EmpathyDialogueStrategyEnv",
    "Judgement",
    "Persona",
    "PersonState",
    "PersonaError",
    "ReadRequest",
    "Reader",
    "RewardTarget",
    "appraise",
    "get_reader",
    "judge",
    "load_library",
    "load_persona",
    "load_persona_file",
    "make_target",
    "persona_from_situation",
    "replay",
]
