import sys

from empathy_gym.cli import main

sys.exit(main())
