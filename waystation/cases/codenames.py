"""Codenames: two plain English words and a number ("amber-falcon-27").

Latin letters only, words that are short, common and hard to mishear, so a codename can be
read out on a bad phone line by someone who speaks no English. About a million combinations:
enough that a new one is found at once among 100,000 cases.
"""

import re
import secrets


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


ADJECTIVES = _words(
    "amber azure bold brave brisk calm clear cold cool coral crisp dark deep dry early east "
    "fair far fast firm first flat free fresh glad gold good grand green grey high hot iron "
    "jade keen kind last late lean light little long loud low lucky main mild new noble north "
    "oak old open pale pine plain proud pure quick quiet rapid rare red rich round royal ruby "
    "safe salt sharp short silver simple slow small smart snow soft solid south spare steady "
    "still stone strong sunny super sweet swift tall tidy true vast warm west white wide wild "
    "wise young"
)
NOUNS = _words(
    "anchor apple arrow badger bear beacon bell birch bison boat bridge brook cedar cliff "
    "cloud comet crane creek crow delta dove eagle elm falcon fern field finch fir fjord forest "
    "fox garden gate glacier harbor hawk heron hill horse island ivy lake lantern lark leaf "
    "lion lynx maple marsh meadow moon moose mountain oak ocean orchid otter owl panda path "
    "peak pebble pine planet plum pond poplar quail rain raven reed ridge river robin rock "
    "rose sail salmon sand sea seal shore sky snow sparrow spring spruce star stone stork "
    "storm stream summit swan thistle tiger tower trail tulip valley violet wave whale willow "
    "wind wolf wren"
)

CODENAME = re.compile(r"^[a-z]+(?:-[a-z]+)*-[0-9]{1,4}$|^[a-z]+(?:-[a-z]+)+$")


def generate() -> str:
    return f"{secrets.choice(ADJECTIVES)}-{secrets.choice(NOUNS)}-{secrets.randbelow(99) + 1}"


def normalise(text: str) -> str:
    """ "Amber Falcon 27" → "amber-falcon-27"; the caller checks the result with ``CODENAME``."""
    return "-".join(text.strip().lower().replace("_", " ").replace("-", " ").split())
