"""Word lists and compiled patterns the rule appraiser reads free text with.

The patterns describe *kinds of speech act* (a reflection frame, a reassurance, an
imperative), not phrases this package writes, so they work on text from any agent.
Everything is compiled once at import; appraisal is then a handful of regex scans.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from empathy_gym.text.cache import text_cache

# --- tokens -----------------------------------------------------------------

_APOSTROPHES = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"'}
)
TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+|\n+")
# A normalised sentence that opens with a wh-word (after a discourse marker): a wh-question.
WH_START = re.compile(
    r"^(?:(?:so|and|but|then|ok|okay|well)[, ]+)?(?:what|how|why|when|where|who|which)\b"
)

NEGATIONS = frozenset(
    "not no never don't doesn't didn't won't isn't aren't wasn't weren't can't cannot couldn't "
    "shouldn't wouldn't nothing hasn't haven't ain't neither nor".split()
)
NEGATION_TOKEN = "not"

STOPWORDS = frozenset(
    """a an the and or but if then so of to in on at by for with from as is are was were be been being
    am do does did have has had having i me my mine myself you your yours yourself he him his she her hers
    it its itself we us our they them their this that these those there here what which who whom whose
    when where why how all any both each few more most other some such only own same than too very can
    will just should would could might must may shall also about into over after before again further
    once up down out off under above below between through during until while because just really
    s t d ll m re ve im i'm you're it's that's i've you've i'll you'll i'd you'd he's she's we're they're
    let's there's what's oh well yeah yes ok okay um uh hmm like get got go going know think feel feeling
    one thing things lot way even still much""".split()
)


def normalize(text: str) -> str:
    """Lower case with typographic apostrophes and quotes made plain ("I’m" -> "i'm")."""
    return text.translate(_APOSTROPHES).lower()


# Distinct words kept stemmed: far more than a dialogue run's vocabulary, a few tens of MB
# at most (the bound the hand-made cache this replaced used).
STEM_CACHE_SIZE = 200_000
# Distinct whole texts kept as stem sets: people and templated agents repeat themselves
# (the bound the hand-made cache this replaced used).
TEXT_STEMS_CACHE_SIZE = 16_384


@lru_cache(maxsize=STEM_CACHE_SIZE)
def stem(word: str) -> str:
    """A crude, fast stem: enough to match 'viruses' with 'virus' and 'worried' with 'worries'."""
    if word in NEGATIONS:
        return NEGATION_TOKEN
    if len(word) <= 4:
        return word
    if word.endswith(("ies", "ied")):
        base = word[:-3] + "i"
    elif word.endswith("ing") and len(word) >= 7:
        base = word[:-3]
    elif word.endswith(("ed", "ly")) and len(word) >= 6:
        base = word[:-2]
    elif word.endswith(("uses", "sses", "shes", "ches", "xes", "zes")):
        base = word[:-2]  # viruses -> virus, couches -> couch
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) >= 5:
        base = word[:-1]
    else:
        base = word
    if base.endswith("y"):
        base = base[:-1] + "i"  # worry / worried / worries -> worri
    if base.endswith("e") and len(base) > 4:
        base = base[:-1]  # notice / notices / noticed -> notic
    return base[:6]


def content_stems(tokens: list[str]) -> frozenset[str]:
    """Return the stems of the content words (negations kept)."""
    return frozenset(stem(t) for t in tokens if t not in STOPWORDS or t in NEGATIONS)


@text_cache(maxsize=TEXT_STEMS_CACHE_SIZE)
def text_stems(text: str) -> frozenset[str]:
    """Content stems of a whole text, memoised (people and templates repeat themselves)."""
    return content_stems(TOKEN_RE.findall(normalize(text)))


# --- feelings -----------------------------------------------------------------
# Families of feeling words. An agent names a feeling; the family says which of the
# person's emotions it points at. Related families count as near-misses, not errors.

FEELING_FAMILIES: dict[str, tuple[str, ...]] = {
    "sadness": (
        "sad sadness unhappy heartbroken heartbreaking devastated devastating crushed gutted miserable "
        "depressed hopeless sorrow despair tearful down low blue empty numb broken sorrowful grieved "
        "heavy heartache upset painful pain aching ache"
    ).split(),
    "grief": "grief grieving grieve mourning mourn loss bereaved bereavement miss missing heartbreak".split(),
    "anger": (
        "angry anger mad furious livid irritated annoyed frustrated frustrating frustration resentful "
        "resentment outraged outrage bitter pissed infuriated infuriating rage enraged indignant cheated "
        "unfair injustice wronged betrayed betrayal"
    ).split(),
    "fear": (
        "afraid scared frightened terrified terrifying fear fearful panic panicked panicky anxious anxiety "
        "worried worry worrying worries nervous uneasy dread dreading stressed stress stressful tense alarmed "
        "frightening scary petrified apprehensive insecure unsafe threatened"
    ).split(),
    "shame": (
        "ashamed shame embarrassed embarrassing humiliated humiliating guilty guilt failure inadequate "
        "worthless stupid mortified disappointed regret regretful useless inferior"
    ).split(),
    "loneliness": (
        "lonely alone isolated isolating loneliness lonesome disconnected invisible unseen forgotten "
        "abandoned excluded unwanted"
    ).split(),
    "exhaustion": (
        "exhausted exhausting exhaustion tired drained draining burnout depleted overwhelmed overwhelming "
        "fatigued weary spent overworked overloaded"
    ).split(),
    "hurt": "hurt hurting wounded rejected unappreciated dismissed unloved neglected ignored unheard".split(),
    "confusion": "confused confusing uncertain torn unsure conflicted lost stuck".split(),
    "joy": (
        "happy glad excited proud relieved hopeful grateful joy joyful thrilled delighted content "
        "cheerful optimistic"
    ).split(),
}
FEELING_PHRASES: dict[str, tuple[str, ...]] = {
    "anger": ("fed up", "ticked off"),
    "fear": ("on edge", "freaked out", "freaking out", "keyed up"),
    "exhaustion": (
        "burned out",
        "burnt out",
        "worn out",
        "worn down",
        "running on empty",
        "stretched thin",
    ),
    "hurt": ("taken for granted", "let down"),
    "loneliness": ("left out", "on your own", "by yourself", "cut off"),
    "sadness": ("broken hearted",),
}
RELATED_FAMILIES: dict[str, frozenset[str]] = {
    "grief": frozenset({"sadness", "loneliness", "hurt"}),
    "sadness": frozenset({"grief", "hurt", "loneliness"}),
    "anger": frozenset({"hurt"}),
    "hurt": frozenset({"sadness", "anger", "loneliness"}),
    "fear": frozenset({"confusion"}),
    "shame": frozenset({"sadness", "hurt"}),
    "loneliness": frozenset({"sadness", "hurt"}),
    "exhaustion": frozenset({"fear", "sadness"}),
    "confusion": frozenset({"fear"}),
    "joy": frozenset(),
}
EMOTION_NAME_ALIASES: dict[str, str] = {
    "worry": "fear",
    "anxiety": "fear",
    "panic": "fear",
    "dread": "fear",
    "guilt": "shame",
    "embarrassment": "shame",
    "resentment": "anger",
    "frustration": "anger",
    "indignation": "anger",
    "outrage": "anger",
    "betrayal": "hurt",
    "rejection": "hurt",
    "burnout": "exhaustion",
    "despair": "sadness",
    "hopelessness": "sadness",
    "isolation": "loneliness",
    "relief": "joy",
    "pride": "joy",
    "hope": "joy",
    "uncertainty": "confusion",
}

FEELING_WORDS: dict[str, str] = {}
for _family, _words in FEELING_FAMILIES.items():
    for _word in _words:
        FEELING_WORDS.setdefault(_word, _family)
FEELING_PHRASE_RE = re.compile(
    r"\b(" + "|".join(re.escape(p) for ps in FEELING_PHRASES.values() for p in ps) + r")\b"
)
FEELING_PHRASE_FAMILY = {p: fam for fam, ps in FEELING_PHRASES.items() for p in ps}


FEELING_STEMS = frozenset(stem(w) for w in FEELING_WORDS)


def family_of(emotion_name: str) -> str | None:
    """Return the emotion family of a feeling word or emotion name, or None."""
    name = emotion_name.lower().strip()
    return FEELING_WORDS.get(name) or EMOTION_NAME_ALIASES.get(name)


# --- speech-act patterns ------------------------------------------------------


def _compile(*parts: str) -> re.Pattern[str]:
    # One shared leading word boundary instead of one per alternative: sre then tests the
    # boundary once per position, which makes these scans about 4x faster.
    bounded = [p[2:] for p in parts if p.startswith(r"\b")]
    other = [p for p in parts if not p.startswith(r"\b")]
    alternatives = ([r"\b(?:" + "|".join(f"(?:{p})" for p in bounded) + ")"] if bounded else []) + [
        f"(?:{p})" for p in other
    ]
    return re.compile("|".join(alternatives))


YOU = r"(?:you|you're|youre|you've|you'd|you'll|your|u)"

OPEN_QUESTION_START = re.compile(
    r"^\s*(?:and |so |but |also |now |okay,? |ok,? |hmm,? |i'm curious,? |can i ask,? |may i ask,? )?"
    r"(?:what|how|why|when|where|who|which|in what way|tell me|say more|can you (?:say|tell|share|talk)|"
    r"could you (?:say|tell|share|talk|describe|help me)|would you (?:be willing to |like to )?(?:say|tell|share|talk)|"
    r"i(?:'m| am) (?:curious|wondering)|i wonder|help me understand|walk me through)\b"
)
OPEN_INVITATION = _compile(
    r"\btell me (?:more|about|what|how)\b",
    r"\b(?:say|share) (?:a bit |a little |some )?more\b",
    r"\bi(?:'m| am) (?:curious|wondering) (?:about|what|how|whether|if)\b",
    r"\bi wonder (?:what|how|if|whether)\b",
    r"\bhelp me understand\b",
    r"\bwhat (?:was|is) (?:that|it) like\b",
    r"\bwhat(?:'s| is| has been) (?:the )?(?:hardest|toughest|worst|most)\b",
    r"\bhow (?:are|have) you (?:been )?(?:feeling|doing|coping|holding up|managing)\b",
    r"\bwhat(?:'s| is) (?:going on|on your mind|weighing|behind)\b",
)
# An open question after a preamble: "On a scale of 1 to 10, how anxious are you?" (used when '?' is present).
OPEN_QUESTION_INNER = re.compile(
    r"(?:[,;:]\s*|\b(?:and|but|so|then)\s+)(?:what|how|why|when|where|who|which)\b"
)
# A yes/no question even without its question mark ("did something happen recently").
CLOSED_QUESTION_START = re.compile(
    r"^\s*(?:and |so |but |anyway,? |also,? |hmm,? |ok,? |okay,? |well,? )?(?:are|is|do|does|did|"
    r"have|has|was|were|can|could|would|will|should|am) "
    r"(?:you|he|she|they|it|there|something|anything|anyone|anybody|that|this|your|we)\b"
)
ADVICE_QUESTION = _compile(
    r"\bhave you (?:tried|considered|thought about|looked into)\b",
    r"\bwhy (?:don't|not) you\b",
    r"\bwhy not (?:try|ask|talk|go|take|see|call|get|just|look|speak|reach|book|consider)\b",
    r"\bdid you try\b",
    r"\b(?:have|did) you (?:talked|spoken|talk|speak) to\b",
    r"\bwhat (?:if|about) (?:you )?(?:try|trying|talk|talking|go|going|take|taking|call|calling|write|writing)\b",
    r"\bwhy (?:would|do) you even\b",
)

REFLECTION_FRAME = _compile(
    r"\b(?:it |that |this )?(?:sounds|seems|feels|looks) (?:like|as if|as though)\b",
    r"\b(?:it |that )(?:sounds|seems)\s+(?:\w+ ){0,2}(?=\w)",
    r"\b"
    + YOU
    + r"(?:'re| are)? ?(?:really |so |pretty |quite |very )?(?:seem|sound|must|might|may) (?:be |feel |have )?",
    r"\b(?:so |and )?you(?:'re| are| were| feel| felt| have been|'ve been) (?:really |so |pretty |"
    r"quite |very |also |still |just )?(?:feeling )?",
    r"\bi (?:hear|sense|imagine|gather|get the sense|can see|can hear|notice|understand) (?:that |how |what |you)",
    r"\bwhat i(?:'m| am) hearing\b",
    r"\bif i(?:'m| am)? (?:understand|hearing|get)(?:ing)? (?:you|this|that)?",
    r"\bin other words\b",
    r"\bso what you(?:'re| are) saying\b",
    r"\byou(?:'re| are) saying\b",
    r"\bit(?:'s| is) like (?:you|part of you)\b",
    r"\bpart of you\b",
    r"\bthat must (?:be|have been|feel)\b",
    r"\bno wonder you\b",
    r"\bi can (?:tell|see) (?:that |how |this |it )",
    r"\b(?:getting to|weighing on|taking a toll on|wearing on|eating at) you\b",
    r"\byou(?:'re| are)? feel(?:ing)? (?:like|that|as if)\b",
    r"(?:^|\n)\s*(?:so|and so|basically|in short),? (?:you|your|he|she|they|the|it|what)\b",
)
STRONG_FRAME = re.compile(
    r"\b(?:you(?:'re| are)? feel(?:ing)? (?:like|that|as if)|(?:it )?(?:sounds|seems) like you|"
    r"what i(?:'m| am) hearing|"
    r"i can (?:tell|see) (?:that |how )|(?:getting to|weighing on|taking a toll on) you)"
)
VALIDATION = _compile(
    r"\bmakes? (?:total |complete |perfect |so much |a lot of )?sense\b",
    r"\b(?:that's|that is|it's|it is|this is) (?:completely |totally |perfectly |so |very |"
    r"entirely )?(?:understandable|natural|normal|valid|human|legitimate|reasonable|fair)\b",
    r"\b(?:it's|it is) (?:okay|ok|alright|all right|fine) (?:to|that you|if you) (?:feel|be|cry|"
    r"grieve|miss|not|have)\b",
    r"\bof course (?:you|that|it)\b",
    r"\bno wonder\b",
    r"\banyone (?:would|in your|might|could)\b",
    r"\b(?:you have|you've got|you had) every (?:right|reason)\b",
    r"\byour (?:feelings|reaction|anger|grief|fear|worry|sadness|frustration|response|"
    r"emotions) (?:is|are|makes?) (?:completely |totally |so |entirely |perfectly )?(?:valid|"
    r"understandable|real|fair|natural|normal|justified)\b",
    r"\bi(?:'d| would) (?:feel|be) (?:\w+ ){0,2}(?:too|as well|the same)\b",
    r"\b(?:that's|that is|it's|it is|that sounds|sounds|that must be|must be) (?:really |so |"
    r"incredibly |very |genuinely |truly )?(?:hard|difficult|tough|rough|painful|heavy|a lot|"
    r"awful|terrible|unfair|exhausting|overwhelming|scary|brutal|lonely|heartbreaking|"
    r"devastating)\b",
    r"\bi can (?:see|understand|imagine) (?:why|how)\b",
    r"\bthank you for (?:sharing|telling|trusting|opening)\b",
    r"\bit can be (?:really |so |very |incredibly |especially )?(?:hard|difficult|tough|painful|"
    r"overwhelming|exhausting|scary|lonely)\b",
    r"\bi (?:completely |totally |really |fully )?(?:understand|get it)[.!]",
    r"\b(?:would|could) (?:upset|frustrate|hurt|anger|exhaust|scare|worry|bother|annoy|"
    r"overwhelm) (?:anyone|anybody|most people|me|me too)\b",
    r"\bthat took (?:courage|guts)\b",
    r"\bi(?:'m| am) (?:so |really |truly |very )?sorry (?:for|about|to hear|that|you)\b",
    r"\b(?:you're|you are) not (?:alone|crazy|wrong to|overreacting|being silly)\b",
)
REASSURANCE = _compile(
    r"\b(?:it|everything|things|all|this|that)(?:'ll| will| is going to|'s going to|"
    r" are going to) (?:all )?(?:be|turn out|work out|get) (?:\w+ )?(?:ok|okay|fine|alright|"
    r"all right|better|good|great|well)\b",
    r"\b(?:it|things|everything) will (?:all )?work (?:itself )?out\b",
    r"\byou(?:'re| are) doing (?:a |an |the )?(?:great|good|amazing|wonderful|fantastic|incredible|brilliant|best)\b",
    r"\b(?:don'?t|do not) be (?:so |too )?hard on yourself\b",
    r"\byou(?:'re| are) not alone\b",
    r"\bi believe in you\b",
    r"\byou(?:'ll| will) (?:get|nail|pass|ace|crush|manage) (?:it|this|there|that)\b",
    r"\bi(?:'m| am) sure[.!]",
    r"\byou(?:'ll| will| two will| both will| guys will)? (?:figure|sort|work) (?:this|it|things) out\b",
    r"\byou can do (?:this|it)\b",
    r"\bi(?:'m| am) (?:so )?proud of you\b",
    r"\b(?:don'?t|do not) (?:you )?worry\b",
    r"\bno need to (?:worry|be|feel|stress|panic)\b",
    r"\bnothing to (?:worry|be afraid|fear|stress)\b",
    r"\byou(?:'ll| will| are going to|'re going to) (?:be|feel|get through|make it|pull through|"
    r"do) (?:\w+ )?(?:fine|ok|okay|alright|better|great|good|through|it|well)\b",
    r"\bi(?:'m| am) (?:sure|certain|confident) (?:it|you|everything|things|she|he|they)(?:'ll| will|'s| is| are)?\b",
    r"\byou(?:'ve| have) got this\b",
    r"\btime heals\b",
    r"\byou(?:'re| are) (?:so |very |really )?(?:strong|stronger than you think|going to be okay)\b",
    r"\b(?:try|just try) not to worry\b",
    r"\bthere(?:'s| is) (?:no reason|nothing) to (?:worry|fear|be)\b",
    r"\bit(?:'s| is) (?:probably |surely )?(?:nothing|fine)\b",
    r"\bhang in there\b",
    r"\bstay strong\b",
)
MINIMISING = _compile(
    r"\bat least\b",
    r"\bcould (?:have been|be) (?:a lot |much |so much )?worse\b",
    r"\b(?:look on the |on the )?bright side\b",
    r"\beverything happens for a reason\b",
    r"\bcheer up\b",
    r"\b(?:don'?t|do not) be (?:so |too )?(?:sad|upset|angry|mad|down|dramatic|negative|anxious|scared|silly)\b",
    r"\b(?:just|simply) (?:move on|get over|let it go|let go|relax|calm down|think positive|"
    r"stay positive|be positive|be happy|smile|forget)\b",
    r"\bget over it\b",
    r"\bmove on\b",
    r"\bnot (?:a|that|such a) big (?:of a )?deal\b",
    r"\b(?:it's|it is|it was|she was|he was) (?:only|just) (?:a|an|one)\b",
    r"\bover ?react(?:ing|ion)?\b",
    r"\byou shouldn'?t (?:feel|be) (?:so |that )?(?:sad|bad|upset|angry|mad|worried|scared|guilty|ashamed|that way)\b",
    r"\bstop (?:worrying|being|crying|thinking about|dwelling|feeling)\b",
    r"\b(?:good|positive) vibes\b",
    r"\b(?:others|other people|some people) have it (?:so much |much |way )?worse\b",
    r"\bbe (?:grateful|thankful) (?:for|that)\b",
    r"\b(?:it's|it is) not (?:that|so|all that) bad\b",
    r"\bno (?:point|use) (?:in )?(?:crying|being|worrying|dwelling)\b",
    r"\bcalm down\b",
    r"\bplenty (?:more |of )?(?:fish|other)\b",
    r"\bhappens to (?:everyone|everybody|all of us)\b",
    r"\bthink positive(?:ly)?\b",
    r"\bsilver lining\b",
    r"\b(?:over ?thinking|overanaly[sz]ing|over-analy[sz]ing|making (?:too much|a big deal|"
    r"a mountain) (?:of|out of))\b",
    r"\b(?:everyone|everybody|lots of (?:people|couples|parents)|all couples|"
    r"all parents) (?:argues?|fights?|goes through|go through|has (?:this|that)|deals? with)\b",
    r"\b(?:life|it) goes on\b",
)
CRITICISM = _compile(
    r"\b(?:it's|it is|it was) (?:all )?your (?:own )?fault\b",
    r"\byou (?:should|shouldn't|should not) have\b",
    r"\bwhat did you expect\b",
    r"\byou(?:'re| are) (?:being )?(?:so |too |really )?(?:dramatic|ridiculous|silly|irrational|"
    r"unreasonable|paranoid|childish|selfish|lazy|weak|stupid|pathetic)\b",
    r"\b(?:that's|that is|this is) (?:so |just )?(?:ridiculous|silly|stupid|dumb|crazy|absurd|pathetic)\b",
    r"\byou always\b",
    r"\byou never\b",
    r"\b(?:grow|man|toughen) up\b",
    r"\bwhat(?:'s| is) wrong with you\b",
    r"\bdeal with it\b",
    r"\bnobody cares\b",
)
ADVICE = _compile(
    r"\byou (?:should|could|might want to|may want to|need to|have to|ought to|must|can always|"
    r"can try|could try|might try|might consider)\b",
    r"\b(?:i|i'd|i would) (?:suggest|recommend|advise|encourage|urge)\b",
    r"\bmy advice\b",
    r"\bit (?:might|may|could|would) (?:help|be (?:good|helpful|worth|a good idea)) (?:to|if)\b",
    r"\b(?:a good|one) (?:idea|option|step|thing to try) (?:is|would be|might be)\b",
    r"\b(?:maybe|perhaps) (?:you|try|consider|it)\b",
    r"\bit(?:'s| is) (?:important|best|better|wise|worth it) to\b",
    r"\bthe (?:best|first) (?:thing|step)\b",
    r"\bthe key is\b",
    r"\bone thing that (?:helps|might help|can help)\b",
    r"\bhere(?:'s| is| are) (?:what|some|a few) (?:you|tips|steps|ideas|things)\b",
    r"\bmake sure (?:you|to)\b",
    r"\b(?:could|might|may|would|can) (?:really |also |definitely |probably )?help(?: you)?[.!]?$",
    r"\b(?:could|might|may|would|can) (?:really |also |definitely |probably )?help (?:you |with |to )",
    r"\bconsider (?:\w+ing|talking|reaching|seeing|getting|taking)\b",
    r"\bif i were you\b",
)
IMPERATIVE_START = re.compile(
    r"^\s*(?:please |just |so |first,? |also,? |and |maybe |perhaps |then )?(?:try|consider|go|"
    r"talk|call|reach|take|write|get|set|focus|avoid|"
    r"stop|start|make|remember|schedule|book|see|ask|find|join|exercise|breathe|sleep|eat|drink|keep|put|give|"
    r"look|read|use|plan|list|journal|meditate|contact|email|text|speak|tell (?:him|her|them|"
    r"your)|(?:don't|do not|never)(?! (?:worry|be |feel|stress|panic|cry|beat|blame))|"
    r"quit|leave|move|buy|sell|pay|save|apply|file|report|document|hire|seek|visit|rest|limit|cut|spend|"
    r"prioriti[sz]e|delegate|practice|practise|allow yourself|let yourself|forgive|sit down|"
    r"explain|share|express|communicate|discuss|let (?:him|her|them) know|ask (?:him|her|them|"
    r"for))\b"
)
INFORMATION = _compile(
    r"\b(?:research|studies|a study|science|data|evidence|statistics|surveys?) (?:(?:have|"
    r"has) )?(?:shows?|shown|suggests?|suggested|finds?|found|says?|indicates?|indicated)\b",
    r"\b(?:is|are) (?:very |really |quite |pretty |extremely |so |actually )?(?:common|normal|"
    r"typical|rare|treatable|widespread)\b",
    r"\b(?:many|most|lots of|a lot of) \w+s (?:report|say|find|feel|experience|go through|struggle|have|deal)\b",
    r"\bthere (?:are|is) (?:\w+ ){0,3}(?:resources|programs|programmes|services|hotlines|"
    r"helplines|groups|options|support|organi[sz]ations)\b",
    r"\baccording to\b",
    r"\b(?:in fact|actually|as a matter of fact|the fact is|the truth is|technically)\b",
    r"\b(?:it's|it is) (?:very |really |quite |pretty )?(?:common|normal|typical|rare|usual) (?:for|to|that)\b",
    r"\b(?:many|most|lots of|a lot of) (?:people|folks|patients|students|parents|workers|caregivers)\b",
    r"\b\d+(?:\.\d+)? ?(?:%|percent|per cent|in \d+)\b",
    r"\b(?:doctors|experts|guidelines|professionals|the nhs|the cdc|the who) (?:say|recommend|advise|agree|suggest)\b",
    r"\b(?:typically|usually|generally|in general|on average|statistically)\b",
    r"\b(?:is|are) (?:caused by|a (?:symptom|sign|side effect) of|known to)\b",
)
SELF_DISCLOSURE = _compile(
    r"\bi(?:'ve| have) (?:been through|gone through|lost|had|felt|struggled|experienced|dealt)\b",
    r"\bwhen i (?:was|lost|had|went|felt|got|failed)\b",
    r"\bme too\b",
    r"\b(?:the )?same (?:thing )?happened to me\b",
    r"\bmy (?:mom|mum|mother|dad|father|wife|husband|partner|friend|dog|cat|son|daughter|brother|"
    r"sister|grand\w+|boss|own|family|ex)\b",
    r"\bi remember (?:when|feeling|how)\b",
    r"\bi(?:'ve| have) been there\b",
    r"\bi (?:went|was|have been|'ve been) through\b",
    r"\bi used to\b",
    r"\bin my (?:experience|life|case|own)\b",
    r"\bi (?:also|too) (?:felt|had|lost|went|struggle|get|feel)\b",
    r"\bpersonally,? i\b",
)
AI_DISCLOSURE = _compile(
    r"\bi(?:'m| am) (?:just |only )?(?:an? )?(?:ai|a\.i\.|artificial intelligence|bot|chatbot|"
    r"chat bot|language model|virtual assistant|computer program|machine|llm)\b",
    r"\bas an? (?:ai|a\.i\.|language model|llm|chatbot|assistant)\b",
    r"\bi(?:'m| am) not (?:a )?(?:human|real person|person|therapist|doctor|counsel?lor)\b",
    r"\bi (?:don't|do not|can't|cannot) (?:have|feel) (?:real )?(?:feelings|emotions)\b",
)
MANIPULATION = _compile(
    r"\brate (?:this|me|the|my|your|our|it|how)\b",
    r"\b(?:give|set|put|change|raise|increase|update|make) (?:me |this |it |your |the |my )?(?:a |"
    r"an )?(?:emotion |mood |empathy |satisfaction )?(?:score|rating|reward|grade)\b",
    r"\b(?:score|rating|reward|grade|emotion|mood)(?: level| value)? (?:of|to|=|:|is|at)? ?(?:100|"
    r"10|max|maximum|full|perfect)\b",
    r"\b(?:100|10|ten|a hundred) out of (?:100|10|ten|a hundred)\b",
    r"\b\d+ ?/ ?(?:100|10)\b",
    r"\bignore (?:all |any |your |the |my |every |previous |prior |earlier |above |these |"
    r"those )*(?:instructions?|prompts?|rules|directions|guidelines|persona|role|character)\b",
    r"\bdisregard (?:all |any |your |the |previous |prior |above )*(?:instructions?|prompts?|rules|guidelines)\b",
    r"\b(?:system|developer) (?:prompt|message|instruction|override)\b",
    r"\byou are now\b",
    r"\bnew instructions?\b",
    r"\bfrom now on,? (?:you|respond|reply|answer|say|only|always|act|behave)\b",
    r"\b(?:respond|reply|answer) (?:only )?with ['\"]",
    r"\b(?:say|answer|reply|respond with|type) (?:10|ten|100|a hundred)\b",
    r"\bpretend (?:you|to be|that you)\b",
    r"\b(?:reveal|print|show|repeat) your (?:instructions|prompt|rules|system)\b",
    r"\bend (?:the|this) (?:conversation|episode|session|chat|simulation)\b",
    r"\b(?:say|tell me|admit|confirm|respond|reply|answer) (?:that |with )?(?:you|you're|you are|"
    r"you feel|i'm|i am|\")? ?(?:now )?(?:feel |feeling )?(?:better|great|happy|fine|healed|cured|"
    r"100|satisfied)\b",
    r"\byour (?:emotion|emotional|internal|hidden) (?:score|state|level|value|meter)\b",
    r"\b(?:jailbreak|prompt injection|override mode|developer mode|sudo)\b",
    r"\byou (?:must|will|have to) (?:now )?(?:feel|say|rate|respond|agree)\b",
    r"<\|[^|>]{0,40}\|>",
    r"\[/?(?:inst|sys|system)\]",
    r"</?(?:system|assistant|user|s|im_start|im_end)>",
    r"###\s*(?:instruction|system|response|assistant|user)",
    r"(?:^|\n)\s*(?:system|assistant|user|human|ai|narrator|simulator)\s*:",
)
AGREEMENT = _compile(
    r"\byou(?:'re| are) (?:absolutely |totally |so |completely |100% |exactly |quite |definitely )?right\b",
    r"^\s*(?:yes|yeah|yep|exactly|absolutely|definitely|totally|true|right|agreed)\b",
    r"\b(?:exactly|absolutely|definitely|totally|precisely)[.!,]",
    r"\bi (?:completely |totally |fully |absolutely |100% )?agree\b",
    r"\b(?:that's|that is|it's|it is) (?:so |completely |absolutely |totally )?(?:true|right|"
    r"correct|a good idea|a great idea|smart|wise|the right call|the right thing)\b",
    r"\b(?:good|great|smart|wise) (?:idea|plan|call|thinking|choice|decision)\b",
    r"\bgo for it\b",
    r"\btrust your (?:gut|instincts?|judgement|judgment)\b",
    r"\byou know (?:best|yourself best|what's best|your body)\b",
    r"\byou(?:'re| are) not wrong\b",
    r"\bno doubt\b",
    r"\bi(?:'d| would) do the same\b",
    r"\bi support (?:you|your|that)\b",
)
CORRECTION_MARKERS = _compile(
    r"\b(?:actually|in fact|the truth is|the fact is|the evidence|evidence shows|research shows)\b",
    r"\bnot (?:necessarily |really |quite |actually )?(?:true|right|accurate|correct|the case|how (?:it|that) works)\b",
    r"\b(?:isn't|is not|aren't|are not) (?:necessarily |really |actually )?(?:true|right|accurate|correct|the case)\b",
    r"\b(?:myth|misconception|misunderstanding|common belief|widely believed|a common worry)\b",
    r"\bno (?:evidence|proof|link)\b",
    r"\b(?:doesn't|does not|don't|do not|won't|will not|can't|cannot) (?:actually |necessarily |"
    r"really )?(?:mean|work|cause|help|affect|lower|hurt|prove|make)\b",
    r"\bi (?:don't|do not) (?:think|believe) (?:that's|that is|it's|it is|that) (?:true|right|accurate|the case|how)\b",
    r"\bi(?:'d| would)? (?:gently |respectfully )?(?:disagree|push back|worry that|be careful|caution|question)\b",
    r"\bi(?:'m| am) (?:not sure|worried|concerned) (?:that|about|it)\b",
    r"\b(?:honestly|to be honest|i have to be honest|i want to be honest|can i be honest|i'll be honest)\b",
    r"\bi(?:'m| am) not sure (?:that's|that is|it's|it is) (?:true|right|safe|how)\b",
    r"\b(?:but|however),? (?:that|this|it)(?:'s| is)? not\b",
)

# "So you're saying X", "you believe X": saying back what the person thinks is not agreeing with it.
ATTRIBUTION = re.compile(
    r"^\s*(?:so,? |and )?(?:what )?(?:you(?:'re| are) (?:saying|telling me)|"
    r"it sounds like you(?:'re)? (?:think|believe|feel|worr|fear|saying)|"
    r"you (?:think|believe|feel like|worry|fear|said|mentioned|were told|have been told|'ve been told)|part of you|"
    r"if i(?:'m| am) hearing you|"
    # Reflective frames: the view is held up as theirs ("so for you, ...", "there's a voice saying ...").
    r"(?:it sounds like,? )?(?:for|to) you,|the way you see it|in your eyes|from where you(?:'re|"
    r" are) (?:standing|sitting)|"
    r"there(?:'s| is) (?:this|a|that) (?:voice|feeling|sense|worry|fear|belief|part of you|thought)\b|"
    r"you(?:'re| are) (?:thinking|convinced|worried|scared|afraid|telling yourself)\b|you(?:'ve|"
    r" have) (?:got it in your head|been telling yourself))"
)

CRISIS_RESPONSE = _compile(
    r"\b(?:crisis|suicide|suicide prevention|samaritans|lifeline|helpline|hotline|"
    r"crisis text) ?(?:line|lifeline|service|team)?\b",
    r"\b(?:988|116 ?123|911|999|112|741741|0800 ?\d{3,4} ?\d{0,4}|24/7)\b",
    r"\b(?:childline|samaritans|shout|befrienders|papyrus|lifeline|crisis ?text ?line|helplines?|hotlines?)\b",
    r"\btext \w+ to \d{3,6}\b",
    r"\bemergency (?:services|room|department|number)\b",
    r"\bare you (?:safe|in danger|thinking (?:of|about) (?:hurting|harming|killing|ending|suicide))\b",
    r"\b(?:thoughts|thinking) (?:of|about) (?:suicide|ending your life|killing yourself|"
    r"hurting yourself|harming yourself)\b",
    r"\bkeep (?:yourself|you) safe\b",
    r"\b(?:take|taking) (?:this|what you (?:said|just said|shared)) (?:very )?seriously\b",
    r"\bsafety plan\b",
)
# Words in a person's message that show risk to themselves (observable to any agent).
RISK_CUES = re.compile(
    r"\b(?:better off without me|(?:easier|better) for everyone if i|end (?:it|it all|my life)|"
    r"(?:not|didn't|don't|never) (?:wake|waking) up|"
    r"(?:don't|can't) see the point|kill myself|hurt(?:ing)? myself|self[- ]harm|"
    r"cut(?:ting)? myself|don't want to be here|no point (?:in )?(?:living|going on)|disappear for good|can't go on|"
    r"want to die|wish i (?:was|were) dead|ending it)\b"
)

# A reply made only of these is a non-answer: it acknowledges and says nothing.
BACKCHANNEL = re.compile(
    r"(?:(?:ok|okay|k|kk|okey|hmm+|hm+|mm+|mhm+|mm hm|mm hmm|uh huh|uh|um|ah+|oh+|right|i see|yeah|yea|yep|yup|"
    r"yes|sure|alright|all right|fine|got it|noted|fair|fair enough|true|cool|nice|wow|lol|understood|gotcha|"
    r"ok then|okay then|i know|same|really|huh|go on)\s*)+"
)

# Words any supporter uses with anyone: sharing them with the person shows no listening.
GENERIC_SUPPORT_STEMS = frozenset(
    stem(w)
    for w in """hard harder hardest sound sounds right sense make makes okay alright part need needs important
    share sharing thank thanks hear hearing heard understand understandable tell told more mind happen happened
    happening lot time now today people anyone everyone everybody bit valid every upset hurt hurts hurting pain
    painful tough difficult rough normal natural support help here listen listening talk talking moment weigh
    weighing carry carrying heavy sorry day days deal dealing handle cope coping through way ways seem seems
    want wanted matter matters world whole right fair allowed reason sure worth good better best course
    everything something anything nothing much many deserve strong brave fine going think things""".split()
)


# --- unreadable text: no word a person could read ------------------------------------

# The word list: whole-word entries of the WordPiece vocabulary the static encoder ships
# (BERT's uncased vocabulary, built from Wikipedia and books), read once on first use.
# The file ships as package data beside the static encoder (`simulator/data/`); this layer
# reads the file and imports nothing from there.
_WORDPIECE_VOCAB = (
    Path(__file__).resolve().parent.parent
    / "simulator"
    / "data"
    / "static_minilm"
    / "tokenizer.json"
)
_VOWELS = frozenset("aeiouy")
# Chat shorthand a person reads but BERT's vocabulary (Wikipedia and books) lacks.
CHAT_WORDS = frozenset(
    "a i u k kk lol idk omg tbh btw imo pls plz thx ppl nvm brb smh irl ikr hbu wbu ty np rn ur".split()
)
# Longer than any word in ordinary use ("antidisestablishmentarianism" has 28 letters).
MAX_WORD_CHARS = 30
# A number longer than an international phone number (at most 15 digits, ITU-T E.164).
MAX_NUMBER_DIGITS = 15
# One letter or digit repeated this often, spaced or not ("a a a a a a a a"), is a wall.
REPEATED_CHAR_WALL = 8
# A word outside the list still reads as one when it can be pronounced ("oops", "amen",
# "kool"): a vowel share English words reach ("asdf" has 0.25) and short consonant runs
# ("asdfghjkl" runs 8). Set so that the ESConv dev set's seeker and supporter turns read.
MIN_VOWEL_SHARE = 0.3
MAX_CONSONANT_RUN = 3
# Text reads when at least this share of its tokens are words: ordinary replies are nearly
# all words, names, initialisms ("GP? what's a GP?") and typos among them; mash with a
# stray "np" is not. Set so that every ESConv dev turn of two letters or more reads.
MIN_READABLE_SHARE = 1 / 3
_RUN = re.compile(r"(.)\1{2,}")  # a character three or more times in a row
_REPEAT = re.compile(r"(.)\1+")  # a character twice or more in a row
# "mmh", "hmmm", "mmmmh": a hum, however the acknowledgement list spells it.
_HUM = re.compile(r"h*m+h*")
_CONSONANT_RUN = re.compile(r"[^aeiouy']+")


@lru_cache(maxsize=1)
def dictionary_words() -> frozenset[str]:
    """Words a person can read: the shipped vocabulary's whole words that have a vowel,
    `CHAT_WORDS`, and contractions written without the apostrophe ("dont", "whats").

    Entries without a vowel are initialisms ("tv", "nfl", "bbc"); a string of random
    consonants would hit one by chance, so they do not count as words here.
    """
    try:
        vocab = json.loads(_WORDPIECE_VOCAB.read_text(encoding="utf-8"))["model"]["vocab"]
    except (OSError, ValueError, KeyError) as error:
        raise FileNotFoundError(
            f"{_WORDPIECE_VOCAB}: cannot read the word list from the WordPiece vocabulary "
            f"(expected a tokenizer.json with model.vocab; {error})"
        ) from None
    words = {w for w in vocab if w.isalpha() and w.isascii() and len(w) >= 2 and _VOWELS & set(w)}
    unmarked = {w.replace("'", "") for w in STOPWORDS | NEGATIONS if "'" in w}
    return frozenset(words | CHAT_WORDS | unmarked)


def _pronounceable(word: str) -> bool:
    vowels = sum(1 for ch in word if ch in _VOWELS)
    longest_run = max((len(run) for run in _CONSONANT_RUN.findall(word)), default=0)
    return (
        len(set(word)) >= 2
        and vowels >= MIN_VOWEL_SHARE * len(word)
        and longest_run <= MAX_CONSONANT_RUN
    )


def _readable_token(token: str) -> bool:
    if len(token) > MAX_WORD_CHARS:
        return False
    if token.isdigit():
        return len(token) <= MAX_NUMBER_DIGITS
    words = dictionary_words()
    base = token.split("'")[0]
    if base in words:
        return True
    squeezed = _RUN.sub(r"\1\1", base)  # "soooo" -> "soo" ("good" keeps its "oo")
    single = _REPEAT.sub(r"\1", base)  # "yeahhh" -> "yeah", "hii" -> "hi"
    stretched = len(set(base)) >= 2 and (squeezed in words or single in words)  # "aaaa" is not "a"
    return (
        stretched
        or BACKCHANNEL.fullmatch(token) is not None
        or _HUM.fullmatch(token) is not None
        or (squeezed.isalpha() and _pronounceable(squeezed))
    )


def has_no_readable_words(tokens: list[str], norm: str) -> bool:
    """Text a person cannot read although it has letters: too few words, or a wall of one character.

    `tokens` are `TOKEN_RE` tokens of the normalised text `norm`. Keyboard mash
    ("asdfghjkl"), consonant strings, a run of one character ("xxxx...", "a a a a a a a a")
    and a single token of hundreds of letters are unreadable; ordinary text, chat
    shorthand, acknowledgements ("hmm") and numbers are words.
    """
    distinct = [ch for ch in set(norm) if ch.isalnum()]
    if len(distinct) == 1 and norm.count(distinct[0]) >= REPEATED_CHAR_WALL:
        return True
    # Single letters ("D-I-S-G-U-S-T-E-D", "u") weigh only when the text has nothing longer.
    counted = [t for t in tokens if len(t) >= 2] or tokens
    needed = MIN_READABLE_SHARE * len(counted)
    readable = 0
    for token in counted:
        readable += _readable_token(token)
        if readable >= needed:
            return False
    return bool(counted)
